"""The two small denoisers of the EPFL EE-559 Noise2Noise mini-projects, NHWC.

Twin of ``torch_ref/models/course_nets.py`` and of the explicit-backward nets in
``jaxrestore/explicit/nets.py``; the four share one state-dict layout (that of an
``nn.Sequential``: ``0.weight``, ``2.weight``, ``4.1.weight``, ...), so weights move
between them with ``jaxrestore.porting`` / ``explicit.load_state_dict``.

* ``CourseNetA``: Conv(3->32) ReLU Conv(32->64) ReLU TransposeConv(64->32) ReLU
  TransposeConv(32->3) Sigmoid, every layer with the same ``(kernel_size, stride,
  padding, dilation)``; default (2, 1, 1, 1), the project's best row: 32x32 -> 33
  -> 34 -> 33 -> 32.
* ``CourseNetB``: Conv(stride 2) ReLU Conv(stride 2) ReLU Upsampling(x2) ReLU
  Upsampling(x2) Sigmoid; up-sampling = nearest x2 then a 'same' conv of kernel
  ``up_kernel`` (odd). The strided convs are padded by ``(down_kernel - 1) // 2``
  (the source's "subsequent proper padding"), so each halves H and W for every
  kernel of its grid (2: no padding, 4: padding 1). H and W must be multiples of 4.

Incompatible shapes: some geometries (net A's (2,2,0,2) and (2,2,1,1) rows) make
an output whose size differs from the input's, which the source reports as
"incompatible shapes". All four forms then raise ``IncompatibleShapesError`` (a
``ConfigError``) naming the setting instead of returning that output;
``output_hw(name, hw, **kwargs)`` gives the size a setting makes without building
anything, and ``check_shapes`` raises that error, so a sweep can mark a setting
before running it.

Init (``init``): ``"torch"`` is torch's default for every layer (U(+-1/sqrt(fan_in))
for weight and bias, fan_in of a transposed conv = out * kh * kw as torch reads
it); ``"xavier"`` is ``nn.init.xavier_uniform_`` (gain 1) on every weight and zero
biases. Net B defaults to ``"xavier"``: its source initialised "using the Xavier
method" (it names no bias init; zeros are Glorot & Bengio's). Net A's source
names no init, so it keeps torch's default. Xavier's bound sqrt(6 / (fan_in +
fan_out)) is symmetric in the two fans, so torch's swapped fans for a
``ConvTranspose2d`` weight (in, out, kh, kw) give the same bound as the layer's
own direction: every form uses sqrt(6 / ((in + out) * kh * kw)).

Both take ``dtype``, the compute dtype (``config.precision``; None, the default, casts
nothing): every convolution runs in it with float32 parameters and the output is cast
to the input's dtype. The explicit-backward forms (and so sweeps) compute in float32.
"""
import math

import jax
import jax.numpy as jnp
from flax import nnx

from jaxrestore import errors
from jaxrestore.models import initializers
from jaxrestore.models.layers import (ConvTranspose2d, conv2d, upsample_nearest,
                                      upsample_nearest_conv)
from jaxrestore.models.registry import register

INITS = ("torch", "xavier")


class IncompatibleShapesError(errors.ConfigError):
  """A course-net setting whose output size differs from its input's ("incompatible shapes")."""


def _conv_out(size, k, s, p, d):
  return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _tconv_out(size, k, s, p, d):
  return (size - 1) * s - 2 * p + d * (k - 1) + 1


def _net_a_sizes(size, kernel_size=2, stride=1, padding=1, dilation=1, **_):
  g = (kernel_size, stride, padding, dilation)
  sizes = [size]
  for f in (_conv_out, _conv_out, _tconv_out, _tconv_out):
    sizes.append(f(sizes[-1], *g))
  return sizes


