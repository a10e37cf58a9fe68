"""Denoising evaluation with the standard protocol (see ../shared/README.md).

Per image: uint8 -> float32 / 255; noise from ``np.random.seed(seed)`` then
``normal(0, sigma/255, HWC)`` (not clipped); output clipped, x255, rounded to
uint8; PSNR (and SSIM) against the uint8 clean image, no border crop.
"""
import csv
import dataclasses
import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from jaxrestore import errors, metrics, models, tiling
from jaxrestore.data import images
from jaxrestore.data.noise import gaussian_noise_seeded


@dataclasses.dataclass
class ImageResult:
  name: str
  height: int
  width: int
  psnr_input: float
  psnr: float
  ssim: float
  _: dataclasses.KW_ONLY  # what a task adds is named, never placed by position
  protocol: str = ""  # how psnr / ssim were measured, where a task has several (desnow)
  metrics: dict[str, float] = dataclasses.field(default_factory=dict)  # a task's others


VALUE_RANGES = ("zero_one", "minus_one_one")


def in_value_range(apply, value_range: str):
  """``apply`` on [0, 1] images of a model that sees ``value_range``: ``minus_one_one``
  (the ECE285 course's) maps the input to 2x - 1 and every output back by (y + 1) / 2."""
  if value_range not in VALUE_RANGES:
    raise errors.ConfigError(f"value_range must be one of {VALUE_RANGES}, got {value_range!r}")
  if value_range == "zero_one":
    return apply
  return lambda x: jax.tree.map(lambda y: (y + 1) / 2, apply(2 * jnp.asarray(x) - 1))


def swap_rgb_bgr(apply):
  """``apply`` of a model trained on BGR images (cv2, e.g. DeRaindrop's official
  checkpoint), used on RGB: flips the input's channels and every 3-channel output's."""
  flip = lambda y: y[..., ::-1] if y.shape[-1] == 3 else y  # noqa: E731
  return lambda x: jax.tree.map(flip, apply(flip(jnp.asarray(x))))


def make_model_apply(model: models.RestorationModel):
  """A jitted eval-mode ``apply(x_nhwc) -> y_nhwc`` of a model object (one compile per image
  size); inputs are padded to the model's ``size_multiple``."""
  model.eval()
  graphdef, state = nnx.split(model)

  @jax.jit
  def apply(state, x):
    return nnx.merge(graphdef, state)(x)

  return tiling.pad_to_multiple(lambda x: apply(state, x), model.size_multiple)


def evaluate_image(apply, name: str, clean_u8: np.ndarray, sigma: float, seed: int = 0):
  """Denoises one uint8 HWC image; returns (ImageResult, noisy_u8, output_u8)."""
  clean = (clean_u8 / 255.0).astype(np.float32)
  noisy = gaussian_noise_seeded(clean, sigma, seed)
  out_u8 = metrics.to_uint8(np.asarray(apply(jnp.asarray(noisy[None])))[0])
  noisy_u8 = metrics.to_uint8(noisy)
  result = ImageResult(
      name=name, height=clean.shape[0], width=clean.shape[1],
      psnr_input=float(metrics.psnr_uint8(noisy_u8, clean_u8)),
      psnr=float(metrics.psnr_uint8(out_u8, clean_u8)),
      ssim=float(metrics.ssim(out_u8.astype(np.float32), clean_u8.astype(np.float32),
                              data_range=255.0)))
  return result, noisy_u8, out_u8


def evaluate_denoiser(apply, folder: str | os.PathLike, sigma: float, channels: int,
                      seed: int = 0) -> list[ImageResult]:
  """Runs ``apply`` on every image of ``folder`` with the protocol above (the evaluate
  CLI does the same through the ``denoise`` task, with grids and a CSV)."""
  return [evaluate_image(apply, path.name, images.read_uint8(path, channels), sigma, seed)[0]
          for path in images.list_images(folder)]


def mean_metrics(results: list[ImageResult]) -> dict[str, float]:
  """The mean of each of the results' other ``metrics`` (over the images that have it)."""
  keys = sorted({k for r in results for k in r.metrics})
  return {k: float(np.mean([r.metrics[k] for r in results if k in r.metrics])) for k in keys}


def write_csv(path: str | os.PathLike, results: list[ImageResult]) -> None:
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  fields = [f.name for f in dataclasses.fields(ImageResult) if f.name != "metrics"]
  extra = sorted({k for r in results for k in r.metrics})
  with open(path, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields + extra)
    w.writeheader()
    for r in results:
      w.writerow({**{k: getattr(r, k) for k in fields}, **r.metrics})


def format_table(results: list[ImageResult]) -> str:
  lines = [f"{'image':<16} {'size':>9} {'input':>8} {'psnr':>8} {'ssim':>7}"]
  for r in results:
    lines.append(f"{r.name:<16} {f'{r.height}x{r.width}':>9} {r.psnr_input:8.3f} "
                 f"{r.psnr:8.3f} {r.ssim:7.4f}")
  mean = lambda f: float(np.mean([getattr(r, f) for r in results]))
  lines.append(f"{'mean':<16} {'':>9} {mean('psnr_input'):8.3f} {mean('psnr'):8.3f} "
               f"{mean('ssim'):7.4f}")
  return "\n".join(lines)
