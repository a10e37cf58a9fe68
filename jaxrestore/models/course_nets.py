"""The two small denoisers of the EPFL EE-559 Noise2Noise mini-projects, NHWC.

Twin of ``torch_ref/models/course_nets.py`` and of the explicit-backward nets in
``jaxrestore/explicit/nets.py``; the four share one state-dict layout (that of an
``nn.Sequential``: ``0.weight``, ``2.weight``, ``4.1.weight``, ...), so weights move
between them with ``jaxrestore.porting`` / ``explicit.load_state_dict``.

* ``CourseNetA``: Conv(3->32) ReLU Conv(32->64) ReLU TransposeConv(64->32) ReLU
  TransposeConv(32->3) Sigmoid, kernel 2, stride 1, padding 1 (the project's best
  row): 32x32 -> 33 -> 34 -> 33 -> 32. Any size in, the same size out for these
  defaults.
* ``CourseNetB``: Conv(stride 2) ReLU Conv(stride 2) ReLU Upsampling(x2) ReLU
  Upsampling(x2) Sigmoid; down-sampling kernel 2, up-sampling = nearest x2 then a
  'same' conv of kernel 5. H and W must be multiples of 4 (``size_multiple``).

Init is torch's default for every layer (both projects kept it).
"""
import jax
from flax import nnx

from jaxrestore.models.layers import ConvTranspose2d, conv2d, upsample_nearest
from jaxrestore.models.registry import register


class Upsampling(nnx.Module):
  """Nearest x``scale`` upsampling then a conv (torch: ``Sequential(Upsample, Conv2d)``, keys ``1.*``)."""

  def __init__(self, in_features: int, out_features: int, kernel_size: int, scale: int = 2,
               *, rngs: nnx.Rngs):
    self.scale = scale
    self.conv = conv2d(in_features, out_features, kernel_size, rngs=rngs)

  def __call__(self, x):
    return self.conv(upsample_nearest(x, self.scale))


def _check(x, channels, multiple):
  if x.ndim != 4 or x.shape[-1] != channels:
    raise ValueError(f"expected NHWC input with {channels} channel(s), got {x.shape}")
  if x.shape[1] % multiple or x.shape[2] % multiple:
    raise ValueError(f"H and W must be multiples of {multiple}, got {x.shape[1:3]}")


class CourseNetA(nnx.Sequential):
  size_multiple = 1
  output_key = None  # returns the restored image itself

  def __init__(self, in_channels: int = 3, channels: tuple[int, int] = (32, 64),
               kernel_size: int = 2, stride: int = 1, padding: int = 1, *, rngs: nnx.Rngs):
    c1, c2 = channels
    conv = lambda i, o: conv2d(i, o, kernel_size, stride=stride, padding=padding, rngs=rngs)  # noqa: E731
    tconv = lambda i, o: ConvTranspose2d(i, o, kernel_size, stride=stride, padding=padding,  # noqa: E731
                                         rngs=rngs)
    self.in_channels = in_channels
    super().__init__(conv(in_channels, c1), jax.nn.relu, conv(c1, c2), jax.nn.relu,
                     tconv(c2, c1), jax.nn.relu, tconv(c1, in_channels), jax.nn.sigmoid)

  def __call__(self, x):
    _check(x, self.in_channels, self.size_multiple)
    return super().__call__(x)


class CourseNetB(nnx.Sequential):
  size_multiple = 4
  output_key = None  # returns the restored image itself

  def __init__(self, in_channels: int = 3, channels: tuple[int, int] = (32, 64),
               down_kernel: int = 2, up_kernel: int = 5, *, rngs: nnx.Rngs):
    c1, c2 = channels
    self.in_channels = in_channels
    super().__init__(
        conv2d(in_channels, c1, down_kernel, stride=2, padding=0, rngs=rngs), jax.nn.relu,
        conv2d(c1, c2, down_kernel, stride=2, padding=0, rngs=rngs), jax.nn.relu,
        Upsampling(c2, c1, up_kernel, rngs=rngs), jax.nn.relu,
        Upsampling(c1, in_channels, up_kernel, rngs=rngs), jax.nn.sigmoid)

  def __call__(self, x):
    _check(x, self.in_channels, self.size_multiple)
    return super().__call__(x)


@register("course_net_a")
def _course_net_a(**kw):
  return CourseNetA(**kw)


@register("course_net_b")
def _course_net_b(**kw):
  return CourseNetB(**kw)
