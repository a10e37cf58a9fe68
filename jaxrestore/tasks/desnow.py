"""Desnowing (DesnowNet): ``L(y', y) + L(y_hat, y) + mask_weight L(z, mask)`` on paired
(snowy, clean, mask) records, ``L`` the pyramid loss of ``config.desnow.pyramid_levels``
levels (``jaxrestore.losses.desnow``).

Evaluation: PSNR / SSIM of ``clip(y_hat)`` (uint8) against the clean image, beside
the snowy input's. Data: a Snow100K-layout folder (``test_s`` / ``test_m`` /
``test_l``). Grid: snowy | y_hat | mask z | clean.
"""
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


def evaluate_record(apply, record, opts: base.EvalOptions | None = None):
  """(ImageResult with psnr_noisy = the snowy input's PSNR, grid) of one paired record."""
  del opts  # RGB, no added noise
  snowy = datasets.decode(record, "input", 3)
  clean = datasets.decode(record, "clean", 3)
  out = apply(jnp.asarray(snowy[None] / np.float32(255.0)))
  y_hat = metrics.to_uint8(np.asarray(out["y_hat"])[0])
  z = metrics.to_uint8(np.asarray(out["z"])[0])
  result = evaluate.ImageResult(
      name=base.record_name(record), height=clean.shape[0], width=clean.shape[1],
      psnr_noisy=float(metrics.psnr_uint8(snowy, clean)),
      psnr=float(metrics.psnr_uint8(y_hat, clean)),
      ssim=float(metrics.ssim(y_hat.astype(np.float32), clean.astype(np.float32),
                              data_range=255.0)))
  return result, images.grid(snowy, y_hat, np.repeat(z, 3, axis=-1), clean)


def eval_sources(data_dir, splits, cache_dir):
  return {s: datasets.load({"kind": "snow100k", "path": data_dir}, s, cache_dir) for s in splits}


TASK = base.Task(make_setup=make_setup, evaluate_record=evaluate_record,
                 eval_sources=eval_sources, input_name="snowy")
