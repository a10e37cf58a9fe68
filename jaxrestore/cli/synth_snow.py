"""``jaxrestore-synth-snow --config=configs/synth_snow.py --config.out=DIR``: a Snow100K-layout set."""
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags

from jaxrestore import cli
from jaxrestore.data import snow, synth

_CONFIG = config_flags.DEFINE_config_file("config", None, "Synthesis config file.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  c = _CONFIG.value
  root = snow.write_snow100k(Path(c.out), synth.source_images(c.train, c.max_size),
                             synth.source_images(c.test, c.max_size), seed=c.seed)
  print(f"wrote a Snow100K-layout dataset to {root}")


def run():
  flags.mark_flags_as_required(["config"])
  cli.run(main)
