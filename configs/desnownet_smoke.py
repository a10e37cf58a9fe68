"""DesnowNet smoke run on snow synthesised from the embedded images (no other data needed).

    python scripts/train.py --config=configs/desnownet_smoke.py --workdir=workdirs/desnownet_smoke

A narrow model (widths / 16, one block per Inception stage, stride-1 pooling),
the paper's losses and optimiser, lr raised to 1e-3 for a short run. Writes
snowy | output | mask | clean grids; eval reports the input's PSNR beside the
output's (eval/psnr_input vs eval/psnr). Measured (2 CPU cores, ~1.3 s/step
alone): after 200 steps eval/psnr 18.1 dB against the input's 25.1 dB, i.e. not
yet better than the input: the initial residual is large and still falling.
"""
from jaxrestore.config_defaults import desnownet_config


def get_config():
  c = desnownet_config(16)
  c.model_kwargs.blocks = (1, 1, 1)
  c.model_kwargs.pool = "pool"
  c.data.train = {"kind": "synthetic_snow", "max_size": 128, "seed": 0}
  c.data.val = {"kind": "synthetic_snow", "max_size": 128, "seed": 0}
  c.data.val_split = "test_m"
  c.optimizer.lr = 1e-3
  c.num_steps = 200
  c.log_every = 20
  c.eval_every = 100
  c.checkpoint_every = 100
  return c
