"""Raindrop synthesis (refracting drops, presets) and the Raindrop-layout builder."""
import dataclasses

import numpy as np
import pytest
import skimage.data
from scipy import ndimage

from jaxrestore.data import datasets, images, raindrop


def _clean(h=32, w=40, top=0):
  return np.ascontiguousarray(np.asarray(skimage.data.astronaut())[::4, ::4][top:top + h, :w])


def test_output_types_and_seeding():
  clean = _clean()
  rainy, cover = raindrop.synthesize(clean, np.random.default_rng(0))
  assert rainy.shape == clean.shape and rainy.dtype == np.uint8
  assert cover.shape == clean.shape[:2] and cover.dtype == np.float32
  assert 0 <= cover.min() and cover.max() <= 1 and 0 < (cover > 0).mean() < 1
  again = raindrop.synthesize(clean, np.random.default_rng(0))
  assert np.array_equal(rainy, again[0]) and np.array_equal(cover, again[1])
  assert not np.array_equal(rainy, raindrop.synthesize(clean, np.random.default_rng(1))[0])


def test_pixels_change_only_under_drops():
  clean = _clean(64, 64)
  rainy, cover = raindrop.synthesize(clean, np.random.default_rng(3), "heavy")
  free = cover == 0
  assert free.mean() > 0.3 and np.array_equal(rainy[free], clean[free])
  assert np.abs(rainy[cover > 0.5].astype(int) - clean[cover > 0.5]).mean() > 5
  # with a background defocus, the drop-free pixels are exactly the blurred clean image
  rainy, cover = raindrop.synthesize(clean, np.random.default_rng(3), "heavy",
                                     background_blur=1.0)
  blurred = ndimage.gaussian_filter(clean.astype(np.float64), (1.0, 1.0, 0))
  blurred = np.clip(np.round(blurred), 0, 255).astype(np.uint8)
  free = cover == 0
  assert free.mean() > 0.3 and np.array_equal(rainy[free], blurred[free])


def test_drop_shows_the_scene_mirrored_and_zoomed_out():
  # red ramps along x, green along y; one round drop in the middle with zoom 2: a pixel
  # at p - c from the centre shows the scene at c - 2 (p - c), i.e. the ramps reversed
  # and twice as steep (the clean image at the same place has them rising)
  yy, xx = np.mgrid[0:64, 0:64]
  clean = np.stack([40 + 2 * xx, 40 + 2 * yy, np.full_like(xx, 128)], -1).astype(np.uint8)
  drop = raindrop.Drop(y=32.0, x=32.0, radius=10.0, zoom=2.0, fisheye=0.0, defocus=0.0,
                       edge=1.0, rim=0.0)
  rainy, cover = raindrop.render(clean, [drop])
  inside = cover == 1.0
  assert inside.sum() > 200
  np.testing.assert_allclose(rainy[..., 0][inside], (40 + 2 * (32 - 2 * (xx - 32)))[inside],
                             atol=1)
  np.testing.assert_allclose(rainy[..., 1][inside], (40 + 2 * (32 - 2 * (yy - 32)))[inside],
                             atol=1)
  np.testing.assert_array_equal(rainy[..., 2][inside], 128)
  assert np.array_equal(rainy[cover == 0], clean[cover == 0])
  # a fisheye zooms out further towards the rim: the view reaches further out there
  fish, _ = raindrop.render(clean, [dataclasses.replace(drop, fisheye=0.5)])
  rim = inside & (np.abs(xx - 32) > 4)
  assert np.all(np.abs(fish[..., 0][rim].astype(int) - 104)
                > np.abs(rainy[..., 0][rim].astype(int) - 104))


def test_random_drops_are_not_a_tint_of_the_clean_image():
  # inside drops the content comes from elsewhere: no per-channel affine map of the
  # clean pixels at the same place explains it (r^2 of a linear fit stays low)
  clean = _clean(96, 96)
  for seed in range(3):
    rainy, cover = raindrop.synthesize(clean, np.random.default_rng(seed), "heavy")
    inside = cover > 0.99
    assert inside.sum() > 500
    for ch in range(3):
      r = np.corrcoef(clean[..., ch][inside], rainy[..., ch][inside])[0, 1]
      assert r * r < 0.6


def test_presets_grow_from_light_to_heavy():
  clean = _clean(96, 96)
  cover = [np.mean([raindrop.synthesize(clean, np.random.default_rng(s), p)[1].mean()
                    for s in range(4)]) for p in ("light", "medium", "heavy")]
  assert cover[0] < cover[1] < cover[2]


