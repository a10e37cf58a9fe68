"""``jaxrestore-train --config=configs/x.py --workdir=DIR [--config.key=value]``."""
from absl import app, flags
from ml_collections import config_flags

from jaxrestore import train

_CONFIG = config_flags.DEFINE_config_file("config", None, "Training config file.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory; the same one resumes.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  _, summary = train.train_and_evaluate(_CONFIG.value, _WORKDIR.value)
  if summary:
    print(f"final eval: psnr={summary['psnr']:.3f} ssim={summary['ssim']:.4f}")


def run():
  flags.mark_flags_as_required(["config", "workdir"])
  app.run(main)
