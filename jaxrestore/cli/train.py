"""``jaxrestore-train --config=configs/x.py --workdir=DIR [--config.key=value]``.

The console shows the progress bar, the step and eval lines and the result; the
library log lines (orbax, absl, TFDS, JAX) go to ``train.log`` in the workdir.
"""
import os
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags

from jaxrestore import cli, train

_CONFIG = config_flags.DEFINE_config_file("config", None, "Training config file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory; the same one resumes.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  _, summary = train.train_and_evaluate(_CONFIG.value, _WORKDIR.value)
  if summary:
    print(f"final eval: psnr={summary['psnr']:.3f} ssim={summary['ssim']:.4f}")


def _log_file() -> Path:
  """``train.log`` in the workdir; ``train.<i>.log`` for process i > 0 of a multi-process run."""
  process_id = _CONFIG.value.distributed.process_id
  if process_id < 0:
    process_id = int(os.environ.get("JAX_PROCESS_ID", "0"))
  return Path(_WORKDIR.value) / ("train.log" if process_id <= 0 else f"train.{process_id}.log")


def run():
  flags.mark_flags_as_required(["config", "workdir"])
  cli.run(main, log_file=_log_file)
