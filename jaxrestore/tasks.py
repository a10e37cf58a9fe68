"""Restoration tasks: what a model is trained on and how it is evaluated.

A task pairs a loss (``loss_fn(model, batch, rng) -> (loss, metrics)`` for the
shared train step) with a per-record evaluation (``ImageResult`` + a grid image).
``config.task`` picks one; models and the training loop stay task-agnostic.

* ``denoise``: pixel loss (``config.loss``) of ``model(input)`` against
  ``target``; evaluation adds seeded Gaussian noise to clean images (the standard
  protocol, ``jaxrestore.evaluate``). Grid: noisy | output | clean.
* ``desnow``: DesnowNet's ``L(y', y) + L(y_hat, y) + 3 L(z, mask)`` on paired
  (input, clean, mask) records; evaluation is PSNR / SSIM of ``clip(y_hat)`` (uint8)
  against the clean image, beside the snowy input's. Grid: snowy | y_hat | mask z | clean.
"""
import dataclasses
from typing import Callable

import jax.numpy as jnp
import numpy as np

from jaxrestore import evaluate, losses, metrics
from jaxrestore.data import datasets, images


@dataclasses.dataclass(frozen=True)
class Task:
  make_loss: Callable  # config -> loss_fn(model, batch, rng) -> (loss, metrics)
  evaluate_record: Callable  # (apply, record, config) -> (ImageResult, grid uint8)


def _name(record) -> str:
  return record["name"].decode() if isinstance(record["name"], bytes) else str(record["name"])


# --- denoise ---------------------------------------------------------------------------------

def denoise_loss(pixel_loss):
  """Restoration loss ``pixel_loss(model(input), target)``; PSNR vs the clean image."""

  def loss_fn(model, batch, rng):
    del rng
    pred = model(batch["input"])
    loss = pixel_loss(pred, batch["target"])
    clean = batch.get("clean", batch["target"])
    return loss, {"psnr": jnp.mean(metrics.psnr(jnp.clip(pred, 0, 1), clean))}

  return loss_fn


def _denoise_record(apply, record, config):
  clean = datasets.decode(record, "clean", config.data.channels)
  result, noisy_u8, out_u8 = evaluate.evaluate_image(apply, _name(record), clean,
                                                     config.eval.sigma, config.eval.seed)
  return result, images.grid(noisy_u8, out_u8, clean)


# --- desnow ----------------------------------------------------------------------------------

def _desnow_loss(config):
  tau, weight = config.get("pyramid_levels", 4), config.get("mask_weight", 3.0)

  def loss_fn(model, batch, rng):
    del rng
    out = model(batch["input"])
    loss, parts = losses.desnow_loss(out, batch["clean"], batch["mask"], tau, weight)
    psnr = jnp.mean(metrics.psnr(jnp.clip(out["y_hat"], 0, 1), batch["clean"]))
    return loss, {"psnr": psnr, **parts}

  return loss_fn


def evaluate_desnow_record(apply, record):
  """(ImageResult with psnr_noisy = the snowy input's PSNR, grid) of one paired record."""
  snowy = datasets.decode(record, "input", 3)
  clean = datasets.decode(record, "clean", 3)
  out = apply(jnp.asarray(snowy[None] / np.float32(255.0)))
  y_hat = metrics.to_uint8(np.asarray(out["y_hat"])[0])
  z = metrics.to_uint8(np.asarray(out["z"])[0])
  result = evaluate.ImageResult(
      name=_name(record), height=clean.shape[0], width=clean.shape[1],
      psnr_noisy=float(metrics.psnr_uint8(snowy, clean)),
      psnr=float(metrics.psnr_uint8(y_hat, clean)),
      ssim=float(metrics.ssim(y_hat.astype(np.float32), clean.astype(np.float32),
                              data_range=255.0)))
  return result, images.grid(snowy, y_hat, np.repeat(z, 3, axis=-1), clean)


TASKS = {
    "denoise": Task(lambda config: denoise_loss(losses.get_pixel_loss(config.loss)),
                    _denoise_record),
    "desnow": Task(_desnow_loss, lambda apply, record, config: evaluate_desnow_record(apply,
                                                                                      record)),
}


def get(name: str) -> Task:
  try:
    return TASKS[name]
  except KeyError:
    raise ValueError(f"unknown task {name!r}; known: {sorted(TASKS)}") from None
