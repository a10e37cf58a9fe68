"""``jaxrestore-port --config=configs/port.py --config.src=... --config.dst=...``.

* torch -> jaxrestore: ``src`` a ``.pth`` / ``.safetensors`` (``config.model`` names
  the model; ``checkpoint_key`` and ``checkpoint_rename`` say where its weights are
  and how its names map onto the model's), ``dst`` a new model directory.
* anything -> torch: ``dst`` ending ``.pth`` / ``.pt`` / ``.safetensors``, a file the
  torch_ref twin loads with ``load_state_dict(strict=True)``.
* ``merge_bn=True``: fold the BatchNorm into the convs on the way (DnCNN family).
* ``inspect=True``: print the file's keys and shapes beside the model's and the
  rename rules that would map them (when the shapes agree one to one); writes nothing.
"""
from absl import app, flags
from ml_collections import config_flags

from jaxrestore import cli, porting

_CONFIG = config_flags.DEFINE_config_file("config", None, "Porting config file.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  cfg = _CONFIG.value
  rename = tuple(cfg.checkpoint_rename)
  if cfg.inspect:
    print(porting.inspect_checkpoint(cfg.src, cfg.model, cfg.model_kwargs.to_dict(),
                                     key=cfg.checkpoint_key or None, rename=rename))
    return
  dst = porting.convert(cfg.src, cfg.dst, cfg.model, cfg.model_kwargs.to_dict(),
                        key=cfg.checkpoint_key or None, rename=rename, merge_bn=cfg.merge_bn)
  print(f"wrote {dst}")


def run():
  flags.mark_flags_as_required(["config"])
  cli.run(main)
