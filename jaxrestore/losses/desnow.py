"""DesnowNet's losses (Liu et al. 2018, eq. 9-10), NHWC.

Pyramid loss: ``L(m, m_hat) = sum_{i=0..tau} || P_{2^i}(m) - P_{2^i}(m_hat) ||^2``
with ``P_k`` max pooling of kernel = stride = ``k`` (floor mode, as
``F.max_pool2d``), tau = 4. The squared norm is summed over pixels and channels
and averaged over the batch, as the public re-implementation (whose default tau
of 6 we do not follow: the paper's is 4). Levels coarser than the image
(2^i > H or W) are skipped.

Total: ``L(y', y) + L(y_hat, y) + lambda_z * L(z, mask)`` with lambda_z = 3; the
mask term uses the unclipped ``z_raw``. The weight-decay term of the paper is the
optimiser's (torch-style coupled L2, see ``jaxrestore.optim``).
"""
import jax.numpy as jnp

from jaxrestore.models.layers import max_pool


def pyramid_loss(pred, target, tau: int = 4):
  if pred.shape != target.shape:
    raise ValueError(f"pyramid_loss: shapes differ, {pred.shape} vs {target.shape}")
  total = 0.0
  for i in range(tau + 1):
    if min(pred.shape[1:3]) < 2 ** i:  # a level coarser than the image has no pixels
      break
    k = 2 ** i
    d = (max_pool(pred, k) - max_pool(target, k)) if k > 1 else pred - target
    total = total + jnp.sum(d * d) / pred.shape[0]
  return total


def desnow_loss(out: dict, clean, mask, tau: int = 4, mask_weight: float = 3.0):
  """(total, parts) for the model's output dict; ``mask``: (N, H, W, 1) in [0, 1]."""
  parts = {"loss_y_prime": pyramid_loss(out["y_prime"], clean, tau),
           "loss_y_hat": pyramid_loss(out["y_hat"], clean, tau),
           "loss_z": pyramid_loss(out["z_raw"], mask, tau)}
  total = parts["loss_y_prime"] + parts["loss_y_hat"] + mask_weight * parts["loss_z"]
  return total, parts


