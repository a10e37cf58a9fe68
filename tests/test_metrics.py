"""Metrics against scikit-image (the reference) and closed forms."""
import numpy as np
import pytest
import skimage.data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from jaxrestore import metrics


def _pair(rgb, seed=0):
  img = skimage.data.astronaut() if rgb else skimage.data.camera()
  img = (img[:96, :80] / 255.0).astype(np.float32)
  if not rgb:
    img = img[:, :, None]
  noisy = np.clip(img + np.random.RandomState(seed).normal(0, 0.1, img.shape), 0, 1)
  return img, noisy.astype(np.float32)


@pytest.mark.parametrize("rgb", [False, True])
def test_psnr_matches_skimage(rgb):
  x, y = _pair(rgb)
  ref = peak_signal_noise_ratio(x, y, data_range=1.0)
  assert abs(float(metrics.psnr(y, x)) - ref) < 1e-4
  xu, yu = metrics.to_uint8(x), metrics.to_uint8(y)
  assert abs(float(metrics.psnr_uint8(yu, xu)) - peak_signal_noise_ratio(xu, yu)) < 1e-10


def test_psnr_is_per_image():
  x, y = _pair(False)
  batch = np.stack([y, x * 0.5])
  per = np.asarray(metrics.psnr(batch, np.stack([x, x])))
  assert per.shape == (2,)
  assert abs(per[0] - peak_signal_noise_ratio(x, y, data_range=1.0)) < 1e-4


@pytest.mark.parametrize("rgb", [False, True])
@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_ssim_matches_skimage(rgb, data_range):
  x, y = _pair(rgb)
  x, y = x * data_range, y * data_range
  ref = structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False, data_range=data_range,
                              channel_axis=-1)
  assert abs(float(metrics.ssim(y, x, data_range=data_range)) - ref) < 1e-4


def test_ssim_of_identical_images_is_one():
  x, _ = _pair(True)
  assert abs(float(metrics.ssim(x, x)) - 1.0) < 1e-6


def test_ssim_rejects_tiny_images():
  with pytest.raises(ValueError, match="at least 11x11"):
    metrics.ssim(np.zeros((8, 8, 1)), np.zeros((8, 8, 1)))


def test_rgb_to_y_is_bt601_as_opencv():
  px = np.array([[[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]], np.float32)
  np.testing.assert_allclose(np.asarray(metrics.rgb_to_y(px))[0, :, 0],
                             [0.299, 0.587, 0.114, 1.0], atol=1e-6)


def test_psnr_ece285_formula():
  rng = np.random.RandomState(0)
  y = rng.uniform(-1, 1, (2, 8, 8, 3)).astype(np.float32)
  d = np.clip(y + rng.normal(0, 0.05, y.shape), -1, 1).astype(np.float32)
  n = 8 * 8 * 3
  expected = 10 * np.log10(4 * n / np.sum((y - d) ** 2, axis=(1, 2, 3)))
  np.testing.assert_allclose(np.asarray(metrics.psnr_ece285(y, d)), expected, rtol=1e-5)
  # Same as the float PSNR with data range 2.
  np.testing.assert_allclose(np.asarray(metrics.psnr(y, d, data_range=2.0)), expected, rtol=1e-5)


def test_to_uint8_clips_and_rounds():
  x = np.array([-0.2, 0.0, 0.5 / 255, 1.5 / 255, 0.999, 1.7], np.float32)
  np.testing.assert_array_equal(metrics.to_uint8(x), [0, 0, 0, 2, 255, 255])
