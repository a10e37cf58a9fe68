"""The two small denoisers of the EPFL EE-559 Noise2Noise mini-projects (PyTorch reference).

Both are ``nn.Sequential``s, so their state dicts (``0.weight``, ``2.weight``,
``4.1.weight``, ...) are those of the explicit-backward twins in
``torch_ref/explicit/nets.py``. Twin of ``jaxrestore/models/course_nets.py``, whose
docstring has the details; the same arguments and defaults:

* ``CourseNetA``: Conv(3->32) ReLU Conv(32->64) ReLU ConvTranspose(64->32) ReLU
  ConvTranspose(32->3) Sigmoid, every layer with the same (kernel_size, stride,
  padding, dilation), default (2, 1, 1, 1).
* ``CourseNetB``: Conv(down_kernel, stride 2, padding (down_kernel - 1) // 2) ReLU,
  twice, then Upsampling ReLU Upsampling Sigmoid, where Upsampling = nearest x2
  then a 'same' conv of kernel ``up_kernel``.

A setting whose output size differs from the input's raises
``IncompatibleShapesError`` (``output_hw`` / ``check_shapes`` tell beforehand).
``init``: ``"torch"`` (torch's default) or ``"xavier"`` (``xavier_uniform_`` weights,
zero biases); net B defaults to ``"xavier"`` as its source, net A to ``"torch"``.
"""
from torch import nn

from torch_ref.models.registry import register

INITS = ("torch", "xavier")


class IncompatibleShapesError(ValueError):
  """A course-net setting whose output size differs from its input's ("incompatible shapes")."""


def _conv_out(size, k, s, p, d):
  return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _tconv_out(size, k, s, p, d):
  return (size - 1) * s - 2 * p + d * (k - 1) + 1


def _net_a_sizes(size, kernel_size=2, stride=1, padding=1, dilation=1, **_):
  sizes = [size]
  for f in (_conv_out, _conv_out, _tconv_out, _tconv_out):
    sizes.append(f(sizes[-1], kernel_size, stride, padding, dilation))
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


def output_hw(name, hw, **kwargs):
  """The (H, W) that net ``name`` built with ``kwargs`` gives for an input of size ``hw``."""
  out = []
  for size in hw:
    sizes = _SIZES[name](size, **kwargs)
    if min(sizes) < 1:
      raise IncompatibleShapesError(
          f"{_describe(name, kwargs)} shrinks a size of {size} to nothing ({sizes}): "
          "incompatible shapes")
    out.append(sizes[-1])
  return tuple(out)


def check_shapes(name, hw, **kwargs):
  """Raises ``IncompatibleShapesError`` unless the net maps ``hw`` to ``hw``."""
  got = output_hw(name, hw, **kwargs)
  if got != tuple(hw):
    raise IncompatibleShapesError(
        f"{_describe(name, kwargs)} maps {hw[0]}x{hw[1]} to {got[0]}x{got[1]}: incompatible "
        "shapes (the output must have the input's size); choose another setting or size")


def init_xavier(net):
  """``xavier_uniform_`` (gain 1) on every conv weight, zero biases."""
  for m in net.modules():
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
      nn.init.xavier_uniform_(m.weight)
      if m.bias is not None:
        nn.init.zeros_(m.bias)


def _check_init(init):
  if init not in INITS:
    raise ValueError(f"course net init must be one of {INITS}, got {init!r}")


class Upsampling(nn.Sequential):

  def __init__(self, in_channels, out_channels, kernel_size, scale=2):
    super().__init__(nn.Upsample(scale_factor=scale, mode="nearest"),
                     nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2))


class CourseNetA(nn.Sequential):
  size_multiple = 1

  def __init__(self, in_channels=3, channels=(32, 64), kernel_size=2, stride=1, padding=1,
               dilation=1, init="torch"):
    _check_init(init)
    c1, c2 = channels
    g = (kernel_size, stride, padding)
    super().__init__(
        nn.Conv2d(in_channels, c1, *g, dilation=dilation), nn.ReLU(),
        nn.Conv2d(c1, c2, *g, dilation=dilation), nn.ReLU(),
        nn.ConvTranspose2d(c2, c1, *g, dilation=dilation), nn.ReLU(),
        nn.ConvTranspose2d(c1, in_channels, *g, dilation=dilation), nn.Sigmoid())
    self.geometry = dict(kernel_size=kernel_size, stride=stride, padding=padding,
                         dilation=dilation)
    if init == "xavier":
      init_xavier(self)

  def forward(self, x):
    check_shapes("course_net_a", x.shape[2:], **self.geometry)
    return super().forward(x)


class CourseNetB(nn.Sequential):
  size_multiple = 4

  def __init__(self, in_channels=3, channels=(32, 64), down_kernel=2, up_kernel=5,
               init="xavier"):
    _check_init(init)
    c1, c2 = channels
    pad = (down_kernel - 1) // 2
    super().__init__(
        nn.Conv2d(in_channels, c1, down_kernel, stride=2, padding=pad), nn.ReLU(),
        nn.Conv2d(c1, c2, down_kernel, stride=2, padding=pad), nn.ReLU(),
        Upsampling(c2, c1, up_kernel), nn.ReLU(), Upsampling(c1, in_channels, up_kernel),
        nn.Sigmoid())
    self.geometry = dict(down_kernel=down_kernel, up_kernel=up_kernel)
    if init == "xavier":
      init_xavier(self)

  def forward(self, x):
    check_shapes("course_net_b", x.shape[2:], **self.geometry)
    return super().forward(x)


@register("course_net_a")
def _course_net_a(**kw):
  return CourseNetA(**kw)


@register("course_net_b")
def _course_net_b(**kw):
  return CourseNetB(**kw)
