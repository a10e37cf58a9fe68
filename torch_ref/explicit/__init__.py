"""Explicit-backward framework in PyTorch tensor ops only (no autograd, no torch.nn).

Stateful, as the EPFL course projects: ``forward(x)`` keeps what ``backward``
needs, ``backward(grad_out) -> grad_in`` accumulates parameter gradients,
``params()`` lists ``(tensor, grad)`` pairs, and ``state_dict`` keys/layouts equal
the equivalent ``torch.nn`` model's. NCHW. Twin of ``jaxrestore.explicit``.
"""
from torch_ref.explicit.nets import NETS, CourseNet, course_net_a, course_net_b
from torch_ref.explicit.modules import (MSE, SGD, Conv2d, LeakyReLU, Linear, Module,
                                        NearestUpsampling, ReLU, Sequential, Sigmoid,
                                        TransposeConv2d, Upsampling)

__all__ = ["MSE", "NETS", "SGD", "course_net_a", "course_net_b", "Conv2d", "CourseNet", "LeakyReLU", "Linear", "Module", "NearestUpsampling", "ReLU",
           "Sequential", "Sigmoid", "TransposeConv2d", "Upsampling"]
