"""Restoration tasks: what a model is trained on and how it is evaluated.

A task pairs what to train (``make_setup(config) -> steps.Setup``: state, jitted
step, eval-mode apply; most tasks are one model with a
``loss_fn(model, batch, rng) -> (loss, metrics)`` through the shared step) with
a per-record evaluation (``ImageResult`` + a grid image). ``config.task`` picks
one; models and the training loop stay task-agnostic.

* ``denoise``: pixel loss (``config.loss``) of ``model(input)`` against
  ``target``; evaluation adds seeded Gaussian noise to clean images (the standard
  protocol, ``jaxrestore.evaluate``). Grid: noisy | output | clean.
* ``desnow``: DesnowNet's ``L(y', y) + L(y_hat, y) + 3 L(z, mask)`` on paired
  (input, clean, mask) records; evaluation is PSNR / SSIM of ``clip(y_hat)`` (uint8)
  against the clean image, beside the snowy input's. Grid: snowy | y_hat | mask z | clean.
* ``derain``: the Attentive GAN (``jaxrestore.gan``: generator ``config.model``,
  discriminator ``config.gan.discriminator``, two optimisers, D step then G step),
  losses of ``jaxrestore.losses.derain``; evaluation as the authors: H, W cropped
  to multiples of 4 (top-left), PSNR / SSIM (scikit-image defaults, as their
  script) on the BT.601 luma of the uint8 images. Grid: rainy | attention | output | clean.
"""
import dataclasses
import warnings
from typing import Callable

import jax.numpy as jnp
import numpy as np

from flax import nnx

from jaxrestore import checkpoints, evaluate, gan, losses, metrics, models, optim, steps
from jaxrestore.data import datasets, images


@dataclasses.dataclass(frozen=True)
class Task:
  make_setup: Callable  # config -> steps.Setup
  evaluate_record: Callable  # (apply, record, config) -> (ImageResult, grid uint8)


def one_model(make_loss: Callable) -> Callable:
  """``make_setup`` of a task that trains ``config.model`` alone with ``make_loss(config)``."""

  def make_setup(config) -> steps.Setup:
    model = models.create(config.model, rngs=nnx.Rngs(config.seed),
                          **config.model_kwargs.to_dict())
    return steps.single_model_setup(model, optim.make_optimizer(config.optimizer),
                                    make_loss(config), config.seed)

  return make_setup


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


# --- derain (Attentive GAN) ------------------------------------------------------------------

def perceptual_net(path: str, seed: int = 0):
  """VGG16 for the perceptual loss: a jaxrestore model dir (``scripts/port.py`` converts
  torchvision's ``vgg16-*.pth``), or random weights when ``path`` is empty."""
  if path:
    model, name, _ = checkpoints.load_model(path)
    if name != "vgg16":
      raise ValueError(f"{path}: holds a {name!r}, the perceptual loss needs 'vgg16'")
    return model
  warnings.warn("config.gan.vgg is empty: the perceptual loss uses a randomly initialised "
                "VGG16 (set it to a ported torchvision VGG16 for the paper's loss)")
  return models.create("vgg16", rngs=nnx.Rngs(seed))


def derain_loss_fns(gan_cfg, vgg: nnx.Module):
  """(d_loss_fn, g_loss_fn) of ``gan.make_gan_train_step`` for the Attentive GAN; ``vgg``
  (fixed weights) becomes a constant of the step."""
  vgg_graphdef, vgg_state = nnx.split(vgg)

  def d_loss_fn(d, batch, fake, rng):
    del rng
    return losses.derain.discriminator_loss(d(batch["clean"]), d(fake["output"]),
                                            fake["attention"][-1], map_weight=gan_cfg.map_weight)

  def g_loss_fn(g, d, batch, rng):
    del rng
    out = g(batch["input"])
    loss, parts = losses.derain.generator_loss(
        out, d(out["output"]), batch["input"], batch["clean"], nnx.merge(vgg_graphdef, vgg_state),
        gan_weight=gan_cfg.gan_weight, theta=gan_cfg.theta, gan_loss=gan_cfg.gan_loss)
    psnr = jnp.mean(metrics.psnr(jnp.clip(out["output"], 0, 1), batch["clean"]))
    return loss, {"psnr": psnr, **parts}

  return d_loss_fn, g_loss_fn


