"""Removes snow from a user's photos with a trained DesnowNet; RGB, any size, no seams.

    python scripts/restore.py --config=configs/restore_desnownet.py \
        --config.checkpoint=workdirs/desnownet_cpu --config.input=my_photos \
        --config.output_dir=outputs/desnowed

Images larger than ``tile`` are restored tile by tile; the tiles overlap by twice
the model's receptive-field radius, computed from its layers
(``DesnowNet.receptive_field_radius``: 88 pixels for the cpu variant, 180 for the
paper's w4), so the output equals whole-image inference exactly. ``--config.tile=0``
runs whole images (also needed for ``--config.save_maps='("z",)'``, the snow mask).
"""
from jaxrestore.config_defaults import base_restore_config


def get_config():
  c = base_restore_config()
  c.input = "../shared/data/color/kodak24"
  c.output_dir = "outputs/desnowed"
  c.checkpoint = "workdirs/desnownet_cpu"
  c.model = "desnownet"
  c.channels = 3
  c.tile = 512  # must exceed the overlap (w4: 360); 0: whole images
  c.overlap = -1  # twice the receptive-field radius the model computes: exact tiles
  return c
