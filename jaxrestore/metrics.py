"""Image quality metrics on NHWC (or HWC) arrays; one value per image.

* ``psnr``: data range 1 (float images) or any ``data_range``.
* ``psnr_uint8``: the usual protocol: images quantised to uint8, peak 255.
* ``to_uint8`` (clip, x255, round; KAIR's) and ``to_uint8_truncate`` (x255, toward
  zero, unclipped; DeRaindrop's predict.py), by name in ``UINT8_CASTS``.
* ``ssim``: Wang et al.'s SSIM with an 11x11 Gaussian window (sigma 1.5),
  K1 = 0.01, K2 = 0.03, population covariances, averaged over the valid region and
  the channels, i.e. scikit-image's ``structural_similarity(gaussian_weights=True,
  sigma=1.5, use_sample_covariance=False, data_range=...)``.
* ``rgb_to_y``: ITU-R BT.601 luma as OpenCV's ``cvtColor(RGB2YCrCb)`` (float input).
* ``psnr_ece285``: the ECE285 assignment's PSNR of images in [-1, 1],
  ``10 log10(4 n / ||y - d||^2)``; ``psnr_ece285_batch`` over a whole mini-batch
  (n: its number of values), as the course logs it.
"""
import jax.numpy as jnp
import numpy as np


def _image_axes(x):
  return tuple(range(x.ndim - 3, x.ndim))


def psnr(x, y, data_range: float = 1.0):
  """PSNR in dB of each image (reduction over the last three axes, H, W, C)."""
  x, y = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)
  mse = jnp.mean(jnp.square(x - y), axis=_image_axes(x))
  return 10.0 * jnp.log10(data_range ** 2 / mse)


def to_uint8(x) -> np.ndarray:
  """[0, 1] -> uint8 as KAIR's ``tensor2uint``: clip, x255 and round in float32."""
  return np.round(np.clip(np.asarray(x, np.float32), 0.0, 1.0) * np.float32(255.0)).astype(np.uint8)


def to_uint8_truncate(x) -> np.ndarray:
  """[0, 1] -> uint8 as DeRaindrop's predict.py: ``np.array(out * 255., dtype='uint8')``
  on float32, i.e. toward zero and not clipped. numpy leaves the cast of values outside
  [0, 256) to the C compiler; on x86-64 (where the authors ran) they wrap modulo 256
  (-0.4 -> 0, -2.5 -> 254, 256.7 -> 0), which this reproduces on any machine."""
  scaled = np.asarray(x, np.float32) * np.float32(255.0)
  return np.mod(np.trunc(scaled).astype(np.int64), 256).astype(np.uint8)


UINT8_CASTS = {"round": to_uint8, "truncate": to_uint8_truncate}


def psnr_uint8(x, y):
  """PSNR of uint8 images (peak 255), computed in float64 on the host."""
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  axes = tuple(range(x.ndim - 3, x.ndim))
  mse = np.mean(np.square(x - y), axis=axes)
  return 10.0 * np.log10(255.0 ** 2 / mse)


def psnr_ece285(y, d):
  """``10 log10(4 n / ||y - d||^2)`` for images in [-1, 1] (n: values per image)."""
  y, d = jnp.asarray(y, jnp.float32), jnp.asarray(d, jnp.float32)
  axes = _image_axes(y)
  n = np.prod([y.shape[a] for a in axes])
  return 10.0 * jnp.log10(4.0 * n / jnp.sum(jnp.square(y - d), axis=axes))


def psnr_ece285_batch(y, d):
  """The course's training / validation PSNR of a mini-batch in [-1, 1]: one value,
  ``10 log10(4 n / ||y - d||^2)`` with n the number of values in the whole batch."""
  y, d = jnp.asarray(y, jnp.float32), jnp.asarray(d, jnp.float32)
  return 10.0 * jnp.log10(4.0 * y.size / jnp.sum(jnp.square(y - d)))


def rgb_to_y(x):
  """BT.601 luma of RGB images in [0, 1], keeping a channel axis of size 1."""
  x = jnp.asarray(x, jnp.float32)
  return (x[..., 0:1] * 0.299 + x[..., 1:2] * 0.587 + x[..., 2:3] * 0.114)


def luma_uint8(rgb_u8: np.ndarray) -> np.ndarray:
  """BT.601 full-range luma of uint8 RGB, rounded to uint8 (cv2's ``COLOR_BGR2YCrCb`` Y)."""
  y = np.asarray(rgb_to_y(rgb_u8.astype(np.float32) / np.float32(255.0)))[..., 0]
  return np.clip(np.round(y * 255.0), 0, 255).astype(np.uint8)


def gaussian_window(sigma: float = 1.5, truncate: float = 3.5) -> np.ndarray:
  """1-D Gaussian taps as scipy.ndimage.gaussian_filter (radius int(truncate*sigma+0.5))."""
  radius = int(truncate * sigma + 0.5)
  t = np.arange(-radius, radius + 1, dtype=np.float64)
  w = np.exp(-0.5 * (t / sigma) ** 2)
  return w / w.sum()


def _filter_valid(x, w):
  """Separable 'valid' filtering over H and W of (..., H, W, C)."""
  k = len(w)
  h, wd = x.shape[-3], x.shape[-2]
  x = sum(x[..., i:h - k + 1 + i, :, :] * w[i] for i in range(k))
  return sum(x[..., :, i:wd - k + 1 + i, :] * w[i] for i in range(k))


def ssim(x, y, data_range: float = 1.0, sigma: float = 1.5):
  """Mean SSIM of each image (see module docstring), computed in float32."""
  x, y = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)
  w = jnp.asarray(gaussian_window(sigma), jnp.float32)
  if min(x.shape[-3:-1]) < len(w):
    raise ValueError(f"SSIM needs images of at least {len(w)}x{len(w)}, got {x.shape}")
  c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
  mx, my = _filter_valid(x, w), _filter_valid(y, w)
  vx = _filter_valid(x * x, w) - mx * mx
  vy = _filter_valid(y * y, w) - my * my
  cxy = _filter_valid(x * y, w) - mx * my
  s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
  return jnp.mean(s, axis=_image_axes(s))