def _derain_setup(config) -> steps.Setup:
  g_cfg = config.gan
  generator = models.create(config.model, rngs=nnx.Rngs(config.seed),
                            **config.model_kwargs.to_dict())
  d_kwargs = {"input_size": config.data.crop, **g_cfg.discriminator_kwargs.to_dict()}
  discriminator = models.create(g_cfg.discriminator, rngs=nnx.Rngs(config.seed + 1), **d_kwargs)
  g_tx, d_tx = optim.make_optimizer(config.optimizer), optim.make_optimizer(g_cfg.d_optimizer)
  g_graphdef, g_eval_graphdef, d_graphdef, state = gan.create_gan_state(
      generator, discriminator, g_tx, d_tx, config.seed)
  d_loss_fn, g_loss_fn = derain_loss_fns(g_cfg, perceptual_net(g_cfg.vgg, config.seed + 2))
  return steps.Setup(state,
                     gan.make_gan_train_step(g_graphdef, d_graphdef, g_tx, d_tx, d_loss_fn,
                                             g_loss_fn),
                     gan.make_apply(g_eval_graphdef, getattr(generator, "size_multiple", 1)),
                     lambda state, init: state.replace(
                         g=steps.with_model_weights(state.g, init, g_tx)))


def luma_uint8(rgb_u8: np.ndarray) -> np.ndarray:
  """BT.601 full-range luma of uint8 RGB, rounded to uint8 (cv2's ``COLOR_BGR2YCrCb`` Y)."""
  y = np.asarray(metrics.rgb_to_y(rgb_u8.astype(np.float32) / np.float32(255.0)))[..., 0]
  return np.clip(np.round(y * 255.0), 0, 255).astype(np.uint8)


def evaluate_derain_record(apply, record):
  """(ImageResult with psnr_noisy = the rainy input's, grid) of one (input, clean) record."""
  import skimage.metrics  # pylint: disable=g-import-not-at-top

  rainy = datasets.decode(record, "input", 3)
  clean = datasets.decode(record, "clean", 3)
  if rainy.shape != clean.shape:
    raise images.ImageError(f"{_name(record)}: rainy {rainy.shape} and clean {clean.shape} "
                            "differ in size")
  h, w = rainy.shape[0] // 4 * 4, rainy.shape[1] // 4 * 4
  if h == 0 or w == 0:
    raise images.ImageError(f"{_name(record)}: {rainy.shape[:2]} is smaller than 4x4")
  rainy, clean = rainy[:h, :w], clean[:h, :w]
  out = apply(jnp.asarray(rainy[None] / np.float32(255.0)))
  restored = metrics.to_uint8(np.asarray(out["output"])[0])
  attention = metrics.to_uint8(np.asarray(out["attention"][-1])[0])
  y_rainy, y_out, y_clean = luma_uint8(rainy), luma_uint8(restored), luma_uint8(clean)
  result = evaluate.ImageResult(
      name=_name(record), height=h, width=w,
      psnr_noisy=float(skimage.metrics.peak_signal_noise_ratio(y_clean, y_rainy)),
      psnr=float(skimage.metrics.peak_signal_noise_ratio(y_clean, y_out)),
      ssim=float(skimage.metrics.structural_similarity(y_clean, y_out)))
  return result, images.grid(rainy, np.repeat(attention, 3, axis=-1), restored, clean)


TASKS = {
    "denoise": Task(one_model(lambda config: denoise_loss(losses.get_pixel_loss(config.loss))),
                    _denoise_record),
    "desnow": Task(one_model(_desnow_loss),
                   lambda apply, record, config: evaluate_desnow_record(apply, record)),
    "derain": Task(_derain_setup,
                   lambda apply, record, config: evaluate_derain_record(apply, record)),
}


def get(name: str) -> Task:
  try:
    return TASKS[name]
  except KeyError:
    raise ValueError(f"unknown task {name!r}; known: {sorted(TASKS)}") from None
