"""Restores an image or a folder with any model, tiled for large images.

    python scripts/restore.py --config=configs/restore.py \
        --config.input=../shared/data/bsd/set12/01.png --config.output_dir=outputs/restored

Defaults apply KAIR's DnCNN sigma=25 to gray images; for a trained workdir use
``--config.checkpoint=workdirs/smoke``. Expected: one PNG per input, same name.
"""
from jaxrestore.config_defaults import base_restore_config


def get_config():
  c = base_restore_config()
  c.checkpoint = "../shared/data/checkpoints/kair_dncnn_25.pth"
  c.model = "kair_dncnn17_merged"
  c.channels = 1
  return c
