"""Synthetic raindrops in the Raindrop layout (Qian et al.'s data set is not available offline).

A water drop on glass in front of the camera is a small converging lens: it shows
an upside-down, zoomed-out and defocused view of the scene around it, darkened at
its rim where the surface is steep, sometimes with a specular highlight. The
renderer draws each drop as a metaball (a main blob, irregular outline, maybe
merged with smaller lobes) with a soft (out-of-focus) edge; inside, a pixel at
offset ``p - c`` from a blob's centre ``c`` shows the blurred background at
``p - (1 + zoom) (1 + fisheye d^2) (p - c)`` (``d``: the normalised distance to
the outline), i.e. at ``c - (zoom + ...) (p - c)``: through the centre, mirrored
and minified, more so towards the rim. Optionally the whole background is
slightly defocused as well.

Presets set the number and size of the drops (a few large, many small; sizes are
fractions of the shorter image side). ``write_raindrop`` writes
``{train,test_a,test_b}/{data,gt}/N_{rain,clean}.{png,jpg}`` (test_b in JPEG as
the release), which ``datasets.load({"kind": "raindrop", "path": root}, split)``
reads.
"""
import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from jaxrestore import errors
from jaxrestore.data import images, synth


@dataclasses.dataclass(frozen=True)
class RaindropPreset:
  large: tuple[int, int]  # number of large drops per square of the shorter side
  small: tuple[int, int]  # number of small drops per square of the shorter side
  large_radius: tuple[float, float]  # radius range as a fraction of the shorter side
  small_radius: tuple[float, float]
  zoom: tuple[float, float] = (1.5, 3.0)  # minification of the view through a drop
  fisheye: tuple[float, float] = (0.1, 0.4)  # extra minification towards the rim
  defocus: tuple[float, float] = (0.15, 0.35)  # blur of the view (sigma, in drop radii)
  edge: tuple[float, float] = (0.1, 0.3)  # width of the soft outline, in drop radii
  rim: tuple[float, float] = (0.15, 0.4)  # darkening at the rim
  highlight: float = 0.5  # probability of a specular highlight on a large drop
  background_blur: float = 0.0  # defocus (sigma, pixels) of the whole background


PRESETS = {
    "light": RaindropPreset(large=(2, 4), small=(10, 25), large_radius=(0.04, 0.08),
                            small_radius=(0.008, 0.02)),
    "medium": RaindropPreset(large=(4, 8), small=(25, 50), large_radius=(0.05, 0.1),
                             small_radius=(0.01, 0.025)),
    "heavy": RaindropPreset(large=(6, 12), small=(50, 90), large_radius=(0.05, 0.11),
                            small_radius=(0.01, 0.03)),
}
MIN_RADIUS = 1.5  # pixels: smaller drops would not show a view


@dataclasses.dataclass(frozen=True)
class Drop:
  """One drop; lengths in pixels, ``lobes`` and ``wobble`` relative to ``radius``."""
  y: float
  x: float
  radius: float
  aspect: float = 1.0  # width / height of the outline before rotation
  angle: float = 0.0  # rotation of the outline (radians)
  wobble: tuple[tuple[float, float], ...] = ()  # (amplitude, phase) of outline harmonics 2, 3, ..
  lobes: tuple[tuple[float, float, float], ...] = ()  # merged blobs: (dy, dx, radius)
  zoom: float = 2.0
  fisheye: float = 0.25
  defocus: float = 1.0  # blur (sigma, pixels) of the background seen through the drop
  edge: float = 1.0  # width (pixels) of the soft outline
  rim: float = 0.25
  highlight: float = 0.0  # brightness of the specular highlight


