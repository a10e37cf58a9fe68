"""The EE-559 course nets built from explicit-backward modules.

Same architectures, arguments and state-dict keys as ``CourseNetA`` /
``CourseNetB`` in ``torch_ref/models/course_nets.py``; twin of
``jaxrestore/explicit/nets.py``.
"""
from torch_ref.explicit.modules import (Conv2d, ReLU, Sequential, Sigmoid, TransposeConv2d,
                                        Upsampling)


def course_net_a(in_channels=3, channels=(32, 64), kernel_size=2, stride=1, padding=1):
  c1, c2 = channels
  k, s, p = kernel_size, stride, padding
  return Sequential(Conv2d(in_channels, c1, k, s, p), ReLU(), Conv2d(c1, c2, k, s, p), ReLU(),
                    TransposeConv2d(c2, c1, k, s, p), ReLU(),
                    TransposeConv2d(c1, in_channels, k, s, p), Sigmoid())


def course_net_b(in_channels=3, channels=(32, 64), down_kernel=2, up_kernel=5):
  c1, c2 = channels
  return Sequential(Conv2d(in_channels, c1, down_kernel, stride=2), ReLU(),
                    Conv2d(c1, c2, down_kernel, stride=2), ReLU(),
                    Upsampling(c2, c1, up_kernel), ReLU(), Upsampling(c1, in_channels, up_kernel),
                    Sigmoid())


NETS = {"course_net_a": course_net_a, "course_net_b": course_net_b}