def test_gray_image_is_refused():
  with pytest.raises(images.ImageError, match="RGB"):
    raindrop.synthesize(np.zeros((8, 8), np.uint8), np.random.default_rng(0))


def _items(n, top=0):
  return [(f"im{i}.png", _clean(32, 40, top + 8 * i)) for i in range(n)]


def test_write_raindrop_layout(tmp_path):
  root = raindrop.write_raindrop(tmp_path / "rd", _items(2), _items(1, 20), _items(2, 40))
  files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
  assert files == ["test_a/data/0_rain.png", "test_a/gt/0_clean.png",
                   "test_b/data/0_rain.jpg", "test_b/data/1_rain.jpg",
                   "test_b/gt/0_clean.jpg", "test_b/gt/1_clean.jpg",
                   "train/data/0_rain.png", "train/data/1_rain.png",
                   "train/gt/0_clean.png", "train/gt/1_clean.png"]
  assert sorted(p.name for p in tmp_path.iterdir()) == ["rd"]  # no staging folder left
  np.testing.assert_array_equal(images.read_uint8(root / "train/gt/1_clean.png"), _items(2)[1][1])
  with pytest.raises(FileExistsError):
    raindrop.write_raindrop(root, _items(1), [], [])
  # into an existing empty folder; a split without items is left out
  (tmp_path / "empty").mkdir()
  root = raindrop.write_raindrop(tmp_path / "empty", _items(1), [], [])
  assert sorted(p.name for p in root.iterdir()) == ["train"]


def test_raindrop_layout_round_trip(tmp_path, data_cache):
  items = {"train": _items(3), "test_a": _items(2, 20), "test_b": _items(2, 40)}
  root = raindrop.write_raindrop(tmp_path / "rd", *items.values(), seed=1)
  for split, ext in (("train", ".png"), ("test_a", ".png"), ("test_b", ".jpg")):
    src = datasets.load({"kind": "raindrop", "path": str(root)}, split, data_cache)
    assert len(src) == len(items[split])
    for rec in src:
      name = rec["name"].decode()
      n = name.split("_")[0]
      assert name == f"{n}_rain{ext}"
      assert rec["input"] == (root / split / "data" / f"{n}_rain{ext}").read_bytes()
      assert rec["clean"] == (root / split / "gt" / f"{n}_clean{ext}").read_bytes()
      clean = datasets.decode(rec, "clean", 3)
      want = items[split][int(n)][1]
      err = [np.abs(clean.astype(int) - a).mean() for _, a in items[split]]
      assert np.argmin(err) == int(n)  # its own ground truth, not another one's
      assert err[int(n)] == 0 if ext == ".png" else err[int(n)] < 8  # JPEG q95 of a tiny image
      assert datasets.decode(rec, "input", 3).shape == want.shape
  with pytest.raises(ValueError, match="no split 'test'"):
    datasets.load({"kind": "raindrop", "path": str(root)}, "test", data_cache)


def test_raindrop_layout_errors(tmp_path, data_cache):
  root = raindrop.write_raindrop(tmp_path / "rd", _items(2), [], [])
  (root / "train/gt/1_clean.png").unlink()
  with pytest.raises(images.ImageError, match="1_rain.png: no matching 'clean' image 1_clean"):
    datasets.load({"kind": "raindrop", "path": str(root)}, "train", data_cache)
  (root / "train/data/1_rain.png").rename(root / "train/data/1.png")
  with pytest.raises(images.ImageError, match=r"1.png: expected a name ending in '_rain.png'"):
    datasets.load({"kind": "raindrop", "path": str(root)}, "train", data_cache)
  (tmp_path / "none").mkdir()
  with pytest.raises(images.ImageError, match="no Raindrop split"):
    datasets.load({"kind": "raindrop", "path": str(tmp_path / "none")}, "train", data_cache)


def test_synthetic_raindrop_kind(data_cache):
  spec = {"kind": "synthetic_raindrop", "max_size": 32, "seed": 0}
  train = datasets.load(spec, "train", data_cache)
  assert len(train) == len(datasets.embedded_rgb("train"))
  for split in ("test_a", "test_b"):  # the one validation image, with several drop patterns
    src = datasets.load(spec, split, data_cache)
    assert len(src) == 4
    inputs = [datasets.decode(r, "input", 3) for r in src]
    assert all(not np.array_equal(inputs[0], x) for x in inputs[1:])
    assert all(r["clean"][:2] == (b"\xff\xd8" if split == "test_b" else b"\x89P") for r in src)
  assert datasets.decode(train[0], "clean", 3).shape[:2] == (32, 32)
