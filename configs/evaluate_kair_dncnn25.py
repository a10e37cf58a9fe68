"""Evaluates KAIR's public DnCNN sigma=25 checkpoint on Set12 with the standard protocol.

    python scripts/evaluate.py --config=configs/evaluate_kair_dncnn25.py

Expected: a per-image table and ``mean_psnr=30.43`` (BSD68, with
``--config.data_dir=../shared/data/bsd/bsd68``: 29.23). Any checkpoint works:
``--config.checkpoint=`` a torch .pth (with ``--config.model=``) or a jaxrestore
model directory.
"""
import ml_collections


def get_config():
  config = ml_collections.ConfigDict()
  config.checkpoint = "../shared/data/checkpoints/kair_dncnn_25.pth"
  config.checkpoint_key = ""  # entry of a wrapped .pth state dict, e.g. "state_dict"
  config.checkpoint_rename = ()  # ((regex, replacement), ...) for a torch file's keys
  config.model = "kair_dncnn17_merged"  # registry name (torch checkpoints only)
  config.model_kwargs = ml_collections.ConfigDict()
  config.data_dir = "../shared/data/bsd/set12"
  config.channels = 1
  config.sigma = 25.0
  config.seed = 0
  config.output_dir = "outputs/evaluate"  # per-image CSV and input|output|target grids
  config.save_grids = True
  return config
