"""DesnowNet's pyramid loss and total loss (twin of ``jaxrestore/losses/desnow.py``)."""
import torch.nn.functional as F


def pyramid_loss(pred, target, tau=4):
  total = 0.0
  for i in range(tau + 1):
    k = 2 ** i
    if min(pred.shape[2:]) < k:  # a level coarser than the image has no pixels
      break
    p, t = (pred, target) if k == 1 else (F.max_pool2d(pred, k), F.max_pool2d(target, k))
    total = total + ((p - t) ** 2).sum() / pred.shape[0]
  return total


def desnow_loss(out, clean, mask, tau=4, mask_weight=3.0):
  parts = {"loss_y_prime": pyramid_loss(out["y_prime"], clean, tau),
           "loss_y_hat": pyramid_loss(out["y_hat"], clean, tau),
           "loss_z": pyramid_loss(out["z_raw"], mask, tau)}
  return parts["loss_y_prime"] + parts["loss_y_hat"] + mask_weight * parts["loss_z"], parts
