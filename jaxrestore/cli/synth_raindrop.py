"""A Raindrop-layout set of synthetic drops over clean images:
``python scripts/synth_raindrop.py --config=configs/synth_raindrop.py --config.out=DIR``."""
from pathlib import Path

import numpy as np
from absl import app, flags
from ml_collections import config_flags

from jaxrestore.data import datasets, images, raindrop

_CONFIG = config_flags.DEFINE_config_file("config", None, "Synthesis config file.")


def _images(source: str, max_size: int) -> list[tuple[str, np.ndarray]]:
  """RGB uint8 images of a folder, or of the embedded set ('skimage:train' /
  'skimage:validation'), centre-cropped to at most ``max_size`` (0: whole) and
  trimmed to sides that are multiples of 4."""
  if source.startswith("skimage:"):
    out = datasets.embedded_rgb(source.split(":", 1)[1])
  else:
    out = [(p.name, images.read_uint8(p, 3)) for p in images.list_images(source)]
  if max_size:  # keeps the data set small enough for CPU training
    out = [(n, images.center_crop(img, max_size)) for n, img in out]
  return [(n, img[:img.shape[0] // 4 * 4, :img.shape[1] // 4 * 4]) for n, img in out]


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  c = _CONFIG.value
  root = raindrop.write_raindrop(Path(c.out), _images(c.train, c.max_size),
                                 _images(c.test_a, c.max_size), _images(c.test_b, c.max_size),
                                 seed=c.seed)
  print(f"wrote a Raindrop-layout dataset to {root}")


def run():
  flags.mark_flags_as_required(["config"])
  app.run(main)
