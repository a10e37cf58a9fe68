"""DesnowNet's pyramid loss and total loss (twin of ``jaxrestore/losses/desnow.py``).

``reduction="mean"``: each level's MSE, as the paper; ``"sum"``: the public
re-implementation's per-level squared error summed over pixels and channels and
averaged over the batch. The mask must be (N, 1, H, W), never broadcast.
"""
import torch.nn.functional as F

REDUCTIONS = ("mean", "sum")


def pyramid_loss(pred, target, tau=4, reduction="mean"):
  if pred.shape != target.shape:
    raise ValueError(f"pyramid_loss: shapes differ, {tuple(pred.shape)} vs {tuple(target.shape)}")
  if reduction not in REDUCTIONS:
    raise ValueError(f"pyramid_loss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
  total = 0.0
  for i in range(tau + 1):
    k = 2 ** i
    if min(pred.shape[2:]) < k:  # a level coarser than the image has no pixels
      break
    p, t = (pred, target) if k == 1 else (F.max_pool2d(pred, k), F.max_pool2d(target, k))
    sq = (p - t) ** 2
    total = total + (sq.mean() if reduction == "mean" else sq.sum() / pred.shape[0])
  return total


def check_mask(mask, z_raw):
  if mask.shape != z_raw.shape:
    raise ValueError(f"desnow_loss: the mask has shape {tuple(mask.shape)}, expected "
                     f"{tuple(z_raw.shape)} (one channel)")


def desnow_loss(out, clean, mask, tau=4, mask_weight=3.0, reduction="mean"):
  check_mask(mask, out["z_raw"])
  parts = {"loss_y_prime": pyramid_loss(out["y_prime"], clean, tau, reduction),
           "loss_y_hat": pyramid_loss(out["y_hat"], clean, tau, reduction),
           "loss_z": pyramid_loss(out["z_raw"], mask, tau, reduction)}
  return parts["loss_y_prime"] + parts["loss_y_hat"] + mask_weight * parts["loss_z"], parts
