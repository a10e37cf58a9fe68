"""The derain task's evaluation: the uint8 cast."""
import io

import numpy as np
import pytest
from PIL import Image

from jaxrestore import errors, metrics, tasks


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
