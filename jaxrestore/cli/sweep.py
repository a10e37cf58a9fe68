"""``jaxrestore-sweep --config=configs/sweep_course_net.py --workdir=DIR [--config.key=value]``."""
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags

from jaxrestore import cli, sweep

_CONFIG = config_flags.DEFINE_config_file("config", None, "Sweep config file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory (sweep.csv, sweep.png).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  results = sweep.run_sweep(_CONFIG.value, _WORKDIR.value)
  print(sweep.format_table(results))
  print(f"wrote {_WORKDIR.value}/sweep.csv and sweep.png")


def run():
  flags.mark_flags_as_required(["config", "workdir"])
  cli.run(main, log_file=lambda: Path(_WORKDIR.value) / "sweep.log")
