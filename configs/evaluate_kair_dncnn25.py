"""Evaluates KAIR's public DnCNN sigma=25 checkpoint on Set12 with the standard protocol.

    python scripts/evaluate.py --config=configs/evaluate_kair_dncnn25.py

Expected: a per-image table and ``mean_psnr=30.43`` (BSD68, with
``--config.data_dir=../shared/data/bsd/bsd68``: 29.23). Any checkpoint works:
``--config.checkpoint=`` a torch .pth (with ``--config.model=``) or a jaxrestore
model directory.
"""
from jaxrestore.config_defaults import base_evaluate_config


def get_config():
  c = base_evaluate_config()
  c.checkpoint = "../shared/data/checkpoints/kair_dncnn_25.pth"
  c.model = "kair_dncnn17_merged"
  c.data_dir = "../shared/data/bsd/set12"
  c.channels = 1
  c.sigma = 25.0
  return c
