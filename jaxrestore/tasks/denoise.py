"""Denoising: ``config.loss`` (a pixel loss) of ``model(input)`` against ``target``.

Training pairs come from the pipeline (``data.mode``: noise-to-clean, or
noise-to-noise with an independently noised target). Evaluation follows the
standard protocol (``jaxrestore.evaluate``): seeded Gaussian noise added to each
clean image, PSNR / SSIM of the uint8 output. Data for the evaluate CLI: a folder
of clean images. Grid: noisy | output | clean.

``data.value_range="minus_one_one"`` is the ECE285 course's setting: the batches
stay in [0, 1] (the noise has std sigma/255 there) and the loss maps input and
target to 2x - 1, so the network sees [-1, 1] images with noise of std 2 sigma/255
and the loss is taken there; outputs go back by (y + 1) / 2 for metrics and
evaluation. With it, training and validation also log the course's PSNR
(``psnr_ece285``, ``metrics.psnr_ece285_batch`` of each mini-batch on [-1, 1],
averaged over the mini-batches of a log period; at validation each image is a
batch). ``eval.random_crop`` evaluates one random k x k crop of each image with
its own noise draw (the course's test protocol: 320 x 320).
"""
import dataclasses
import zlib

import jax.numpy as jnp
import numpy as np

from jaxrestore import errors, evaluate, losses, metrics, optim, steps
from jaxrestore.data import datasets, images
from jaxrestore.tasks import base


def denoise_loss(pixel_loss, value_range: str = "zero_one") -> steps.LossFn:
  """Restoration loss ``pixel_loss(model(input), target)``; PSNR vs the clean image.
  ``value_range="minus_one_one"``: the model sees and the loss compares 2x - 1."""
  if value_range not in evaluate.VALUE_RANGES:
    raise errors.ConfigError(f"data.value_range must be one of {evaluate.VALUE_RANGES}, "
                             f"got {value_range!r}")
  signed = value_range == "minus_one_one"

  def loss_fn(model, batch, rng):
    del rng
    x, target = batch["input"], batch["target"]
    clean = batch.get("clean", target)  # noise-to-noise batches carry the clean image
    if not signed:
      pred = model(x)
      return pixel_loss(pred, target), {"psnr": jnp.mean(metrics.psnr(jnp.clip(pred, 0, 1),
                                                                       clean))}
    pred = model(2 * x - 1)
    loss = pixel_loss(pred, 2 * target - 1)
    out = (pred + 1) / 2
    return loss, {"psnr": jnp.mean(metrics.psnr(jnp.clip(out, 0, 1), clean)),
                  "psnr_ece285": metrics.psnr_ece285_batch(pred, 2 * clean - 1)}

  return loss_fn


def make_setup(config) -> steps.Setup:
  value_range = config.data.value_range
  setup = steps.single_model_setup(
      base.create_model(config), optim.make_optimizer(config.optimizer),
      denoise_loss(losses.get_pixel_loss(config.loss), value_range), config.seed)
  apply = setup.apply
  return dataclasses.replace(setup, apply=lambda state, x: evaluate.in_value_range(
      lambda y: apply(state, y), value_range)(x))


def random_crop(clean_u8: np.ndarray, size: int, seed: int, name: str):
  """(one random size x size crop of ``clean_u8``, a seed for its noise), both drawn from
  ``seed`` and the image's name: reproducible, different for every image."""
  h, w = clean_u8.shape[:2]
  if h < size or w < size:
    raise images.ImageError(f"{name}: {h}x{w} is smaller than the {size}x{size} random crop "
                            "(eval.random_crop)")
  rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
  top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
  return clean_u8[top:top + size, left:left + size], int(rng.integers(2 ** 31))


def evaluate_record(apply, record, opts: base.EvalOptions):
  name = base.record_name(record)
  clean = datasets.decode(record, "clean", opts.channels)
  seed = opts.seed
  if opts.random_crop:
    clean, seed = random_crop(clean, opts.random_crop, opts.seed, name)
  outputs = []

  def keep(x):
    outputs.append(y := apply(x))
    return y

  result, noisy_u8, out_u8 = evaluate.evaluate_image(keep, name, clean, opts.sigma, seed)
  if opts.value_range == "minus_one_one":
    out = 2 * np.asarray(outputs[0], np.float32) - 1  # back on the course's range
    target = 2 * (clean[None] / np.float32(255.0)) - 1
    result.metrics["psnr_ece285"] = float(metrics.psnr_ece285_batch(out, target))
  return result, images.grid(noisy_u8, out_u8, clean)


def eval_sources(data_dir, splits, cache_dir):
  del splits, cache_dir  # one folder of clean images, read as it is
  return {"": base.FolderRecords(data_dir)}


TASK = base.Task(make_setup=make_setup, evaluate_record=evaluate_record,
                 eval_sources=eval_sources, input_name="noisy")
