"""Denoises a scikit-image sample image and prints PSNR before/after.

    python scripts/denoise.py --config=configs/denoise_demo.py
"""
from pathlib import Path

import skimage.data
from absl import app, flags
from ml_collections import config_flags

from jaxrestore import evaluate, porting
from jaxrestore.data import images

_CONFIG = config_flags.DEFINE_config_file("config", None, "Demo config file.")


def main(argv):
  del argv
  cfg = _CONFIG.value
  clean = getattr(skimage.data, cfg.image)()
  if clean.ndim == 2:
    clean = clean[:, :, None]
  model = porting.load_checkpoint(cfg.checkpoint, cfg.model, cfg.model_kwargs.to_dict(),
                                  key=cfg.checkpoint_key or None)
  result, noisy, out = evaluate.evaluate_image(evaluate.make_apply(model), cfg.image, clean,
                                               cfg.sigma, cfg.seed)
  grid = Path(cfg.output_dir) / f"{cfg.image}_grid.png"
  images.write_image(grid, images.grid(noisy, out, clean))
  print(f"{cfg.image} {result.height}x{result.width} sigma={cfg.sigma:g}: "
        f"psnr_noisy={result.psnr_noisy:.2f} psnr_denoised={result.psnr:.2f} "
        f"ssim={result.ssim:.4f}\nwrote {grid}")


if __name__ == "__main__":
  flags.mark_flags_as_required(["config"])
  app.run(main)
