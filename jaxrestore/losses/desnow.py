"""DesnowNet's losses (Liu et al. 2018, eq. 9-10), NHWC.

Pyramid loss: ``L(m, m_hat) = sum_{i=0..tau} MSE(P_{2^i}(m), P_{2^i}(m_hat))``
with ``P_k`` max pooling of kernel = stride = ``k`` (floor mode, as
``F.max_pool2d``), tau = 4, each level's squared error averaged over its
elements (batch, pixels, channels) as the paper defines it (``reduction="mean"``).
``reduction="sum"`` is the public re-implementation's form: each level's squared
error summed over pixels and channels and averaged over the batch, which weights
level 0 4^i times more than level i and makes the loss ~H*W*C times larger
against the optimiser's coupled L2 term; kept to reproduce runs made with it.
(The re-implementation's default tau of 6 is not followed either: the paper's is
4.) Levels coarser than the image (2^i > H or W) are skipped.

Total: ``L(y', y) + L(y_hat, y) + lambda_z * L(z, mask)`` with lambda_z = 3; the
mask term uses the unclipped ``z_raw`` and needs a one-channel mask (the data
pipeline reads mask files as one channel, ``datasets.decode_mask``); any other
mask shape is an error, never broadcast. The weight-decay term of the paper is
the optimiser's (torch-style coupled L2, see ``jaxrestore.optim``).
"""
import jax.numpy as jnp

from jaxrestore.models.layers import max_pool

REDUCTIONS = ("mean", "sum")


def pyramid_loss(pred, target, tau: int = 4, reduction: str = "mean"):
  if pred.shape != target.shape:
    raise ValueError(f"pyramid_loss: shapes differ, {pred.shape} vs {target.shape}")
  if reduction not in REDUCTIONS:
    raise ValueError(f"pyramid_loss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
  total = 0.0
  for i in range(tau + 1):
    if min(pred.shape[1:3]) < 2 ** i:  # a level coarser than the image has no pixels
      break
    k = 2 ** i
    d = (max_pool(pred, k) - max_pool(target, k)) if k > 1 else pred - target
    total = total + (jnp.mean(d * d) if reduction == "mean" else jnp.sum(d * d) / pred.shape[0])
  return total


def check_mask(mask, z_raw):
  """The mask must have the predicted mask's shape (N, H, W, 1): no broadcasting."""
  if mask.shape != z_raw.shape:
    raise ValueError(f"desnow_loss: the mask has shape {tuple(mask.shape)}, expected "
                     f"{tuple(z_raw.shape)} (one channel; read mask files with "
                     f"datasets.decode_mask)")


def desnow_loss(out: dict, clean, mask, tau: int = 4, mask_weight: float = 3.0,
                reduction: str = "mean"):
  """(total, parts) for the model's output dict; ``mask``: (N, H, W, 1) in [0, 1]."""
  check_mask(mask, out["z_raw"])
  parts = {"loss_y_prime": pyramid_loss(out["y_prime"], clean, tau, reduction),
           "loss_y_hat": pyramid_loss(out["y_hat"], clean, tau, reduction),
           "loss_z": pyramid_loss(out["z_raw"], mask, tau, reduction)}
  total = parts["loss_y_prime"] + parts["loss_y_hat"] + mask_weight * parts["loss_z"]
  return total, parts
