"""``jaxrestore-restore --config=configs/restore.py --config.input=IMG_OR_DIR --config.output_dir=DIR``.

Applies a model to one image or every image of a folder, of any size, with
tiled inference (``config.tile``, ``config.overlap``) for large images. Outputs
keep the input file names (as PNG) in ``output_dir``.
"""
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags
from tqdm import tqdm

from jaxrestore import evaluate, porting, tiling
from jaxrestore.data import images

_CONFIG = config_flags.DEFINE_config_file("config", None, "Restoration config file.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  cfg = _CONFIG.value
  src = Path(cfg.input)
  files = images.list_images(src) if src.is_dir() else [src]
  model = porting.load_checkpoint(cfg.checkpoint, cfg.model, cfg.model_kwargs.to_dict(),
                                  key=cfg.checkpoint_key or None)
  apply = evaluate.make_apply(model)
  out_dir = Path(cfg.output_dir)
  if out_dir.resolve() == (src if src.is_dir() else src.parent).resolve():
    raise app.UsageError("output_dir must differ from the input folder (inputs would be "
                         "overwritten)")
  for path in tqdm(files, desc="restore", unit="img"):
    img = images.read_image(path, cfg.channels)
    out = tiling.tiled_apply(apply, img, cfg.tile, cfg.overlap)
    images.write_image(out_dir / f"{path.stem}.png", out)
  print(f"wrote {len(files)} image(s) to {out_dir}")


def run():
  flags.mark_flags_as_required(["config"])
  app.run(main)
