"""TFDS builders and the grain pipeline on small local folders."""
import time

import numpy as np
import pytest
from PIL import Image

from jaxrestore import errors
from jaxrestore.data import datasets, images, pipeline


def _folder(root, arrays, sub="."):
  d = root / sub
  d.mkdir(parents=True, exist_ok=True)
  for name, a in arrays.items():
    Image.fromarray(a).save(d / name)
  return root


def _gray(h=48, w=40, seed=0):
  return np.random.RandomState(seed).randint(0, 255, (h, w), np.uint8)


def test_folder_dataset_round_trips_pixels(tmp_path):
  a = _gray()
  src = datasets.load({"kind": "folder", "path": str(_folder(tmp_path / "d", {"a.png": a}))},
                      "data", tmp_path / "cache")
  assert len(src) == 1 and int(src[0]["height"]) == 48 and int(src[0]["channels"]) == 1
  np.testing.assert_array_equal(datasets.decode(src[0])[:, :, 0], a)


def test_paired_folder(tmp_path):
  root = tmp_path / "snow"
  _folder(root, {"x.png": _gray(seed=1)}, "synthetic")
  _folder(root, {"x.png": _gray(seed=2)}, "gt")
  spec = {"kind": "folder", "path": str(root), "subdirs": {"input": "synthetic", "clean": "gt"}}
  src = datasets.load(spec, "data", tmp_path / "cache")
  np.testing.assert_array_equal(datasets.decode(src[0], "input")[:, :, 0], _gray(seed=1))
  _folder(root, {"y.png": _gray(seed=3)}, "synthetic")
  with pytest.raises(images.ImageError, match="y.png: no matching 'clean' image"):
    datasets.load(spec, "data", tmp_path / "cache")


def test_empty_folder(tmp_path):
  (tmp_path / "empty").mkdir()
  with pytest.raises(images.ImageError, match="no images"):
    datasets.load({"kind": "folder", "path": str(tmp_path / "empty")}, "data", tmp_path / "c")


def test_missing_folder(tmp_path):
  with pytest.raises(images.ImageError, match="dataset folder not found"):
    datasets.load({"kind": "folder", "path": str(tmp_path / "nope")}, "data", tmp_path / "c")


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_png_is_named(tmp_path, damage):
  root = _folder(tmp_path / "d", {"a.png": _gray(), "b.png": _gray(seed=1)})
  data = (root / "b.png").read_bytes()
  (root / "b.png").write_bytes(b"nonsense" if damage == "garbage" else data[:100])
  with pytest.raises(images.ImageError, match="b.png: not a readable image"):
    datasets.load({"kind": "folder", "path": str(root)}, "data", tmp_path / "c")


def test_mixed_gray_and_rgb(tmp_path):
  root = _folder(tmp_path / "d", {"a.png": _gray(), "b.png": np.zeros((8, 8, 3), np.uint8)})
  with pytest.raises(images.ImageError, match="mixed channel counts"):
    datasets.load({"kind": "folder", "path": str(root)}, "data", tmp_path / "c")


def test_images_smaller_than_crop_and_wrong_channels(tmp_path):
  root = _folder(tmp_path / "d", {"a.png": _gray(48, 40), "b.png": _gray(30, 60)})
  src = datasets.load({"kind": "folder", "path": str(root)}, "data", tmp_path / "c")
  with pytest.raises(images.ImageError, match="b.png is 30x60, smaller than the 40x40 crop"):
    pipeline.train_dataset(src, batch_size=2, crop=40, channels=1, seed=0,
                           noise=pipeline.NoiseSpec())
  with pytest.raises(images.ImageError, match="1 channel.*expects 3"):
    pipeline.train_dataset(src, batch_size=2, crop=24, channels=3, seed=0,
                           noise=pipeline.NoiseSpec())


def test_changed_folder_is_prepared_again(tmp_path):
  root = _folder(tmp_path / "d", {"a.png": _gray()})
  spec = {"kind": "folder", "path": str(root)}
  assert len(datasets.load(spec, "data", tmp_path / "c")) == 1
  _folder(root, {"b.png": _gray(seed=1)})
  assert len(datasets.load(spec, "data", tmp_path / "c")) == 2


