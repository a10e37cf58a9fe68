"""Synthetic snow in the Snow100K layout (Snow100K itself is not available offline).

DesnowNet's formation model: ``x = a * z + y * (1 - z)`` with ``y`` the clean
image, ``z`` in [0, 1] the snow mask (translucent where < 1) and ``a`` the
chromatic aberration map (the snow's own colour, near white). The renderer draws
``z`` as several depth layers of soft, translucent particles (far layers: small,
sharp, faint; near layers: large and more motion-blurred along one wind
direction), ``a`` as a smooth near-white colour field, and composites.

Presets follow Snow100K's S / M / L subsets: small / medium / large particles
and increasing density. ``write_snow100k`` writes
``{train,test/Snow100K-S,...}/{synthetic,gt,mask}/<name>.png`` (PNG rather than
the release's JPEG, so the stored mask is exact), which
``datasets.load({"kind": "snow100k", "path": root}, split)`` reads.
"""
import dataclasses
from pathlib import Path

import numpy as np
from scipy import ndimage

from jaxrestore import errors
from jaxrestore.data import images, synth


@dataclasses.dataclass(frozen=True)
class SnowPreset:
  density: float  # particles per 10k pixels, summed over layers
  radius: tuple[float, float]  # particle radius range (pixels) of the nearest layer
  blur: tuple[float, float]  # motion-blur length range (pixels) of the nearest layer
  opacity: tuple[float, float]  # peak opacity range (translucency)
  layers: int = 3


PRESETS = {
    "S": SnowPreset(density=40.0, radius=(0.6, 1.8), blur=(0.0, 3.0), opacity=(0.5, 0.9)),
    "M": SnowPreset(density=60.0, radius=(0.8, 3.0), blur=(1.0, 5.0), opacity=(0.55, 0.95)),
    "L": SnowPreset(density=80.0, radius=(1.0, 5.0), blur=(2.0, 9.0), opacity=(0.6, 1.0)),
}


def _line_kernel(length: float, angle: float) -> np.ndarray:
  """A normalised motion-blur kernel: a line of ``length`` pixels at ``angle`` radians."""
  n = max(1, int(np.ceil(length)))
  size = 2 * n + 1
  k = np.zeros((size, size), np.float32)
  for t in np.linspace(-length / 2, length / 2, 4 * n + 1):
    k[int(round(n + t * np.sin(angle))), int(round(n + t * np.cos(angle)))] += 1.0
  return k / k.sum()


def _particle_layer(h, w, rng, count, radius, opacity):
  """Soft discs (Gaussian profile) with random peak opacity, combined with max."""
  layer = np.zeros((h, w), np.float32)
  ys, xs = rng.uniform(0, h, count), rng.uniform(0, w, count)
  rs = rng.uniform(*radius, count)
  ops = rng.uniform(*opacity, count)
  for y, x, r, o in zip(ys, xs, rs, ops):
    ext = int(np.ceil(3 * r))
    y0, y1 = max(0, int(y) - ext), min(h, int(y) + ext + 1)
    x0, x1 = max(0, int(x) - ext), min(w, int(x) + ext + 1)
    if y0 >= y1 or x0 >= x1:
      continue
    yy, xx = np.mgrid[y0:y1, x0:x1]
    disc = o * np.exp(-((yy + 0.5 - y) ** 2 + (xx + 0.5 - x) ** 2) / (2 * (r / 1.5) ** 2))
    np.maximum(layer[y0:y1, x0:x1], disc, out=layer[y0:y1, x0:x1])
  return layer


def render_mask(h: int, w: int, rng: np.random.Generator, preset: SnowPreset) -> np.ndarray:
  """The snow mask ``z`` (H, W) in [0, 1]."""
  angle = rng.uniform(np.pi / 4, 3 * np.pi / 4)  # falling, wind to either side
  z = np.zeros((h, w), np.float32)
  total = preset.density * h * w / 1e4
  for i in range(preset.layers):  # far (i = 0) to near
    depth = (i + 1) / preset.layers
    count = int(rng.poisson(total * (1.6 - depth) / preset.layers * 1.2))
    radius = tuple(r * (0.4 + 0.6 * depth) for r in preset.radius)
    opacity = tuple(o * (0.6 + 0.4 * depth) for o in preset.opacity)
    layer = _particle_layer(h, w, rng, count, radius, opacity)
    length = rng.uniform(*preset.blur) * depth
    if length >= 1.0:
      peak = layer.max()
      layer = ndimage.convolve(layer, _line_kernel(length, angle), mode="constant")
      if layer.max() > 0:  # blur spreads a flake; keep its layer's brightness
        layer *= min(2.0, peak / layer.max())
    z = 1.0 - (1.0 - z) * (1.0 - np.clip(layer, 0, 1))  # layers occlude like alpha
  return np.clip(z, 0.0, 1.0)


def render_aberration(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
  """The aberration map ``a`` (H, W, 3): a near-white tint varying smoothly in space."""
  base = rng.uniform(0.85, 1.0, 3)
  field = ndimage.gaussian_filter(rng.normal(0, 1, (h, w, 3)), sigma=(max(h, w) / 8,) * 2 + (0,))
  field /= max(np.abs(field).max(), 1e-6)
  return np.clip(base + 0.05 * field, 0.75, 1.0).astype(np.float32)


def synthesize(clean_u8: np.ndarray, rng: np.random.Generator, preset: str | SnowPreset = "M"):
  """Snowy version of an (H, W, 3) uint8 image: returns (snowy uint8, mask uint8 (H, W))."""
  if clean_u8.ndim != 3 or clean_u8.shape[-1] != 3:
    raise images.ImageError(f"snow synthesis needs an RGB image, got shape {clean_u8.shape}")
  p = PRESETS[preset] if isinstance(preset, str) else preset
  h, w = clean_u8.shape[:2]
  z = render_mask(h, w, rng, p)
  a = render_aberration(h, w, rng)
  y = clean_u8.astype(np.float32) / 255.0
  x = a * z[..., None] + y * (1.0 - z[..., None])
  to_u8 = lambda v: np.clip(np.round(v * 255.0), 0, 255).astype(np.uint8)  # noqa: E731
  return to_u8(x), to_u8(z)


def write_snow100k(root, train: list[tuple[str, np.ndarray]],
                   test: list[tuple[str, np.ndarray]], seed: int = 0,
                   train_presets: tuple[str, ...] = ("S", "M", "L")) -> Path:
  """Writes a Snow100K-layout dataset: each train image with a random preset,
  every test image once per preset (``test/Snow100K-{S,M,L}``); complete or absent."""
  root = Path(root)
  if (root / "train").exists() or (root / "test").exists():
    raise errors.OutputExistsError(f"{root} already holds a dataset; choose an empty directory")
  rng = np.random.default_rng(seed)

  def write(folder: Path):
    def put(rel, name, clean, preset):
      snowy, mask = synthesize(clean, rng, preset)
      stem = Path(name).stem + ".png"
      for sub, img in (("synthetic", snowy), ("gt", clean), ("mask", mask)):
        images.write_image(folder / rel / sub / stem, img)

    for name, clean in train:
      put("train", name, clean, train_presets[int(rng.integers(len(train_presets)))])
    for preset in "SML":
      for name, clean in test:
        put(f"test/Snow100K-{preset}", name, clean, preset)

  return synth.write_atomically(root, write)
