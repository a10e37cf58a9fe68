"""Snow synthesis (formation model, presets) and the Snow100K-layout builder."""
import numpy as np
import pytest
import skimage.data

from jaxrestore.data import datasets, images, pipeline, snow


def _clean(h=96, w=80):
  return np.asarray(skimage.data.astronaut())[:h, :w]


def test_formation_model_and_ranges():
  clean = _clean()
  snowy, mask = snow.synthesize(clean, np.random.default_rng(0), "M")
  assert snowy.shape == clean.shape and mask.shape == clean.shape[:2]
  assert snowy.dtype == mask.dtype == np.uint8
  free = mask == 0
  assert free.mean() > 0.3 and np.array_equal(snowy[free], clean[free])  # no snow: untouched
  # x = a z + y (1 - z): the implied aberration a is near white (in [0.75, 1]) where z is
  # large enough to estimate it (uint8 rounding: +-0.5/255 on x, y and z)
  z = (mask / 255.0)[..., None]
  snowy_f, clean_f = snowy / 255.0, clean / 255.0
  strong = z[..., 0] > 0.3
  assert strong.sum() > 20
  a = (snowy_f - clean_f * (1 - z)) / np.maximum(z, 1e-6)
  assert a[strong].min() > 0.75 - 0.02 and a[strong].max() < 1.0 + 0.02


def test_presets_grow_from_s_to_l_and_are_seeded():
  clean = _clean(128, 128)
  cover = [snow.synthesize(clean, np.random.default_rng(1), p)[1].mean() for p in "SML"]
  assert cover[0] < cover[1] < cover[2]
  a = snow.synthesize(clean, np.random.default_rng(5), "L")
  b = snow.synthesize(clean, np.random.default_rng(5), "L")
  assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_gray_image_is_refused():
  with pytest.raises(images.ImageError, match="RGB"):
    snow.synthesize(np.zeros((8, 8), np.uint8), np.random.default_rng(0))


def test_snow100k_layout_round_trip(tmp_path, data_cache):
  train = [(f"im{i}.png", _clean(64 + 8 * i, 72)) for i in range(3)]
  test = [("t0.png", _clean(48, 56))]
  root = snow.write_snow100k(tmp_path / "snow", train, test, seed=0)
  with pytest.raises(FileExistsError):
    snow.write_snow100k(root, train, test)
  src = datasets.load({"kind": "snow100k", "path": str(root)}, "train", data_cache)
  assert len(src) == 3
  for split in ("test_s", "test_m", "test_l"):
    assert len(datasets.load({"kind": "snow100k", "path": str(root)}, split, data_cache)) == 1
  rec = src[0]
  clean = datasets.decode(rec, "clean", 3)
  mask = datasets.decode(rec, "mask")
  snowy = datasets.decode(rec, "input", 3)
  assert clean.shape[:2] == mask.shape[:2] == snowy.shape[:2] and mask.shape[-1] == 1
  # the pipeline's paired mode crops all three at the same place
  ds = pipeline.train_dataset(src, batch_size=2, crop=32, channels=3, seed=0, mode="paired",
                              keys=("input", "clean", "mask"), augment=True)
  batch = next(iter(ds))
  assert batch["input"].shape == (2, 32, 32, 3) and batch["mask"].shape == (2, 32, 32, 1)
  free = batch["mask"][..., 0] == 0
  np.testing.assert_array_equal(batch["input"][free], batch["clean"][free])


def test_snow100k_missing_layout_is_a_clear_error(tmp_path, data_cache):
  (tmp_path / "x").mkdir()
  with pytest.raises(images.ImageError, match="no Snow100K split"):
    datasets.load({"kind": "snow100k", "path": str(tmp_path / "x")}, "train", data_cache)


def test_rgb_mask_files_are_read_as_one_channel_by_the_pipeline(tmp_path, data_cache):
  """Real Snow100K's mask/ images may be RGB: the pipeline gives the loss their luma."""
  root = snow.write_snow100k(tmp_path / "snow", [("a.png", _clean(40, 40))], [], seed=0)
  path = root / "train" / "mask" / "a.png"
  gray = images.read_uint8(path)[..., 0]
  rgb = np.stack([gray, gray // 2, 255 - gray], -1)  # channels differ: luma is none of them
  images.write_image(path, rgb)
  src = datasets.load({"kind": "snow100k", "path": str(root)}, "train", data_cache)
  ds = pipeline.train_dataset(src, batch_size=1, crop=40, channels=3, seed=0, mode="paired",
                              keys=("input", "clean", "mask"), augment=False)
  mask = next(iter(ds))["mask"][0]
  assert mask.shape == (40, 40, 1)
  expected = images.luma(rgb) / np.float32(255.0)
  np.testing.assert_array_equal(mask, expected.astype(np.float32))
  assert not np.array_equal(mask[..., 0], (rgb[..., 0] / np.float32(255.0)).astype(np.float32))
