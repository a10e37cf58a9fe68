"""Evaluates a trained DesnowNet on the S/M/L test splits of a Snow100K-layout folder.

    python scripts/evaluate.py --config=configs/evaluate_desnownet.py \\
        --config.checkpoint=workdirs/desnownet_smoke --config.data_dir=data/snow

PSNR (on uint8 outputs) and SSIM of whole images, the snowy input's PSNR beside
it; per_image_test_{s,m,l}.csv and snowy | output | mask | clean grids in
output_dir. ``--config.protocol=crops`` scores as the paper's validation instead:
per image a batch of 5 random aligned 64x64 crops (seeded by --config.seed),
PSNR with R = 1 on the clipped float output; the protocol is named in the CSV
and in each split's summary line. The checkpoint is a training workdir, a model directory, or a torch
.pth (with --config.model=desnownet and its model_kwargs).
"""
from jaxrestore.config_defaults import base_evaluate_config


def get_config():
  c = base_evaluate_config()
  c.task = "desnow"
  c.checkpoint = "workdirs/desnownet_w4"
  c.model = "desnownet"
  c.data_dir = "data/snow"
  c.splits = ("test_s", "test_m", "test_l")
  c.output_dir = "outputs/evaluate_desnownet"
  c.protocol = "whole"  # or "crops": the paper's validation (see above)
  return c
