"""Main job (for now): denoise scikit-image's 'camera' (sigma=25) with DnCNN-17.

    python scripts/denoise.py --config=configs/denoise_demo.py

Uses KAIR's public dncnn_25 weights from ../shared (or any checkpoint via
``--config.checkpoint=``). Expected: ``psnr_noisy=20.2x psnr_denoised=29.x``;
writes outputs/denoise_demo/camera_grid.png (noisy | denoised | clean).
"""
import ml_collections


def get_config():
  config = ml_collections.ConfigDict()
  config.image = "camera"  # a gray scikit-image sample: camera, moon, coins, ...
  config.checkpoint = "../shared/data/checkpoints/kair_dncnn_25.pth"
  config.checkpoint_key = ""
  config.model = "kair_dncnn17_merged"
  config.model_kwargs = ml_collections.ConfigDict()
  config.sigma = 25.0
  config.seed = 0
  config.output_dir = "outputs/denoise_demo"
  return config
