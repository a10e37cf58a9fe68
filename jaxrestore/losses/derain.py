"""Attentive GAN losses (Qian et al., CVPR 2018, eq. 4-9), NHWC.

* Attention target ``M``: 1 where ``sum_c |rain - clean| > 30/255`` (the paper's
  threshold of 30 on uint8 images, summed over the channels), else 0.
* ``L_ATT = sum_{t=1..N} theta^(N-t) MSE(A_t, M)``, theta = 0.8.
* ``L_M = sum_i lambda_i MSE(S_i, T_i)`` over the decoder's outputs at 1/4, 1/2
  and 1 of the size, lambda = 0.6, 0.8, 1.0; ``T_i`` is the clean image reduced
  by area averaging (k x k means; H and W are multiples of 4).
* ``L_P = sum_l MSE(VGG_l(O), VGG_l(T))`` over VGG16's relu1_1, relu1_2, relu2_1,
  relu2_2 (``features`` indices 1, 3, 6, 8). ``vgg_input="raw"`` (the default)
  feeds O and T in [0, 1] as they are, as the authors' ``models/vgg_init.py`` does
  (its ``vgg`` wrapper passes its input straight to torchvision's ``features``);
  ``"imagenet"`` normalises them first with the ImageNet mean / std the
  torchvision weights were trained with.
* Generator: ``L_G = 0.01 L_GAN(O) + L_ATT + L_M + L_P`` with the paper's
  ``L_GAN(O) = log(1 - D(O))`` (``gan_loss="paper"``) or the non-saturating
  ``-log D(O)`` (``"non_saturating"``).
* Discriminator: ``L_D = -log D(R) - log(1 - D(O)) + 0.05 L_map`` with
  ``L_map = MSE(D_map(O), A_N) + MSE(D_map(R), 0)``; ``A_N`` (the generator's
  last attention map) is a constant for the discriminator.

The log terms are computed from the discriminator's pre-sigmoid logit with
``softplus`` (``-log sigmoid(l) = softplus(-l)``, ``-log(1 - sigmoid(l)) =
softplus(l)``): the same values as the logs of the sigmoid, finite when D saturates.
"""
import jax
import jax.numpy as jnp

from jaxrestore import errors
from jaxrestore.losses.pixel import mse
from jaxrestore.models.layers import avg_pool

ATT_THRESHOLD = 30.0 / 255.0


def attention_target(rain, clean, threshold: float = ATT_THRESHOLD):
  """(N, H, W, 1) binary mask of the raindrop pixels."""
  return (jnp.sum(jnp.abs(rain - clean), axis=-1, keepdims=True) > threshold).astype(rain.dtype)


def attention_loss(attention, target, theta: float = 0.8):
  n = len(attention)
  return sum(theta ** (n - 1 - t) * mse(a, target) for t, a in enumerate(attention))


def constant_attention_loss(target, n: int, theta: float = 0.8):
  """L_ATT of the best maps that are the same everywhere (each the target's mean p):
  ``p (1 - p) sum_t theta^t``. A run whose ``loss_att`` stays at this has not learnt
  where the drops are (logged as ``loss_att_constant``)."""
  p = jnp.mean(target)
  return p * (1.0 - p) * sum(theta ** t for t in range(n))


def attention_losses(attention, rain, clean, theta: float = 0.8) -> dict:
  """``loss_att`` (L_ATT of the maps against the drops' mask) and ``loss_att_constant``
  (the same for the best maps that are the same everywhere)."""
  target = attention_target(rain, clean)
  return {"loss_att": attention_loss(attention, target, theta),
          "loss_att_constant": constant_attention_loss(target, len(attention), theta)}


def area_downsample(x, k: int):
  if k == 1:
    return x
  n, h, w, c = x.shape
  if h % k or w % k:
    raise ValueError(f"area_downsample: {h}x{w} is not a multiple of {k}")
  return avg_pool(x, k)


def multiscale_loss(frames, clean, weights=(0.6, 0.8, 1.0)):
  """``frames``: outputs at 1/4, 1/2 and full size."""
  return sum(w * mse(f, area_downsample(clean, clean.shape[1] // f.shape[1]))
             for w, f in zip(weights, frames))


VGG_INPUTS = ("raw", "imagenet")


def perceptual_loss(vgg, output, clean, layers=(1, 3, 6, 8), vgg_input: str = "raw"):
  if vgg_input not in VGG_INPUTS:
    raise errors.ConfigError(f"gan.vgg_input must be 'raw' or 'imagenet', got {vgg_input!r}")
  normalize = vgg_input == "imagenet"
  return sum(mse(a, b) for a, b in zip(vgg.features_at(output, layers, normalize),
                                       vgg.features_at(clean, layers, normalize)))


def generator_loss(out: dict, d_fake: dict, rain, clean, vgg, *, gan_weight: float = 0.01,
                   theta: float = 0.8, gan_loss: str = "paper", vgg_input: str = "raw"):
  """(L_G, parts) for the generator's output dict and D's output on ``out["output"]``."""
  logit = d_fake["logit"]
  if gan_loss == "paper":
    l_gan = -jnp.mean(jax.nn.softplus(logit))  # log(1 - D(O))
  elif gan_loss == "non_saturating":
    l_gan = jnp.mean(jax.nn.softplus(-logit))  # -log D(O)
  else:
    raise errors.ConfigError(f"gan_loss must be 'paper' or 'non_saturating', got {gan_loss!r}")
  parts = {"loss_gan": l_gan,
           **attention_losses(out["attention"], rain, clean, theta),
           "loss_ms": multiscale_loss((out["frame1"], out["frame2"], out["output"]), clean),
           "loss_perceptual": perceptual_loss(vgg, out["output"], clean,
                                              vgg_input=vgg_input)}
  total = gan_weight * l_gan + parts["loss_att"] + parts["loss_ms"] + parts["loss_perceptual"]
  return total, parts


def discriminator_loss(d_real: dict, d_fake: dict, last_attention, *, map_weight: float = 0.05):
  """(L_D, parts); ``last_attention`` is the generator's ``A_N`` (gradient stopped here)."""
  l_map = (mse(d_fake["mask"], jax.lax.stop_gradient(last_attention))
           + jnp.mean(d_real["mask"] ** 2))
  l_adv = jnp.mean(jax.nn.softplus(-d_real["logit"])) + jnp.mean(jax.nn.softplus(d_fake["logit"]))
  return l_adv + map_weight * l_map, {"loss_adv": l_adv, "loss_map": l_map}