def _batches(src, n, **kw):
  it = iter(pipeline.train_dataset(src, batch_size=4, crop=16, channels=1, seed=7,
                                   noise=pipeline.NoiseSpec(sigma=25.0), **kw))
  return [next(it) for _ in range(n)], it


def test_pipeline_is_deterministic_and_resumable(tmp_path):
  root = _folder(tmp_path / "d", {f"{i}.png": _gray(seed=i) for i in range(5)})
  src = datasets.load({"kind": "folder", "path": str(root)}, "data", tmp_path / "c")
  ref, _ = _batches(src, 6)
  first, it = _batches(src, 3)
  state = it.get_state()
  it2 = iter(pipeline.train_dataset(src, batch_size=4, crop=16, channels=1, seed=7,
                                    noise=pipeline.NoiseSpec(sigma=25.0)))
  it2.set_state(state)
  rest = [next(it2) for _ in range(3)]
  for a, b in zip(ref, first + rest):
    np.testing.assert_array_equal(a["input"], b["input"])
  b = ref[0]
  assert b["input"].shape == (4, 16, 16, 1) and b["input"].dtype == np.float32
  noise = b["input"] - b["target"]
  assert abs(noise.std() - 25 / 255) < 0.01  # sigma as configured, not clipped


def test_worker_processes_give_the_same_batches(tmp_path):
  root = _folder(tmp_path / "d", {f"{i}.png": _gray(seed=i) for i in range(5)})
  src = datasets.load({"kind": "folder", "path": str(root)}, "data", tmp_path / "c")
  ref, _ = _batches(src, 3)
  par, it = _batches(src, 3, num_workers=2)
  del it
  for a, b in zip(ref, par):
    np.testing.assert_array_equal(a["input"], b["input"])


class _CountingSource:
  """A data source that counts the records read from it."""

  def __init__(self, source):
    self.source, self.reads = source, 0

  def __len__(self):
    return len(self.source)

  def __getitem__(self, i):
    self.reads += 1
    return self.source[i]


def test_pipeline_reads_at_most_prefetch_batches_ahead(tmp_path):
  """grain's own default reads 500 batches ahead; the pipeline's ``prefetch`` bounds it,
  and neither it nor ``read_threads`` changes the batches."""
  root = _folder(tmp_path / "d", {f"{i}.png": _gray(seed=i) for i in range(5)})
  src = datasets.load({"kind": "folder", "path": str(root)}, "data", tmp_path / "c")
  ref, _ = _batches(src, 3)
  counting = _CountingSource(src)
  got, it = _batches(counting, 3, read_threads=3, prefetch=2)
  for a, b in zip(ref, got):
    np.testing.assert_array_equal(a["input"], b["input"])
  time.sleep(0.5)  # time for the threads to fill the buffer
  after_check = len(src)  # check_source reads every record once
  # 3 batches of 4 consumed, at most 2 prefetched and 3 in the threads' hands
  assert counting.reads - after_check <= (3 + 2 + 3) * 4, counting.reads
  del it
  with pytest.raises(errors.ConfigError, match="must be at least 1"):
    _batches(src, 1, prefetch=0)


def test_noise_modes():
  rng = np.random.default_rng(0)
  clean = np.full((64, 64, 1), 0.5, np.float32)
  spec = pipeline.NoiseSpec(sigma_min=0.0, sigma_max=50.0)
  stds = [float((spec.apply(clean, rng) - clean).std() * 255) for _ in range(200)]
  assert 0 <= min(stds) < 5 and 45 < max(stds) <= 51
  poisson = pipeline.NoiseSpec(kind="poisson", peak=10.0).apply(clean, rng)
  assert abs(float(poisson.mean()) - 0.5) < 0.02 and np.allclose(poisson * 10, np.round(poisson * 10))
  with pytest.raises(ValueError, match="both sigma_min and sigma_max"):
    pipeline.NoiseSpec(sigma_min=1.0)


def test_augment_8_gives_the_dihedral_group():
  x = np.arange(6).reshape(2, 3, 1)
  outs = {pipeline.augment_8(x, m).tobytes() + bytes(pipeline.augment_8(x, m).shape)
          for m in range(8)}
  assert len(outs) == 8
