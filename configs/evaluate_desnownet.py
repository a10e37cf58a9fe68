"""Evaluates a trained DesnowNet on the S/M/L test splits of a Snow100K-layout folder.

    python scripts/evaluate.py --config=configs/evaluate_desnownet.py \\
        --config.checkpoint=workdirs/desnownet_smoke --config.data_dir=data/snow

PSNR (range 1, on uint8 outputs) and SSIM per image, the snowy input's PSNR
beside it; per_image_test_{s,m,l}.csv and snowy | output | mask | clean grids in
output_dir. The checkpoint is a training workdir, a model directory, or a torch
.pth (with --config.model=desnownet and its model_kwargs).
"""
import ml_collections


def get_config():
  config = ml_collections.ConfigDict()
  config.task = "desnow"
  config.checkpoint = "workdirs/desnownet_w4"
  config.checkpoint_key = ""
  config.checkpoint_rename = ()  # ((regex, replacement), ...) for a torch file's keys
  config.model = "desnownet"
  config.model_kwargs = ml_collections.ConfigDict()
  config.data_dir = "data/snow"
  config.splits = ("test_s", "test_m", "test_l")
  config.cache_dir = ""
  config.output_dir = "outputs/evaluate_desnownet"
  config.save_grids = True
  return config