def _drop(h, w, rng, p: RaindropPreset, large: bool) -> Drop:
  scale = min(h, w)
  radius = max(MIN_RADIUS, rng.uniform(*(p.large_radius if large else p.small_radius)) * scale)
  wobble = tuple((rng.uniform(0, 0.1 if large else 0.05) / k, rng.uniform(0, 2 * np.pi))
                 for k in (2, 3, 4))
  lobes = ()
  if large and rng.random() < 0.5:
    lobes = tuple((np.sin(a) * d, np.cos(a) * d, rng.uniform(0.35, 0.7))
                  for a, d in zip(rng.uniform(0, 2 * np.pi, 2), rng.uniform(0.6, 1.1, 2)))
    lobes = lobes[:int(rng.integers(1, 3))]
  return Drop(y=rng.uniform(0, h), x=rng.uniform(0, w), radius=radius,
              aspect=float(np.exp(rng.normal(0, 0.12))), angle=rng.uniform(0, np.pi),
              wobble=wobble, lobes=lobes, zoom=rng.uniform(*p.zoom),
              fisheye=rng.uniform(*p.fisheye), defocus=rng.uniform(*p.defocus) * radius,
              edge=max(0.75, rng.uniform(*p.edge) * radius), rim=rng.uniform(*p.rim),
              highlight=rng.uniform(0.2, 0.5) if large and rng.random() < p.highlight else 0.0)


def sample_drops(h: int, w: int, rng: np.random.Generator, preset: RaindropPreset) -> list[Drop]:
  """Random drops for an (h, w) image: small ones first, large ones over them."""
  area = h * w / min(h, w) ** 2  # counts are per square of the shorter side
  n_small = int(round(rng.integers(preset.small[0], preset.small[1] + 1) * area))
  n_large = int(round(rng.integers(preset.large[0], preset.large[1] + 1) * area))
  return ([_drop(h, w, rng, preset, False) for _ in range(n_small)]
          + [_drop(h, w, rng, preset, True) for _ in range(n_large)])


def _smoothstep(t):
  t = np.clip(t, 0.0, 1.0)
  return t * t * (3 - 2 * t)


def _render_drop(out, cover, blurred, drop: Drop):
  """Composites one drop into ``out`` (H, W, 3 float) and ``cover`` (H, W) in place."""
  h, w = cover.shape
  blobs = [(0.0, 0.0, 1.0), *drop.lobes]
  reach = drop.radius * (max(np.hypot(dy, dx) + r for dy, dx, r in blobs)
                         * (1 + sum(a for a, _ in drop.wobble)) / min(drop.aspect, 1 / drop.aspect))
  y0, y1 = max(0, int(drop.y - reach) - 1), min(h, int(drop.y + reach) + 2)
  x0, x1 = max(0, int(drop.x - reach) - 1), min(w, int(drop.x + reach) + 2)
  if y0 >= y1 or x0 >= x1:
    return
  yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
  cos, sin, sq = np.cos(drop.angle), np.sin(drop.angle), np.sqrt(drop.aspect)
  field = np.zeros_like(yy)
  sample = np.zeros((2,) + yy.shape)
  weight = np.zeros_like(yy)
  for dy, dx, r in blobs:
    cy, cx = drop.y + dy * drop.radius, drop.x + dx * drop.radius
    u = ((xx - cx) * cos + (yy - cy) * sin) / sq
    v = (-(xx - cx) * sin + (yy - cy) * cos) * sq
    theta = np.arctan2(v, u)
    outline = 1 + sum(a * np.cos(k * theta + ph) for k, (a, ph) in enumerate(drop.wobble, 2))
    d2 = np.maximum((u * u + v * v) / (r * drop.radius * outline) ** 2, 1e-9)
    field += 1 / d2
    gain = (1 + drop.zoom) * (1 + drop.fisheye * np.minimum(d2, 1.0))
    wt = d2 ** -2
    sample[0] += wt * (yy - gain * (yy - cy))
    sample[1] += wt * (xx - gain * (xx - cx))
    weight += wt
  d = 1 / np.sqrt(field)  # ~ normalised distance to the outline: 1 there, 0 at a centre
  alpha = _smoothstep((1 - d) * drop.radius / drop.edge)
  if not alpha.any():
    return
  sample /= weight
  view = np.stack([ndimage.map_coordinates(blurred[..., ch], sample, order=1, mode="mirror")
                   for ch in range(3)], axis=-1)
  shade = 1 + drop.rim * (0.25 * (1 - d * d) - d ** 4)
  color = view * shade[..., None]
  if drop.highlight:
    hy, hx = drop.y - 0.45 * drop.radius, drop.x - 0.35 * drop.radius
    spot = np.exp(-((yy - hy) ** 2 + (xx - hx) ** 2) / (2 * (0.15 * drop.radius) ** 2))
    color += 255.0 * drop.highlight * spot[..., None]
  a = alpha[..., None]
  out[y0:y1, x0:x1] = out[y0:y1, x0:x1] * (1 - a) + np.clip(color, 0, 255) * a
  cover[y0:y1, x0:x1] = 1 - (1 - cover[y0:y1, x0:x1]) * (1 - alpha)


