"""Desnowing (DesnowNet): ``L(y', y) + L(y_hat, y) + mask_weight L(z, mask)`` on paired
(snowy, clean, mask) records, ``L`` the pyramid loss of ``config.desnow.pyramid_levels``
levels (``jaxrestore.losses.desnow``).

Evaluation protocols (``EvalOptions.protocol``, named in each ``ImageResult``):

* ``"whole"`` (the default): PSNR / SSIM of the whole ``clip(y_hat)`` as uint8
  against the clean image, beside the snowy input's (``psnr_input``, and
  ``ssim_input`` among the result's metrics); comparable across papers that score
  whole images.
* ``"crops"``: the paper's validation, a batch of ``CROPS`` random aligned
  ``CROP`` x ``CROP`` crops per image (seeded by the evaluation seed and the
  image's name), PSNR with R = 1 of the batch (its MSE) on the clipped float
  output, and the mean SSIM (range 1) of the crops; the input's the same way.

Data: a Snow100K-layout folder (``test_s`` / ``test_m`` / ``test_l``). Grid:
snowy | y_hat | mask z | clean (whole image).
"""
import zlib

import jax.numpy as jnp
import numpy as np

from jaxrestore import errors, evaluate, losses, metrics, optim, steps
from jaxrestore.data import datasets, images
from jaxrestore.tasks import base


def desnow_loss(pyramid_levels: int, mask_weight: float, reduction: str = "mean") -> steps.LossFn:

  def loss_fn(model, batch, rng):
    del rng
    out = model(batch["input"])
    loss, parts = losses.desnow_loss(out, batch["clean"], batch["mask"], pyramid_levels,
                                     mask_weight, reduction)
    psnr = jnp.mean(metrics.psnr(jnp.clip(out["y_hat"], 0, 1), batch["clean"]))
    return loss, {"psnr": psnr, **parts}

  return loss_fn


def make_setup(config) -> steps.Setup:
  d = config.desnow
  if d.pyramid_reduction not in losses.desnow.REDUCTIONS:
    raise errors.ConfigError(f"desnow.pyramid_reduction must be one of "
                             f"{', '.join(losses.desnow.REDUCTIONS)}, got {d.pyramid_reduction!r}")
  return steps.single_model_setup(
      base.create_model(config), optim.make_optimizer(config.optimizer),
      desnow_loss(d.pyramid_levels, d.mask_weight, d.pyramid_reduction), config.seed)


PROTOCOLS = ("whole", "crops")
CROPS, CROP = 5, 64  # the paper's validation batch: 5 crops of 64 x 64


def crop_batch(record, seed: int, *arrays):
  """The same ``CROPS`` random ``CROP`` x ``CROP`` windows of each HWC array, as batches;
  the windows depend only on ``seed``, the record's name and the image size."""
  h, w = arrays[0].shape[:2]
  if h < CROP or w < CROP:
    raise images.ImageError(f"{base.record_name(record)}: {h}x{w} is smaller than the "
                            f"{CROP}x{CROP} crops of the 'crops' protocol")
  rng = np.random.default_rng([seed, zlib.crc32(base.record_name(record).encode())])
  tops, lefts = rng.integers(0, h - CROP + 1, CROPS), rng.integers(0, w - CROP + 1, CROPS)
  return [np.stack([a[t:t + CROP, l:l + CROP] for t, l in zip(tops, lefts)]) for a in arrays]


def _crops_metrics(apply, record, snowy, clean, seed):
  """(psnr_input, psnr, ssim_input, ssim) of the paper's protocol (module docstring)."""
  x, y = crop_batch(record, seed, snowy / np.float32(255.0), clean / np.float32(255.0))
  out = np.clip(np.asarray(apply(jnp.asarray(x))["y_hat"]), 0.0, 1.0)

  def batch_psnr(a):
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - y) ** 2)))

  def mean_ssim(a):
    return float(np.mean(metrics.ssim(a, y, data_range=1.0)))

  return batch_psnr(x), batch_psnr(out), mean_ssim(x), mean_ssim(out)


def evaluate_record(apply, record, opts: base.EvalOptions | None = None):
  """(ImageResult with psnr_input = the snowy input's PSNR, grid) of one paired record."""
  protocol = (opts.protocol if opts else "") or "whole"
  if protocol not in PROTOCOLS:
    raise errors.ConfigError(f"desnow evaluation protocol must be one of "
                             f"{', '.join(PROTOCOLS)}, got {protocol!r}")
  snowy = datasets.decode(record, "input", 3)
  clean = datasets.decode(record, "clean", 3)
  out = apply(jnp.asarray(snowy[None] / np.float32(255.0)))
  y_hat = metrics.to_uint8(np.asarray(out["y_hat"])[0])
  z = metrics.to_uint8(np.asarray(out["z"])[0])
  if protocol == "crops":
    psnr_input, psnr, ssim_input, ssim = _crops_metrics(apply, record, snowy, clean, opts.seed)
  else:
    psnr_input = float(metrics.psnr_uint8(snowy, clean))
    psnr = float(metrics.psnr_uint8(y_hat, clean))
    ssim_input, ssim = (float(metrics.ssim(a.astype(np.float32), clean.astype(np.float32),
                                           data_range=255.0)) for a in (snowy, y_hat))
  result = evaluate.ImageResult(
      name=base.record_name(record), height=clean.shape[0], width=clean.shape[1],
      psnr_input=psnr_input, psnr=psnr, ssim=ssim, protocol=protocol,
      metrics={"ssim_input": ssim_input})
  return result, images.grid(snowy, y_hat, np.repeat(z, 3, axis=-1), clean)


def eval_sources(data_dir, splits, cache_dir):
  return {s: datasets.load({"kind": "snow100k", "path": data_dir}, s, cache_dir) for s in splits}


TASK = base.Task(make_setup=make_setup, evaluate_record=evaluate_record,
                 eval_sources=eval_sources, input_name="snowy")
