"""A small deep-learning framework with hand-written backward passes (no autodiff).

Functional: a module holds only its hyper-parameters; parameters are a dict of
arrays, and

    y, cache = module.forward(params, x)
    grad_x, grads = module.backward(params, cache, grad_y)

are pure functions that jit-compile. Images are NHWC; parameters use torch's
layouts and names (Conv2d ``weight`` O,I,kh,kw; ConvTranspose2d ``weight``
I,O,kh,kw; Linear ``weight`` out,in), so ``state_dict`` keys and shapes equal
those of the equivalent ``torch.nn`` model. The torch twin is
``torch_ref/explicit``.
"""
from jaxrestore.explicit.nets import NETS, CourseNet, course_net_a, course_net_b
from jaxrestore.explicit.optim import SGDState, load_state_dict, sgd_init, sgd_step, state_dict
from jaxrestore.explicit.modules import (MSE, Conv2d, LeakyReLU, Linear, Module,
                                         NearestUpsampling, ReLU, Sequential, Sigmoid,
                                         TransposeConv2d, Upsampling, fold, unfold)

__all__ = ["MSE", "NETS", "Conv2d", "CourseNet", "LeakyReLU", "Linear", "Module", "NearestUpsampling", "ReLU",
           "course_net_a", "course_net_b",
           "SGDState", "Sequential", "Sigmoid", "TransposeConv2d", "Upsampling", "fold",
           "load_state_dict", "sgd_init", "sgd_step", "state_dict", "unfold"]
