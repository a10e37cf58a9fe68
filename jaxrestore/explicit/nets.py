"""The EE-559 course nets built from explicit-backward modules.

Same architectures, arguments, defaults (net B: Xavier init, net A: torch's) and
state-dict keys as ``CourseNetA`` / ``CourseNetB`` in
``jaxrestore/models/course_nets.py`` (NNX) and their torch twins, whose docstring
has the details; ``torch_ref/explicit/nets.py`` is the torch explicit twin. A
setting whose output size differs from its input's raises
``IncompatibleShapesError`` when called (``output_hw`` / ``check_shapes`` tell
beforehand, without building anything).
"""
from jaxrestore.explicit.modules import (Conv2d, ReLU, Sequential, Sigmoid, TransposeConv2d,
                                         Upsampling)
from jaxrestore.models.course_nets import check_shapes


class CourseNet(Sequential):
  """A ``Sequential`` that refuses an input it would map to another size."""

  def __init__(self, name, geometry, *layers):
    super().__init__(*layers)
    self.name, self.geometry = name, geometry

  def forward(self, params, x):
    check_shapes(self.name, x.shape[1:3], **self.geometry)
    return super().forward(params, x)


def course_net_a(in_channels=3, channels=(32, 64), kernel_size=2, stride=1, padding=1,
                 dilation=1, init="torch"):
  c1, c2 = channels
  g = dict(stride=stride, padding=padding, dilation=dilation, init=init)
  return CourseNet(
      "course_net_a", dict(kernel_size=kernel_size, stride=stride, padding=padding,
                           dilation=dilation),
      Conv2d(in_channels, c1, kernel_size, **g), ReLU(), Conv2d(c1, c2, kernel_size, **g), ReLU(),
      TransposeConv2d(c2, c1, kernel_size, **g), ReLU(),
      TransposeConv2d(c1, in_channels, kernel_size, **g), Sigmoid())


def course_net_b(in_channels=3, channels=(32, 64), down_kernel=2, up_kernel=5, init="xavier"):
  c1, c2 = channels
  down = dict(stride=2, padding=(down_kernel - 1) // 2, init=init)
  return CourseNet(
      "course_net_b", dict(down_kernel=down_kernel, up_kernel=up_kernel),
      Conv2d(in_channels, c1, down_kernel, **down), ReLU(),
      Conv2d(c1, c2, down_kernel, **down), ReLU(),
      Upsampling(c2, c1, up_kernel, init=init), ReLU(),
      Upsampling(c1, in_channels, up_kernel, init=init), Sigmoid())


NETS = {"course_net_a": course_net_a, "course_net_b": course_net_b}
