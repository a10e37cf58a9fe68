"""Raindrop removal with the Attentive GAN (Qian et al. 2018).

Training: generator ``config.model`` and discriminator ``config.gan.discriminator``,
two optimisers, D step then G step per batch (``jaxrestore.gan``), losses of
``jaxrestore.losses.derain`` with the perceptual loss's VGG16 from ``config.gan.vgg``;
with ``config.gan.attention_only``, the generator's attention maps alone on L_ATT.
Evaluation as the authors' script: H, W cropped to multiples of 4 (top-left),
the output cast to uint8 by ``EvalOptions.uint8_cast`` (``"truncate"``: their
predict.py's cast; ``"round"``: clip and round), PSNR / SSIM (scikit-image
defaults) on the BT.601 luma of the uint8 images. Data:
a Raindrop-layout folder (``test_a`` / ``test_b``). Grid: rainy | attention |
output | clean. The trained model is the generator (``GANState.g``).
"""
import warnings

import jax.numpy as jnp
import numpy as np
import skimage.metrics
from flax import nnx

from jaxrestore import checkpoints, errors, evaluate, gan, losses, metrics, models, optim, steps
from jaxrestore.data import datasets, images
from jaxrestore.tasks import base


def perceptual_net(path: str, seed: int = 0, precision: str = "float32") -> nnx.Module:
  """VGG16 for the perceptual loss: a jaxrestore model dir (``scripts/port.py`` converts
  torchvision's ``vgg16-*.pth``), or random weights when ``path`` is empty."""
  if path:
    model, name, _ = checkpoints.load_model(path, precision=precision)
    if name != "vgg16":
      raise checkpoints.CheckpointFormatError(
          f"{path}: holds a {name!r}, the perceptual loss needs 'vgg16'")
    return model
  warnings.warn("config.gan.vgg is empty: the perceptual loss uses a randomly initialised "
                "VGG16 (set it to a ported torchvision VGG16 for the paper's loss)")
  return models.create("vgg16", rngs=nnx.Rngs(seed), precision=precision)


def gan_loss_fns(gan_cfg, vgg: nnx.Module) -> tuple[gan.DLossFn, gan.GLossFn]:
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
        gan_weight=gan_cfg.gan_weight, theta=gan_cfg.theta, gan_loss=gan_cfg.gan_loss,
        vgg_input=gan_cfg.vgg_input)
    psnr = jnp.mean(metrics.psnr(jnp.clip(out["output"], 0, 1), batch["clean"]))
    return loss, {"psnr": psnr, **parts}

  return d_loss_fn, g_loss_fn


def attention_loss_fn(gan_cfg):
  """``g_loss_fn`` of ``gan.make_generator_step``: L_ATT of the attention maps alone."""

  def g_loss_fn(g, batch, rng):
    del rng
    parts = losses.derain.attention_losses(g.attention_maps(batch["input"]), batch["input"],
                                           batch["clean"], gan_cfg.theta)
    return parts["loss_att"], parts

  return g_loss_fn


def make_setup(config) -> steps.Setup:
  g_cfg = config.gan
  generator = base.create_model(config)
  d_kwargs = {"input_size": config.data.crop, **g_cfg.discriminator_kwargs.to_dict()}
  discriminator = models.create(g_cfg.discriminator, rngs=nnx.Rngs(config.seed + 1),
                                precision=config.precision, **d_kwargs)
  g_tx, d_tx = optim.make_optimizer(config.optimizer), optim.make_optimizer(g_cfg.d_optimizer)
  g_graphdef, g_eval_graphdef, d_graphdef, state = gan.create_gan_state(
      generator, discriminator, g_tx, d_tx, config.seed)
  if g_cfg.attention_only:
    train_step = gan.make_generator_step(g_graphdef, g_tx, attention_loss_fn(g_cfg))
  else:
    train_step = gan.make_gan_train_step(
        g_graphdef, d_graphdef, g_tx, d_tx,
        *gan_loss_fns(g_cfg, perceptual_net(g_cfg.vgg, config.seed + 2, config.precision)))
  return steps.Setup(state, train_step,
                     gan.make_generator_apply(g_eval_graphdef, generator.size_multiple),
                     lambda state, init: state.replace(
                         g=steps.with_model_weights(state.g, init, g_tx)))


def evaluate_record(apply, record, opts: base.EvalOptions | None = None):
  """(ImageResult with psnr_input = the rainy input's, grid) of one (input, clean) record."""
  cast_name = opts.uint8_cast if opts else "round"  # RGB, no added noise: nothing else read
  if cast_name not in metrics.UINT8_CASTS:
    raise errors.ConfigError(f"uint8_cast must be one of {sorted(metrics.UINT8_CASTS)}, "
                             f"got {cast_name!r}")
  name = base.record_name(record)
  rainy = datasets.decode(record, "input", 3)
  clean = datasets.decode(record, "clean", 3)
  # Their common top-left region, H and W multiples of 4 (the raindrop kind already
  # crops pairs of different sizes so when it prepares the data set).
  h = min(rainy.shape[0], clean.shape[0]) // 4 * 4
  w = min(rainy.shape[1], clean.shape[1]) // 4 * 4
  if h == 0 or w == 0:
    raise images.ImageError(f"{name}: rainy {rainy.shape[:2]} and clean {clean.shape[:2]} "
                            "share less than 4x4 pixels")
  rainy, clean = rainy[:h, :w], clean[:h, :w]
  out = apply(jnp.asarray(rainy[None] / np.float32(255.0)))
  restored = metrics.UINT8_CASTS[cast_name](np.asarray(out["output"])[0])
  attention = metrics.to_uint8(np.asarray(out["attention"][-1])[0])
  y_rainy, y_out, y_clean = (metrics.luma_uint8(rainy), metrics.luma_uint8(restored),
                             metrics.luma_uint8(clean))
  result = evaluate.ImageResult(
      name=name, height=h, width=w,
      psnr_input=float(skimage.metrics.peak_signal_noise_ratio(y_clean, y_rainy)),
      psnr=float(skimage.metrics.peak_signal_noise_ratio(y_clean, y_out)),
      ssim=float(skimage.metrics.structural_similarity(y_clean, y_out)))
  return result, images.grid(rainy, np.repeat(attention, 3, axis=-1), restored, clean)


def eval_sources(data_dir, splits, cache_dir):
  return {s: datasets.load({"kind": "raindrop", "path": data_dir}, s, cache_dir) for s in splits}


TASK = base.Task(make_setup=make_setup, evaluate_record=evaluate_record,
                 eval_sources=eval_sources, input_name="rainy", model_state_path=("g",))
