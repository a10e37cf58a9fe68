"""The two small denoisers of the EPFL EE-559 Noise2Noise mini-projects (PyTorch reference).

Both are ``nn.Sequential``s, so their state dicts (``0.weight``, ``2.weight``,
``4.1.weight``, ...) are those of the explicit-backward twins in
``torch_ref/explicit/nets.py``.

* ``CourseNetA``: Conv(3->32) ReLU Conv(32->64) ReLU ConvTranspose(64->32) ReLU
  ConvTranspose(32->3) Sigmoid, kernel 2, stride 1, padding 1.
* ``CourseNetB``: Conv(k2, s2) ReLU Conv(k2, s2) ReLU Upsampling ReLU Upsampling
  Sigmoid, where Upsampling = nearest x2 then a 'same' conv of kernel 5.

Default torch init everywhere.
"""
from torch import nn

from torch_ref.models.registry import register


class Upsampling(nn.Sequential):

  def __init__(self, in_channels, out_channels, kernel_size, scale=2):
    super().__init__(nn.Upsample(scale_factor=scale, mode="nearest"),
                     nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2))


class CourseNetA(nn.Sequential):
  size_multiple = 1

  def __init__(self, in_channels=3, channels=(32, 64), kernel_size=2, stride=1, padding=1):
    c1, c2 = channels
    k, s, p = kernel_size, stride, padding
    super().__init__(
        nn.Conv2d(in_channels, c1, k, s, p), nn.ReLU(), nn.Conv2d(c1, c2, k, s, p), nn.ReLU(),
        nn.ConvTranspose2d(c2, c1, k, s, p), nn.ReLU(),
        nn.ConvTranspose2d(c1, in_channels, k, s, p), nn.Sigmoid())


class CourseNetB(nn.Sequential):
  size_multiple = 4

  def __init__(self, in_channels=3, channels=(32, 64), down_kernel=2, up_kernel=5):
    c1, c2 = channels
    super().__init__(
        nn.Conv2d(in_channels, c1, down_kernel, stride=2), nn.ReLU(),
        nn.Conv2d(c1, c2, down_kernel, stride=2), nn.ReLU(),
        Upsampling(c2, c1, up_kernel), nn.ReLU(), Upsampling(c1, in_channels, up_kernel),
        nn.Sigmoid())


@register("course_net_a")
def _course_net_a(**kw):
  return CourseNetA(**kw)


@register("course_net_b")
def _course_net_b(**kw):
  return CourseNetB(**kw)
