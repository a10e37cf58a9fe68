"""``jaxrestore-sweep --config=configs/sweep_course_net_b.py --workdir=DIR [--config.key=value]``.

Running the same command again resumes a killed sweep at its stage and group; a finished
sweep's workdir is refused.
"""
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags

from jaxrestore import cli, sweep

_CONFIG = config_flags.DEFINE_config_file("config", None, "Sweep config file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Output directory (stage*.csv, table.md, ...).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  sweep.run_sweep(_CONFIG.value, _WORKDIR.value)
  workdir = Path(_WORKDIR.value)
  print((workdir / "table.md").read_text(), end="")
  print(f"wrote {workdir}/stage*.csv, table.md, table.csv and sweep.png")


def run():
  flags.mark_flags_as_required(["config", "workdir"])
  cli.run(main, log_file=lambda: Path(_WORKDIR.value) / "sweep.log")
