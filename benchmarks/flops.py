"""FLOPs counted from layer shapes, for the model FLOPs utilisation (MFU) of a step.

``MFU = counted FLOPs per step / (seconds per step * the device's peak FLOP/s)``;
``core.mfu`` computes it for rows that carry ``flops``.
"""
import math

from jaxrestore.models import dncnn


def dncnn_flops(model: dncnn.DnCNN, batch: int, height: int, width: int, *, train: bool) -> float:
  """FLOPs (2 per multiply-add) of a DnCNN's convolutions on ``batch`` images.

  Every convolution is stride 1 with 'same' padding, so each runs at the full
  ``height x width``: ``2 * kh * kw * c_in * c_out`` per pixel, read from the
  kernels' shapes. A training step counts 3x the forward (forward, gradient
  w.r.t. the activations, gradient w.r.t. the weights; the first layer's input
  gradient, which is not needed, is counted too, as is usual). BN, ReLU, the
  residual, the loss and the optimiser update (O(activations) or O(parameters))
  are left out.
  """
  per_pixel = sum(2 * math.prod(conv.kernel.shape) for conv in model.conv)
  forward = float(batch * height * width * per_pixel)
  return 3 * forward if train else forward