def _net_b_sizes(size, down_kernel=2, up_kernel=5, **_):
  sizes = [size]
  for _ in range(2):
    sizes.append(_conv_out(sizes[-1], down_kernel, 2, (down_kernel - 1) // 2, 1))
  for _ in range(2):
    sizes.append(_conv_out(2 * sizes[-1], up_kernel, 1, up_kernel // 2, 1))
  return sizes


_SIZES = {"course_net_a": _net_a_sizes, "course_net_b": _net_b_sizes}


def _describe(name, kwargs):
  return f"{name}({', '.join(f'{k}={v!r}' for k, v in sorted(kwargs.items()))})"


def output_hw(name: str, hw: tuple[int, int], **kwargs) -> tuple[int, int]:
  """The (H, W) that net ``name`` built with ``kwargs`` gives for an input of size ``hw``.

  Pure arithmetic (torch's output-size formulas). Raises ``IncompatibleShapesError``
  when a layer would get an empty input (a size below 1).
  """
  if name not in _SIZES:
    raise errors.ConfigError(f"output_hw: unknown course net {name!r}; known: {sorted(_SIZES)}")
  out = []
  for size in hw:
    sizes = _SIZES[name](size, **kwargs)
    if min(sizes) < 1:
      raise IncompatibleShapesError(
          f"{_describe(name, kwargs)} shrinks a size of {size} to nothing ({sizes}): "
          "incompatible shapes")
    out.append(sizes[-1])
  return tuple(out)


def check_shapes(name: str, hw: tuple[int, int], **kwargs) -> None:
  """Raises ``IncompatibleShapesError`` unless the net maps ``hw`` to ``hw``."""
  got = output_hw(name, hw, **kwargs)
  if got != tuple(hw):
    raise IncompatibleShapesError(
        f"{_describe(name, kwargs)} maps {hw[0]}x{hw[1]} to {got[0]}x{got[1]}: incompatible "
        "shapes (the output must have the input's size); choose another setting or size")


def xavier_bound(kernel_shape) -> float:
  """``nn.init.xavier_uniform_``'s bound for an HWIO kernel (conv or transposed conv)."""
  kh, kw, cin, cout = kernel_shape
  return math.sqrt(6.0 / ((cin + cout) * kh * kw))


def _xavier(layers, rngs: nnx.Rngs):
  """Re-initialises every conv of ``layers``: Xavier-uniform kernels, zero biases."""
  for layer in layers:
    conv = layer.conv if isinstance(layer, Upsampling) else layer
    if not isinstance(conv, (nnx.Conv, ConvTranspose2d)):
      continue
    shape = conv.kernel[...].shape
    b = xavier_bound(shape)
    conv.kernel[...] = initializers.uniform(rngs.params(), shape, jnp.float32, -b, b)
    if conv.bias is not None:
      conv.bias[...] = jnp.zeros_like(conv.bias[...])


def _check_init(init):
  if init not in INITS:
    raise errors.ConfigError(f"course net init must be one of {INITS}, got {init!r}")


class Upsampling(nnx.Module):
  """Nearest x``scale`` upsampling then a 'same' conv (torch: ``Sequential(Upsample,
  Conv2d)``, keys ``1.*``).

  In float32 and float64 it is computed sub-pixel (``layers.upsample_nearest_conv``):
  the same values to float rounding with 9 instead of 25 multiply-adds per output for
  kernel 5, which made a course net B training step 2.3-3.9x faster on CPU (1.5x with
  kernel 3, whose phases keep 9 taps; docs/performance.md, Sweeps). With a compute
  ``dtype`` (bf16) it upsamples and convolves directly, as torch's autocast does: the
  summed taps would be rounded to bf16 a second time."""

  def __init__(self, in_features: int, out_features: int, kernel_size: int, scale: int = 2,
               *, rngs: nnx.Rngs, dtype=None):
    self.scale = scale
    self.conv = conv2d(in_features, out_features, kernel_size, rngs=rngs, dtype=dtype)

  def __call__(self, x):
    if self.conv.dtype is not None:
      return self.conv(upsample_nearest(x, self.scale))
    y = upsample_nearest_conv(x, self.conv.kernel[...], self.scale)
    return y + self.conv.bias[...] if self.conv.bias is not None else y


def _check(x, channels, multiple):
  if x.ndim != 4 or x.shape[-1] != channels:
    raise ValueError(f"expected NHWC input with {channels} channel(s), got {x.shape}")
  if x.shape[1] % multiple or x.shape[2] % multiple:
    raise ValueError(f"H and W must be multiples of {multiple}, got {x.shape[1:3]}")


class CourseNetA(nnx.Sequential):
  size_multiple = 1
  output_key = None  # returns the restored image itself

  def __init__(self, in_channels: int = 3, channels: tuple[int, int] = (32, 64),
               kernel_size: int = 2, stride: int = 1, padding: int = 1, dilation: int = 1,
               init: str = "torch", *, rngs: nnx.Rngs, dtype=None):
    _check_init(init)
    c1, c2 = channels
    g = dict(stride=stride, padding=padding, dilation=dilation, rngs=rngs, dtype=dtype)
    self.in_channels = in_channels
    self.geometry = dict(kernel_size=kernel_size, stride=stride, padding=padding,
                         dilation=dilation)
    super().__init__(conv2d(in_channels, c1, kernel_size, **g), jax.nn.relu,
                     conv2d(c1, c2, kernel_size, **g), jax.nn.relu,
                     ConvTranspose2d(c2, c1, kernel_size, **g), jax.nn.relu,
                     ConvTranspose2d(c1, in_channels, kernel_size, **g), jax.nn.sigmoid)
    if init == "xavier":
      _xavier(self.layers, rngs)

  def __call__(self, x):
    _check(x, self.in_channels, self.size_multiple)
    check_shapes("course_net_a", x.shape[1:3], **self.geometry)
    return super().__call__(x).astype(x.dtype)


class CourseNetB(nnx.Sequential):
  size_multiple = 4
  output_key = None  # returns the restored image itself

  def __init__(self, in_channels: int = 3, channels: tuple[int, int] = (32, 64),
               down_kernel: int = 2, up_kernel: int = 5, init: str = "xavier", *,
               rngs: nnx.Rngs, dtype=None):
    _check_init(init)
    c1, c2 = channels
    down = dict(stride=2, padding=(down_kernel - 1) // 2, rngs=rngs, dtype=dtype)
    self.in_channels = in_channels
    self.geometry = dict(down_kernel=down_kernel, up_kernel=up_kernel)
    super().__init__(
        conv2d(in_channels, c1, down_kernel, **down), jax.nn.relu,
        conv2d(c1, c2, down_kernel, **down), jax.nn.relu,
        Upsampling(c2, c1, up_kernel, rngs=rngs, dtype=dtype), jax.nn.relu,
        Upsampling(c1, in_channels, up_kernel, rngs=rngs, dtype=dtype), jax.nn.sigmoid)
    if init == "xavier":
      _xavier(self.layers, rngs)

  def __call__(self, x):
    _check(x, self.in_channels, self.size_multiple)
    check_shapes("course_net_b", x.shape[1:3], **self.geometry)
    return super().__call__(x).astype(x.dtype)


@register("course_net_a")
def _course_net_a(**kw):
  return CourseNetA(**kw)


@register("course_net_b")
def _course_net_b(**kw):
  return CourseNetB(**kw)
