"""Noise synthesis."""
import numpy as np


def gaussian_noise_seeded(img: np.ndarray, sigma_255: float, seed: int = 0) -> np.ndarray:
  """The standard test protocol: ``np.random.seed(seed)`` then ``normal(0, sigma/255, shape)``.

  Returns ``img + noise`` as float32, not clipped (as KAIR / DnCNN evaluation). The
  noise is drawn in float64 in the image's HWC shape, so it is bit-for-bit the one
  those scripts use (a gray H x W image and H x W x 1 give the same draw).
  """
  rng = np.random.RandomState(seed)  # same stream as np.random.seed(seed)
  noise = rng.normal(0.0, sigma_255 / 255.0, img.shape)
  return (img.astype(np.float64) + noise).astype(np.float32)
