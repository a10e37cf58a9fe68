"""Datasets as TFDS builders stored as array_record, read without TensorFlow.

Records hold the encoded image files (PNG/JPEG bytes, decoded with Pillow in the
input pipeline) plus name, height, width and channels, so a pipeline can check
sizes before it starts. Nothing is ever downloaded:

* ``ImageFolder``: a local directory (manual-dir style). Either the images sit
  directly in it (clean only, e.g. BSD train400), or it has sub-folders of
  same-named images, one per feature (e.g. ``{"input": "synthetic", "clean":
  "gt", "mask": "mask"}``). One builder config per folder and content
  fingerprint, so a changed folder is prepared again. The ``snow100k`` kind is
  the same builder over Snow100K's layout with its train and S/M/L test splits;
  the ``raindrop`` kind over Raindrop's (Qian et al. 2018), whose partners differ
  by a per-folder name rule: ``data/N_rain.png`` pairs with ``gt/N_clean.png``.
  Some released Raindrop pairs differ in size by a few pixels (the authors'
  predict.py crops each image to a multiple of 4): such a pair is cropped to the
  two images' common top-left region, H and W multiples of 4, stored as PNG, and
  the count is reported (a warning and the log) when the split is prepared. Other
  kinds refuse a sample whose images differ in size.
* ``SkimageSamples``: the embedded default, made from images scikit-image ships
  (configs ``gray`` and ``rgb``; the validation split is ``camera`` / ``astronaut``).

``load(spec, split, cache_dir)`` prepares (once) and returns a random-access data
source; every record is checked while preparing, so a corrupt file, an image of
the wrong channel count or mixed gray/RGB content fails there with its name.
"""
import contextlib
import hashlib
import io
import os
import warnings
from pathlib import Path

import numpy as np
import tensorflow_datasets as tfds
from absl import logging
from PIL import Image

from jaxrestore import errors
from jaxrestore.data import images

DEFAULT_CACHE = Path(os.environ.get("JAXRESTORE_DATA_CACHE",
                                    Path.home() / ".cache" / "jaxrestore" / "tfds"))

_BYTES = lambda: tfds.features.Tensor(shape=(), dtype=np.object_)  # noqa: E731
_INT = lambda: tfds.features.Scalar(dtype=np.int32)  # noqa: E731


def _features(image_keys):
  return tfds.features.FeaturesDict({
      **{k: _BYTES() for k in image_keys},
      "name": tfds.features.Text(), "height": _INT(), "width": _INT(), "channels": _INT()})


def _check_record(name: str, arrays: dict[str, np.ndarray]) -> tuple[int, int, int]:
  """Checks a record's images agree in size; returns (H, W, channels of 'clean')."""
  shapes = {k: a.shape for k, a in arrays.items()}
  hw = {s[:2] for s in shapes.values()}
  if len(hw) != 1:
    raise images.ImageError(f"{name}: images of one sample differ in size: {shapes}")
  ref = arrays.get("clean", next(iter(arrays.values())))
  return ref.shape[0], ref.shape[1], ref.shape[2]


class _Checked:
  """Tracks channel counts over a split: mixed gray/RGB content is an error."""

  def __init__(self, where):
    self.where, self.seen = where, {}

  def add(self, name, channels):
    self.seen.setdefault(channels, name)
    if len(self.seen) > 1:
      (c1, n1), (c2, n2) = sorted(self.seen.items())
      raise images.ImageError(
          f"{self.where}: mixed channel counts: {n1} has {c1}, {n2} has {c2}; "
          "keep one kind of image per dataset")


def _crop_to_common(name: str, arrays: dict[str, np.ndarray], multiple: int):
  """The images of one sample cropped to their common top-left region, H and W
  multiples of ``multiple``."""
  h = min(a.shape[0] for a in arrays.values()) // multiple * multiple
  w = min(a.shape[1] for a in arrays.values()) // multiple * multiple
  if h == 0 or w == 0:
    raise images.ImageError(f"{name}: images of one sample differ in size and share less "
                            f"than {multiple}x{multiple} pixels: "
                            f"{ {k: a.shape for k, a in arrays.items()} }")
  return {k: a[:h, :w] for k, a in arrays.items()}


