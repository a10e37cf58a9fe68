"""Smoke run: a small DnCNN on the embedded scikit-image data, about two minutes on 2 CPU cores.

    python scripts/train.py --config=configs/smoke.py --workdir=workdirs/smoke

Expected: loss falls, eval on 'camera' (sigma=25) rises from ~20.6 dB (noisy)
to ~27.8 dB (SSIM ~0.70); metrics.jsonl, tensorboard/, images/ and checkpoints/ in the workdir.
Re-running the same command resumes (and stops at once when it is done).
"""
from jaxrestore.config_defaults import base_config


def get_config():
  c = base_config()
  c.model = "dncnn"
  c.model_kwargs.depth = 8
  c.model_kwargs.features = 32
  c.model_kwargs.bn_momentum = 0.1
  c.data.batch_size = 16
  c.data.crop = 40
  c.optimizer.lr = 1e-3
  c.num_steps = 600
  c.log_every = 50
  c.eval_every = 300
  c.checkpoint_every = 300
  return c
