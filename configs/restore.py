"""Restores an image or a folder with any model, tiled for large images.

    python scripts/restore.py --config=configs/restore.py \
        --config.input=../shared/data/bsd/set12/01.png --config.output_dir=outputs/restored

Defaults apply KAIR's DnCNN sigma=25 to gray images; for a trained workdir use
``--config.checkpoint=workdirs/smoke``. Expected: one PNG per input, same name.
"""
import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.input = ""
  c.output_dir = "outputs/restored"
  c.checkpoint = "../shared/data/checkpoints/kair_dncnn_25.pth"
  c.checkpoint_key = ""
  c.checkpoint_rename = ()  # ((regex, replacement), ...) for a torch file's keys
  c.model = "kair_dncnn17_merged"  # only for torch checkpoints
  c.model_kwargs = ml_collections.ConfigDict()
  c.channels = 1
  c.tile = 512  # 0: whole image at once
  c.overlap = 48  # >= 2x the receptive-field radius (17 for DnCNN-17) gives exact results
  return c