class ImageFolderConfig(tfds.core.BuilderConfig):
  """``stems``: (key, suffix) name rules: a sample's file in that key's folder is
  named ``<id><suffix>.<ext>`` (keys without a rule: ``<id>.<ext>``).
  ``crop_mismatched``: 0 refuses a sample whose images differ in size; k > 0 crops
  them to their common top-left region, H and W multiples of k (Raindrop: 4)."""

  def __init__(self, *, folder: str, subdirs: tuple[tuple[str, str], ...],
               splits: tuple[tuple[str, str], ...] = (("data", "."),),
               stems: tuple[tuple[str, str], ...] = (), crop_mismatched: int = 0, **kw):
    super().__init__(**kw)
    self.folder, self.subdirs, self.splits, self.stems = folder, subdirs, splits, stems
    self.crop_mismatched = crop_mismatched


def _fingerprint(folder: Path, subdirs, splits=(("data", "."),)) -> str:
  h = hashlib.sha256(str(folder.resolve()).encode())
  for split, rel in splits:
    for key, sub in subdirs:
      d = folder / rel / sub
      for p in (images.list_images(d) if d.is_dir() else []):
        st = p.stat()
        h.update(f"{split}/{key}/{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
  return h.hexdigest()[:16]


# Snow100K (Liu et al. 2018): {synthetic, gt, mask} folders of same-named images per split.
SNOW100K_SUBDIRS = (("input", "synthetic"), ("clean", "gt"), ("mask", "mask"))
SNOW100K_SPLITS = {"train": ("train", "all"),
                   **{f"test_{s.lower()}": (f"test/Snow100K-{s}", f"Snow100K-{s}")
                      for s in "SML"}}


def snow100k_splits(root: Path) -> tuple[tuple[str, str], ...]:
  """(split, folder) for each Snow100K split present under ``root``.

  Accepts ``train/`` (or ``all/``, as the released archive) and
  ``test/Snow100K-{S,M,L}/`` (or ``Snow100K-{S,M,L}/`` at the top).
  """
  found = []
  for split, candidates in SNOW100K_SPLITS.items():
    for rel in candidates:
      if (root / rel / "synthetic").is_dir():
        found.append((split, rel))
        break
  if not found:
    raise images.ImageError(
        f"{root}: no Snow100K split found (expected train/synthetic, "
        "test/Snow100K-{S,M,L}/synthetic, each with gt/ and mask/ beside it)")
  return tuple(found)


# Raindrop (Qian et al. 2018): {train,test_a,test_b}/{data,gt}/N_{rain,clean}.{png,jpg}.
RAINDROP_SUBDIRS = (("input", "data"), ("clean", "gt"))
RAINDROP_STEMS = (("input", "_rain"), ("clean", "_clean"))
RAINDROP_SPLITS = ("train", "test_a", "test_b")


def raindrop_splits(root: Path) -> tuple[tuple[str, str], ...]:
  """(split, folder) for each Raindrop split (train, test_a, test_b) present under ``root``."""
  found = tuple((s, s) for s in RAINDROP_SPLITS if (root / s / "data").is_dir())
  if not found:
    raise images.ImageError(f"{root}: no Raindrop split found (expected train/data, "
                            "test_a/data or test_b/data, each with gt/ beside it)")
  return found


class ImageFolder(tfds.core.GeneratorBasedBuilder):
  """Images from a local folder; see the module docstring."""

  VERSION = tfds.core.Version("1.0.0")

  def _info(self):
    return self.dataset_info_from_configs(
        features=_features([k for k, _ in self.builder_config.subdirs]))

  def _split_generators(self, dl_manager):
    root = Path(self.builder_config.folder)
    return {split: self._generate_examples(root / rel) for split, rel in
            self.builder_config.splits}

  def _generate_examples(self, folder: Path):
    cfg = self.builder_config
    first_key, first_dir = cfg.subdirs[0]
    stems = dict(cfg.stems)
    checked = _Checked(folder)
    cropped, total = [], 0
    for path in images.list_images(folder / first_dir):
      total += 1
      suffix = stems.get(first_key, "")
      if not path.stem.endswith(suffix):
        raise images.ImageError(f"{path}: expected a name ending in '{suffix}{path.suffix}'")
      sample_id = path.stem[:len(path.stem) - len(suffix)]
      files = {first_key: path}
      for key, sub in cfg.subdirs[1:]:
        stem = sample_id + stems.get(key, "")
        other = folder / sub / (stem + path.suffix)
        if not other.is_file():
          matches = sorted((folder / sub).glob(stem + ".*"))
          if len(matches) != 1:
            raise images.ImageError(
                f"{path}: no matching '{key}' image {stem}.* in {folder / sub}")
          other = matches[0]
        files[key] = other
      arrays = {k: images.read_uint8(p) for k, p in files.items()}
      record = {k: p.read_bytes() for k, p in files.items()}
      if cfg.crop_mismatched and len({a.shape[:2] for a in arrays.values()}) > 1:
        sizes = "/".join(f"{a.shape[0]}x{a.shape[1]}" for a in arrays.values())
        cropped.append(f"{path.name} {sizes}")
        arrays = _crop_to_common(str(path), arrays, cfg.crop_mismatched)
        record = {k: _png(a) for k, a in arrays.items()}
      h, w, c = _check_record(str(path), arrays)
      checked.add(str(path), c)
      yield path.name, {**record, "name": path.name, "height": h, "width": w, "channels": c}
    if cropped:
      message = (f"{folder}: {len(cropped)} of {total} samples have images of different sizes; "
                 f"each cropped to its common top-left region, H and W multiples of "
                 f"{cfg.crop_mismatched}: {', '.join(cropped[:10])}"
                 f"{' ...' if len(cropped) > 10 else ''}")
      logging.warning(message)
      warnings.warn(message)


def _png(arr: np.ndarray) -> bytes:
  buf = io.BytesIO()
  Image.fromarray(arr).save(buf, format="PNG")
  return buf.getvalue()


SKIMAGE_SAMPLES = {
    "gray": {"train": ["brick", "grass", "gravel", "clock", "coins", "moon", "page", "text",
                       "astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry"],
             "validation": ["camera"]},
    "rgb": {"train": ["chelsea", "coffee", "rocket", "immunohistochemistry",
                      "hubble_deep_field", "colorwheel"],
            "validation": ["astronaut"]},
}


class SkimageSamples(tfds.core.GeneratorBasedBuilder):
  """Natural images shipped with scikit-image: the embedded default data."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [tfds.core.BuilderConfig(name="gray"), tfds.core.BuilderConfig(name="rgb")]

  def _info(self):
    return self.dataset_info_from_configs(features=_features(["clean"]))

  def _split_generators(self, dl_manager):
    splits = SKIMAGE_SAMPLES[self.builder_config.name]
    return {split: self._generate_examples(names) for split, names in splits.items()}

  def _generate_examples(self, names):
    import skimage.data  # pylint: disable=g-import-not-at-top

    gray = self.builder_config.name == "gray"
    for name in names:
      img = np.asarray(getattr(skimage.data, name)())
      if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
      if gray and img.ndim == 3:
        img = np.asarray(Image.fromarray(img).convert("L"))  # BT.601 luma
      if not gray and img.ndim == 2:
        continue
      h, w = img.shape[:2]
      yield name, {"clean": _png(img), "name": name, "height": h, "width": w,
                   "channels": 1 if gray else 3}


def embedded_rgb(split: str) -> list[tuple[str, np.ndarray]]:
  """The embedded RGB images of ``split`` ('train' / 'validation') as (name, uint8 HWC)."""
  import skimage.data  # pylint: disable=g-import-not-at-top
  return [(n, np.asarray(getattr(skimage.data, n)())[..., :3])
          for n in SKIMAGE_SAMPLES["rgb"][split]
          if np.asarray(getattr(skimage.data, n)()).ndim == 3]


def _synthetic_snow(spec: dict, cache_dir: Path) -> Path:
  """A Snow100K-layout set synthesised once from the embedded images into the cache."""
  from jaxrestore.data import snow  # pylint: disable=g-import-not-at-top
  size, seed = int(spec.get("max_size", 128)), int(spec.get("seed", 0))
  root = cache_dir / "synthetic_snow" / f"skimage_{size}_{seed}"
  if not (root / "train").is_dir():  # write_snow100k moves a complete set into place
    crop = lambda items: [(n, a[:size, :size]) for n, a in items]  # noqa: E731
    snow.write_snow100k(root, crop(embedded_rgb("train")), crop(embedded_rgb("validation")),
                        seed=seed)
  return root


def _synthetic_raindrop(spec: dict, cache_dir: Path, min_images: int = 4) -> Path:
  """A Raindrop-layout set synthesised once from the embedded images into the cache:
  train from the 'train' images, test_a / test_b from the 'validation' ones, each
  image rendered with several drop patterns where a split would have fewer than
  ``min_images``."""
  from jaxrestore.data import raindrop  # pylint: disable=g-import-not-at-top
  size, seed = int(spec.get("max_size", 128)), int(spec.get("seed", 0))
  root = cache_dir / "synthetic_raindrop" / f"skimage_{size}_{seed}"
  if not root.is_dir():  # write_raindrop moves a complete set into place
    def crop(split):
      items = [(n, a[:size, :size]) for n, a in embedded_rgb(split)]
      copies = -(-min_images // len(items))
      return [(f"{n}_{k}", a) for k in range(copies) for n, a in items]
    raindrop.write_raindrop(root, crop("train"), crop("validation"), crop("validation"),
                            seed=seed)
  return root


@contextlib.contextmanager
def _tfds_console_to_log():
  """What TFDS prints while it prepares a dataset (a line on stdout, progress bars) goes to
  the log instead of the console."""
  printed = io.StringIO()
  tfds.display_progress_bar(False)
  try:
    with contextlib.redirect_stdout(printed):
      yield
  finally:
    tfds.display_progress_bar(True)
    for line in printed.getvalue().splitlines():
      logging.info("tfds: %s", line)


def load(spec: dict, split: str, cache_dir: str | os.PathLike | None = None):
  """Prepares (if needed) and returns the data source of ``spec``'s ``split``.

  ``spec``: ``{"kind": "skimage", "config": "gray"}``, ``{"kind": "folder",
  "path": "...", "subdirs": {"clean": "."}}`` (one split, "data") or
  ``{"kind": "snow100k", "path": root}`` (splits train, test_s, test_m, test_l;
  keys input / clean / mask) or ``{"kind": "synthetic_snow", "max_size": 128,
  "seed": 0}`` (the same, synthesised once from the embedded images) or
  ``{"kind": "raindrop", "path": root}`` (splits train, test_a, test_b, whichever
  exist; keys input / clean) or ``{"kind": "synthetic_raindrop", "max_size": 128,
  "seed": 0}`` (the same, synthesised once from the embedded images).
  """
  cache_dir = Path(cache_dir or DEFAULT_CACHE)
  kind = spec["kind"]
  if kind == "synthetic_snow":
    return load({"kind": "snow100k", "path": str(_synthetic_snow(spec, cache_dir))}, split,
                cache_dir)
  if kind == "synthetic_raindrop":
    return load({"kind": "raindrop", "path": str(_synthetic_raindrop(spec, cache_dir))}, split,
                cache_dir)
  if kind == "skimage":
    builder = SkimageSamples(config=spec.get("config", "gray"), data_dir=cache_dir,
                             file_format="array_record")
  elif kind in ("folder", "snow100k", "raindrop"):
    folder = Path(spec["path"])
    if not folder.is_dir():
      raise images.ImageError(f"dataset folder not found: {folder}")
    stems = ()
    if kind == "snow100k":
      subdirs, splits = SNOW100K_SUBDIRS, snow100k_splits(folder)
    elif kind == "raindrop":
      subdirs, splits, stems = RAINDROP_SUBDIRS, raindrop_splits(folder), RAINDROP_STEMS
    else:
      subdirs = tuple((spec.get("subdirs") or {"clean": "."}).items())
      splits = (("data", "."),)
    for _, rel in splits:
      for _, sub in subdirs:
        images.list_images(folder / rel / sub)  # missing or empty: a clear error now
    name = f"{kind}_{folder.resolve().name}_{_fingerprint(folder, subdirs, splits)}".lower()
    name = "".join(ch if ch.isalnum() else "_" for ch in name)
    builder = ImageFolder(config=ImageFolderConfig(name=name, folder=str(folder.resolve()),
                                                   subdirs=subdirs, splits=splits,
                                                   stems=stems,
                                                   crop_mismatched=4 if kind == "raindrop" else 0),
                          data_dir=cache_dir, file_format="array_record")
  else:
    raise errors.ConfigError(f"unknown dataset kind {kind!r} (expected 'skimage', 'folder', "
                             "'snow100k', 'synthetic_snow', 'raindrop' or 'synthetic_raindrop')")
  with _tfds_console_to_log():
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
        manual_dir=spec.get("path")))
  if split not in builder.info.splits:
    raise errors.ConfigError(f"dataset has no split {split!r}; it has "
                             f"{list(builder.info.splits)}")
  return builder.as_data_source(split=split)


def decode(record: dict, key: str = "clean", channels: int | None = None) -> np.ndarray:
  """uint8 HWC from a record's encoded image bytes (``images.read_uint8``'s checks)."""
  name = record.get("name", "?")
  return images.decode_uint8(record[key], name if key == "clean" else f"{name} ({key})",
                             channels)


def decode_mask(record: dict, key: str = "mask") -> np.ndarray:
  """A mask image as one channel, uint8 (H, W, 1): a gray file as it is, an RGB one
  (Snow100K's ``mask/`` images may be stored so) as its luma (``images.luma``)."""
  mask = decode(record, key, None)
  return images.luma(mask) if mask.shape[-1] == 3 else mask
