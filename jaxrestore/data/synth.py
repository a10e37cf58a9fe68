"""What the synthetic-data writers share: where their clean images come from, and
writing a dataset so that it is complete or absent."""
import shutil
from pathlib import Path
from typing import Callable

import numpy as np

from jaxrestore.data import datasets, images


def source_images(source: str, max_size: int = 0) -> list[tuple[str, np.ndarray]]:
  """RGB uint8 images (name, HWC) of a folder, or of the embedded set ('skimage:train' /
  'skimage:validation'), centre-cropped to at most ``max_size`` (0: whole)."""
  if source.startswith("skimage:"):
    out = datasets.embedded_rgb(source.split(":", 1)[1])
  else:
    out = [(p.name, images.read_uint8(p, 3)) for p in images.list_images(source)]
  if max_size:  # keeps the data set small enough for CPU training
    out = [(n, images.center_crop(img, max_size)) for n, img in out]
  return out


def write_atomically(root: str | Path, write: Callable[[Path], None]) -> Path:
  """Runs ``write(folder)`` on a fresh folder beside ``root``, then moves what it wrote
  into ``root`` (created if needed): an interrupted run leaves ``root`` as it was, so a
  half-written set never looks complete (e.g. to the dataset cache)."""
  root = Path(root)
  tmp = root.with_name(root.name + ".tmp")
  if tmp.exists():
    shutil.rmtree(tmp)
  tmp.mkdir(parents=True)
  write(tmp)
  if root.exists():
    for entry in sorted(tmp.iterdir()):
      entry.rename(root / entry.name)
    tmp.rmdir()
  else:
    tmp.rename(root)
  return root
