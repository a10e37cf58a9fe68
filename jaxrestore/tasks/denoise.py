"""Denoising: ``config.loss`` (a pixel loss) of ``model(input)`` against ``target``.

Training pairs come from the pipeline (``data.mode``: noise-to-clean, or
noise-to-noise with an independently noised target). Evaluation follows the
standard protocol (``jaxrestore.evaluate``): seeded Gaussian noise added to each
clean image, PSNR / SSIM of the uint8 output. Data for the evaluate CLI: a folder
of clean images. Grid: noisy | output | clean.
"""
import jax.numpy as jnp

from jaxrestore import evaluate, losses, metrics, optim, steps
from jaxrestore.data import datasets, images
from jaxrestore.tasks import base


def denoise_loss(pixel_loss) -> steps.LossFn:
  """Restoration loss ``pixel_loss(model(input), target)``; PSNR vs the clean image."""

  def loss_fn(model, batch, rng):
    del rng
    pred = model(batch["input"])
    loss = pixel_loss(pred, batch["target"])
    clean = batch.get("clean", batch["target"])  # noise-to-noise batches carry the clean image
    return loss, {"psnr": jnp.mean(metrics.psnr(jnp.clip(pred, 0, 1), clean))}

  return loss_fn


def make_setup(config) -> steps.Setup:
  return steps.single_model_setup(base.create_model(config),
                                  optim.make_optimizer(config.optimizer),
                                  denoise_loss(losses.get_pixel_loss(config.loss)), config.seed)


def evaluate_record(apply, record, opts: base.EvalOptions):
  clean = datasets.decode(record, "clean", opts.channels)
  result, noisy_u8, out_u8 = evaluate.evaluate_image(apply, base.record_name(record), clean,
                                                     opts.sigma, opts.seed)
  return result, images.grid(noisy_u8, out_u8, clean)


def eval_sources(data_dir, splits, cache_dir):
  del splits, cache_dir  # one folder of clean images, read as it is
  return {"": base.FolderRecords(data_dir)}


TASK = base.Task(make_setup=make_setup, evaluate_record=evaluate_record,
                 eval_sources=eval_sources, input_name="noisy")
