"""Image quality metrics on NCHW (or CHW) tensors; the twin of jaxrestore.metrics."""
import math

import numpy as np
import torch
import torch.nn.functional as F


def _image_dims(x):
  return tuple(range(x.dim() - 3, x.dim()))


def psnr(x, y, data_range: float = 1.0):
  mse = torch.mean((x.float() - y.float()) ** 2, dim=_image_dims(x))
  return 10.0 * torch.log10(data_range ** 2 / mse)


def to_uint8(x) -> np.ndarray:
  return np.round(np.clip(np.asarray(x, np.float32), 0.0, 1.0) * np.float32(255.0)).astype(np.uint8)


def psnr_uint8(x, y):
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  axes = tuple(range(x.ndim - 3, x.ndim))
  return 10.0 * np.log10(255.0 ** 2 / np.mean((x - y) ** 2, axis=axes))


def psnr_ece285(y, d):
  n = math.prod(y.shape[-3:])
  return 10 * torch.log10(4 * n / torch.sum((y - d) ** 2, dim=_image_dims(y)))


def rgb_to_y(x):
  """BT.601 luma (OpenCV RGB2YCrCb) of RGB in [0, 1]; keeps a channel dim of 1."""
  return x[..., 0:1, :, :] * 0.299 + x[..., 1:2, :, :] * 0.587 + x[..., 2:3, :, :] * 0.114


def _gaussian(sigma=1.5, truncate=3.5):
  radius = int(truncate * sigma + 0.5)
  t = torch.arange(-radius, radius + 1, dtype=torch.float64)
  w = torch.exp(-0.5 * (t / sigma) ** 2)
  return (w / w.sum()).float()


def ssim(x, y, data_range: float = 1.0, sigma: float = 1.5):
  """Gaussian-window SSIM (scikit-image's gaussian_weights=True, population covariance)."""
  squeeze = x.dim() == 3
  if squeeze:
    x, y = x[None], y[None]
  x, y = x.float(), y.float()
  c = x.shape[1]
  g = _gaussian(sigma)
  kh = g.view(1, 1, -1, 1).repeat(c, 1, 1, 1)
  kw = g.view(1, 1, 1, -1).repeat(c, 1, 1, 1)

  def filt(a):
    return F.conv2d(F.conv2d(a, kh, groups=c), kw, groups=c)

  c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
  mx, my = filt(x), filt(y)
  vx, vy, cxy = filt(x * x) - mx * mx, filt(y * y) - my * my, filt(x * y) - mx * my
  s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
  out = s.mean(dim=(1, 2, 3))
  return out[0] if squeeze else out