def render(clean_u8: np.ndarray, drops: list[Drop], background_blur: float = 0.0):
  """Renders ``drops`` over an (H, W, 3) uint8 image: returns (rainy uint8, coverage
  float32 (H, W) in [0, 1]). Where the coverage is 0 the result is the (possibly
  defocused) background."""
  if clean_u8.ndim != 3 or clean_u8.shape[-1] != 3:
    raise images.ImageError(f"raindrop synthesis needs an RGB image, got shape {clean_u8.shape}")
  y = clean_u8.astype(np.float64)
  out = (ndimage.gaussian_filter(y, (background_blur, background_blur, 0)) if background_blur
         else y.copy())  # drops still see the sharp image
  cover = np.zeros(clean_u8.shape[:2])
  blurred = {}
  for drop in drops:
    sigma = round(drop.defocus * 2) / 2  # a few blur levels, each computed once
    if sigma not in blurred:
      blurred[sigma] = ndimage.gaussian_filter(y, (sigma, sigma, 0)) if sigma else y
    _render_drop(out, cover, blurred[sigma], drop)
  return np.clip(np.round(out), 0, 255).astype(np.uint8), cover.astype(np.float32)


def synthesize(clean_u8: np.ndarray, rng: np.random.Generator,
               preset: str | RaindropPreset = "medium", **params):
  """Raindrops on an (H, W, 3) uint8 image: returns (rainy uint8, drop coverage float32
  (H, W)). ``params`` override fields of the preset (e.g. ``large=(1, 1)``)."""
  p = dataclasses.replace(PRESETS[preset] if isinstance(preset, str) else preset, **params)
  drops = sample_drops(*clean_u8.shape[:2], rng, p)
  return render(clean_u8, drops, p.background_blur)


SPLIT_FORMATS = {"train": ".png", "test_a": ".png", "test_b": ".jpg"}


def _write(path: Path, img: np.ndarray) -> None:
  path.parent.mkdir(parents=True, exist_ok=True)
  Image.fromarray(img).save(path, **({"quality": 95} if path.suffix == ".jpg" else {}))


def write_raindrop(root, train_items: list[tuple[str, np.ndarray]],
                   test_a_items: list[tuple[str, np.ndarray]],
                   test_b_items: list[tuple[str, np.ndarray]], seed: int = 0,
                   presets: tuple[str, ...] = ("light", "medium", "heavy")) -> Path:
  """Writes a Raindrop-layout dataset: ``<split>/data/N_rain.<ext>`` and
  ``<split>/gt/N_clean.<ext>``, N counting from 0 per split, each image with a
  random preset; a split without items is left out. Complete or absent."""
  root = Path(root)
  if any((root / s).exists() for s in SPLIT_FORMATS):
    raise errors.OutputExistsError(f"{root} already holds a dataset; choose an empty directory")
  rng = np.random.default_rng(seed)
  splits = {"train": train_items, "test_a": test_a_items, "test_b": test_b_items}

  def write(folder: Path):
    for split, items in splits.items():
      ext = SPLIT_FORMATS[split]
      for n, (_, clean) in enumerate(items):
        rainy, _ = synthesize(clean, rng, presets[int(rng.integers(len(presets)))])
        _write(folder / split / "data" / f"{n}_rain{ext}", rainy)
        _write(folder / split / "gt" / f"{n}_clean{ext}", clean)

  return synth.write_atomically(root, write)
