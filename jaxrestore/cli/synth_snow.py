"""``jaxrestore-synth-snow --config=configs/synth_snow.py --config.out=DIR``: a Snow100K-layout set."""
from pathlib import Path

import numpy as np
from absl import app, flags
from ml_collections import config_flags

from jaxrestore.data import datasets, images, snow

_CONFIG = config_flags.DEFINE_config_file("config", None, "Synthesis config file.")


def _images(source: str, max_size: int) -> list[tuple[str, np.ndarray]]:
  """RGB uint8 images of a folder, or of the embedded set ('skimage:train' / 'skimage:validation')."""
  if source.startswith("skimage:"):
    out = datasets.embedded_rgb(source.split(":", 1)[1])
  else:
    out = [(p.name, images.read_uint8(p, 3)) for p in images.list_images(source)]
  if max_size:  # centre crop: keeps the data set small enough for CPU training
    out = [(n, images.center_crop(img, max_size)) for n, img in out]
  return out


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  c = _CONFIG.value
  root = snow.write_snow100k(Path(c.out), _images(c.train, c.max_size),
                             _images(c.test, c.max_size), seed=c.seed)
  print(f"wrote a Snow100K-layout dataset to {root}")


def run():
  flags.mark_flags_as_required(["config"])
  app.run(main)
