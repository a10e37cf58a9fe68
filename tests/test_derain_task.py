"""The derain task's evaluation and data: the uint8 cast and Raindrop pairs of different sizes."""
import io

import numpy as np
import pytest
from PIL import Image

from jaxrestore import errors, metrics, tasks
from jaxrestore.data import datasets, raindrop


def _png(a):
  buf = io.BytesIO()
  Image.fromarray(a).save(buf, format="PNG")
  return buf.getvalue()


def _record(rainy, clean):
  return {"name": b"0_rain.png", "input": _png(rainy), "clean": _png(clean)}


def test_to_uint8_truncate_is_deraindrops_cast():
  x = np.array([0.0, 0.5 / 255, 1.99 / 255, 0.3, 0.999, 1.0], np.float32)
  np.testing.assert_array_equal(metrics.to_uint8_truncate(x),
                                np.array(x * 255., dtype="uint8"))  # in range: numpy's own cast
  np.testing.assert_array_equal(metrics.to_uint8_truncate(x), [0, 0, 1, 76, 254, 255])
  # out of range: no clipping; x86-64's wrap modulo 256
  out = np.array([-0.4 / 255, -2.5 / 255, 255.5 / 255, 256.7 / 255, 258.2 / 255], np.float32)
  np.testing.assert_array_equal(metrics.to_uint8_truncate(out), [0, 254, 255, 0, 2])
  np.testing.assert_array_equal(metrics.to_uint8(out), [0, 0, 255, 255, 255])


@pytest.mark.filterwarnings("ignore:divide by zero")  # the input is the clean image
def test_evaluate_record_casts_as_configured():
  rng = np.random.default_rng(0)
  clean = rng.integers(0, 250, (12, 16, 3), dtype=np.uint8)
  record = _record(clean, clean)
  # the output is clean + 1.6 (0-255): truncation gives clean + 1, rounding clean + 2
  apply = lambda x: {"output": x + 1.6 / 255, "attention": [x[..., :1]]}  # noqa: E731
  task = tasks.get("derain")
  psnr = {}
  for cast in ("truncate", "round"):
    opts = tasks.EvalOptions(channels=3, sigma=0.0, seed=0, uint8_cast=cast)
    result, _ = task.evaluate_record(apply, record, opts)
    psnr[cast] = result.psnr
  y_clean = metrics.luma_uint8(clean)
  for cast, shift in (("truncate", 1), ("round", 2)):
    y_out = metrics.luma_uint8((clean.astype(int) + shift).astype(np.uint8))
    mse = np.mean((y_out.astype(float) - y_clean) ** 2)
    assert psnr[cast] == pytest.approx(10 * np.log10(255 ** 2 / mse), abs=1e-9)
  assert psnr["truncate"] > psnr["round"] + 3
  with pytest.raises(errors.ConfigError, match="uint8_cast"):
    task.evaluate_record(apply, record, tasks.EvalOptions(3, 0.0, 0, uint8_cast="floor"))


def test_evaluation_of_a_pair_of_different_sizes_uses_the_common_region():
  rng = np.random.default_rng(1)
  rainy = rng.integers(0, 256, (23, 30, 3), dtype=np.uint8)
  clean = rng.integers(0, 256, (22, 33, 3), dtype=np.uint8)
  seen = []
  apply = lambda x: seen.append(x.shape) or {"output": x, "attention": [x[..., :1]]}  # noqa: E731
  result, _ = tasks.get("derain").evaluate_record(apply, _record(rainy, clean))
  assert seen == [(1, 20, 28, 3)] and (result.height, result.width) == (20, 28)


def test_raindrop_pairs_of_different_sizes_are_cropped_counted_and_reported(tmp_path,
                                                                             data_cache):
  rng = np.random.default_rng(2)
  items = [(str(i), rng.integers(0, 256, (24, 28, 3), dtype=np.uint8)) for i in range(3)]
  root = raindrop.write_raindrop(tmp_path / "rd", items, [], [])
  big = np.asarray(Image.open(root / "train/gt/1_clean.png"))
  grown = np.pad(big, ((0, 3), (0, 6), (0, 0)))  # 27x34 beside a 24x28 rainy image
  Image.fromarray(grown).save(root / "train/gt/1_clean.png")
  rainy2 = np.asarray(Image.open(root / "train/data/2_rain.png"))[:-1, :-3]  # 23x25
  Image.fromarray(rainy2).save(root / "train/data/2_rain.png")
  with pytest.warns(UserWarning, match=r"2 of 3 samples have images of different sizes.*"
                    r"1_rain.png 24x28/27x34, 2_rain.png 23x25/24x28"):
    src = datasets.load({"kind": "raindrop", "path": str(root)}, "train", data_cache)
  recs = {r["name"].decode(): r for r in src}
  shapes = {n: (datasets.decode(r, "input", 3).shape, datasets.decode(r, "clean", 3).shape,
                (int(r["height"]), int(r["width"]))) for n, r in recs.items()}
  assert shapes["0_rain.png"] == ((24, 28, 3), (24, 28, 3), (24, 28))  # untouched
  assert shapes["1_rain.png"] == ((24, 28, 3), (24, 28, 3), (24, 28))
  assert shapes["2_rain.png"] == ((20, 24, 3), (20, 24, 3), (20, 24))  # multiples of 4
  np.testing.assert_array_equal(datasets.decode(recs["1_rain.png"], "clean", 3), big)
  np.testing.assert_array_equal(datasets.decode(recs["2_rain.png"], "input", 3),
                                rainy2[:20, :24])
