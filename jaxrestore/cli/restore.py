"""``jaxrestore-restore --config=configs/restore.py --config.input=IMG_OR_DIR --config.output_dir=DIR``.

Applies a model to one image or every image of a folder, of any size, with
tiled inference (``config.tile``, ``config.overlap``) for large images. Outputs
keep the input file names (as PNG) in ``output_dir``. ``overlap=-1`` takes twice
the receptive-field radius of a model that computes it (DesnowNet): tiles then give
exactly the whole-image output.

Models with several outputs (DesnowNet, the Attentive GAN generator) return a
dict: the restored image is the model's ``output_key`` entry (``y_hat``,
``output``); ``config.save_maps`` also writes other entries as gray images under
``output_dir/<map>/`` (the last one of a list, e.g. the final attention map),
from whole-image inference (``tile=0``). ``config.channel_order='bgr'`` serves
weights trained on BGR images (DeRaindrop's official generator).

In a folder, a file that cannot be read (not an image, truncated, too large) is
reported on its own line and skipped; the others are restored, and the run then
ends with a line naming the skipped files and exit code 1.
"""
import sys
from pathlib import Path

import numpy as np
from absl import app, flags
from ml_collections import config_flags
from tqdm import tqdm

from jaxrestore import cli, errors, evaluate, porting, tiling
from jaxrestore.data import images

_CONFIG = config_flags.DEFINE_config_file("config", None, "Restoration config file.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  cfg = _CONFIG.value
  if not cfg.input:
    raise app.UsageError("give the image or folder to restore: --config.input=...")
  src = Path(cfg.input)
  if not src.exists():
    raise errors.NotFoundError(f"input not found: {src}")
  files = images.list_images(src) if src.is_dir() else [src]
  out_dir = Path(cfg.output_dir)
  if out_dir.resolve() == (src if src.is_dir() else src.parent).resolve():
    raise app.UsageError("output_dir must differ from the input folder (inputs would be "
                         "overwritten)")
  maps = tuple(cfg.save_maps)
  if maps and cfg.tile:
    raise app.UsageError("save_maps needs whole-image inference: set --config.tile=0")
  model = porting.load_checkpoint(cfg.checkpoint, cfg.model, cfg.model_kwargs.to_dict(),
                                  key=cfg.checkpoint_key or None,
                                  rename=tuple(cfg.checkpoint_rename),
                                  precision=cfg.precision)
  overlap = 0  # whole images (tile=0) need none
  if cfg.tile:
    overlap = tiling.receptive_overlap(model) if cfg.overlap < 0 else cfg.overlap
    if overlap >= cfg.tile:
      raise errors.ConfigError(f"config.tile={cfg.tile} must exceed the overlap {overlap} "
                               f"(twice the model's receptive-field radius): raise it, or 0 "
                               f"for whole images")
  apply = evaluate.make_model_apply(model)
  if cfg.channel_order == "bgr":
    apply = evaluate.swap_rgb_bgr(apply)
  apply = evaluate.in_value_range(apply, cfg.value_range)
  key = model.output_key
  image_of = (lambda o: o[key]) if key else (lambda o: o)  # noqa: E731
  skipped = []
  for path in tqdm(files, desc="restore", unit="img"):
    try:
      img = images.read_image(path, cfg.channels)
    except images.ImageError as e:
      if not src.is_dir():
        raise
      tqdm.write(f"error: {e}; skipped", file=sys.stderr)  # the others are still restored
      skipped.append(path.name)
      continue
    if maps:
      outputs = apply(img[None])
      out = np.asarray(image_of(outputs))[0]
      for name in maps:
        if not isinstance(outputs, dict) or name not in outputs:
          raise errors.ConfigError(f"save_maps: the model has no output {name!r}")
        value = outputs[name][-1] if isinstance(outputs[name], (list, tuple)) else outputs[name]
        images.write_image(out_dir / name / f"{path.stem}.png", np.asarray(value)[0])
    else:
      out = tiling.tiled_apply(lambda x: image_of(apply(x)), img, cfg.tile, overlap)
    images.write_image(out_dir / f"{path.stem}.png", out)
  print(f"wrote {len(files) - len(skipped)} image(s) to {out_dir}")
  if skipped:
    raise images.ImageError(f"{len(skipped)} of {len(files)} image(s) in {src} could not be "
                            f"read and were skipped: {', '.join(skipped)}")


def run():
  flags.mark_flags_as_required(["config"])
  cli.run(main)
