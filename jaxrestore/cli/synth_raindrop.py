"""A Raindrop-layout set of synthetic drops over clean images:
``python scripts/synth_raindrop.py --config=configs/synth_raindrop.py --config.out=DIR``."""
from pathlib import Path

import numpy as np
from absl import app, flags
from ml_collections import config_flags

from jaxrestore import cli
from jaxrestore.data import raindrop, synth

_CONFIG = config_flags.DEFINE_config_file("config", None, "Synthesis config file.")


def _images(source: str, max_size: int) -> list[tuple[str, np.ndarray]]:
  """``synth.source_images`` trimmed to sides that are multiples of 4 (the generator's)."""
  return [(n, img[:img.shape[0] // 4 * 4, :img.shape[1] // 4 * 4])
          for n, img in synth.source_images(source, max_size)]


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
  cli.run(main)
