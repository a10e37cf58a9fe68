"""``jaxrestore-port --config=configs/port.py --config.src=... --config.dst=...``.

* torch -> jaxrestore: ``src`` a ``.pth`` (``config.model`` names the model),
  ``dst`` a new model directory.
* jaxrestore -> torch: ``src`` a model directory or a training workdir, ``dst``
  a ``.pth`` that the torch_ref twin loads with ``load_state_dict(strict=True)``.
"""
from absl import app, flags
from ml_collections import config_flags

from jaxrestore import porting

_CONFIG = config_flags.DEFINE_config_file("config", None, "Porting config file.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  cfg = _CONFIG.value
  dst = porting.convert(cfg.src, cfg.dst, cfg.model, cfg.model_kwargs.to_dict(),
                        key=cfg.checkpoint_key or None)
  print(f"wrote {dst}")


def run():
  flags.mark_flags_as_required(["config"])
  app.run(main)
