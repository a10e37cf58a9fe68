"""The desnow task's two evaluation protocols: whole images (uint8) and the paper's crops."""
import io

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import structural_similarity

from jaxrestore import errors, tasks
from jaxrestore.tasks import desnow


def _png(a):
  buf = io.BytesIO()
  Image.fromarray(a).save(buf, format="PNG")
  return buf.getvalue()


def _record(h=90, w=110, seed=0):
  rng = np.random.default_rng(seed)
  clean = rng.integers(0, 200, (h, w, 3), dtype=np.uint8)
  snowy = np.clip(clean.astype(int) + rng.integers(0, 60, (h, w, 3)), 0, 255).astype(np.uint8)
  return {"name": b"img.png", "input": _png(snowy), "clean": _png(clean)}, snowy, clean


def _brighten(x):  # a fake model: y_hat = x + 0.3, clipped by the evaluation
  return {"y_hat": x + 0.3, "z": x[..., :1]}


def _skimage_ssim(a, b, data_range):  # jaxrestore.metrics.ssim's definition
  return structural_similarity(a, b, channel_axis=-1, data_range=data_range,
                               gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


def _opts(protocol, seed=0):
  return tasks.EvalOptions(channels=3, sigma=0.0, seed=seed, protocol=protocol)


def test_crops_are_aligned_seeded_and_of_the_papers_size():
  a = np.arange(90 * 110 * 3).reshape(90, 110, 3)
  record = {"name": b"img.png"}
  ca, cb = desnow.crop_batch(record, 0, a, a + 1)
  assert ca.shape == (5, 64, 64, 3)
  np.testing.assert_array_equal(cb - ca, 1)  # the same windows in every array
  np.testing.assert_array_equal(desnow.crop_batch(record, 0, a)[0], ca)
  assert not np.array_equal(desnow.crop_batch(record, 1, a)[0], ca)


def test_crops_protocol_is_the_batch_psnr_of_the_clipped_float_output_and_input_ssim():
  record, snowy, clean = _record()
  result, _ = desnow.evaluate_record(_brighten, record, _opts("crops"))
  x, y = desnow.crop_batch(record, 0, snowy / np.float32(255), clean / np.float32(255))
  out = np.clip(x + 0.3, 0, 1)  # float, clipped: no uint8 rounding
  assert result.protocol == "crops"
  assert result.psnr == pytest.approx(10 * np.log10(1 / np.mean((out - y) ** 2)), abs=1e-4)
  assert result.psnr_input == pytest.approx(10 * np.log10(1 / np.mean((x - y) ** 2)), abs=1e-4)
  ssim = lambda a, b: np.mean([_skimage_ssim(p, q, 1.0) for p, q in zip(a, b)])  # noqa: E731
  assert result.ssim == pytest.approx(ssim(out, y), abs=1e-4)
  assert result.metrics["ssim_input"] == pytest.approx(ssim(x, y), abs=1e-4)
  whole, _ = desnow.evaluate_record(_brighten, record, _opts(""))
  assert whole.protocol == "whole" and abs(whole.psnr - result.psnr) > 1e-3
  assert whole.metrics["ssim_input"] == pytest.approx(  # the input's, uint8
      _skimage_ssim(snowy.astype(np.float64), clean.astype(np.float64), 255.0), abs=1e-4)


def test_unknown_protocol_and_too_small_images_are_errors():
  record, *_ = _record()
  with pytest.raises(errors.ConfigError, match="protocol"):
    desnow.evaluate_record(_brighten, record, _opts("tiles"))
  small, *_ = _record(h=40)
  with pytest.raises(errors.UserError, match="64x64"):
    desnow.evaluate_record(_brighten, small, _opts("crops"))
