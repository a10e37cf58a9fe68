"""Explicit-backward framework in PyTorch tensor ops only (no autograd, no torch.nn).

Stateful, as the EPFL course projects' framework (Miniproject 2): ``forward(x)``
keeps what ``backward`` needs, ``backward(grad_out) -> grad_in`` accumulates
parameter gradients, ``param()`` lists ``(parameter, gradient)`` pairs,
``zero_grad()``, ``to(device or dtype)``, ``set_weight`` / ``set_bias`` (and
``weight`` / ``bias``) on layers with weights, and ``state_dict`` keys/layouts
equal the equivalent ``torch.nn`` model's. NCHW. Twin of ``jaxrestore.explicit``,
whose docstring maps each call to its functional form.
"""
from torch_ref.explicit.nets import NETS, CourseNet, course_net_a, course_net_b
from torch_ref.explicit.modules import (MSE, SGD, Conv2d, LeakyReLU, Linear, Module,
                                        NearestUpsampling, ReLU, Sequential, Sigmoid,
                                        TransposeConv2d, Upsampling)

__all__ = ["MSE", "NETS", "SGD", "course_net_a", "course_net_b", "Conv2d", "CourseNet", "LeakyReLU", "Linear", "Module", "NearestUpsampling", "ReLU",
           "Sequential", "Sigmoid", "TransposeConv2d", "Upsampling"]
