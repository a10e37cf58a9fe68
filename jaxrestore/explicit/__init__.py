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

The twin has the stateful API of the EE-559 mini-project framework; here each
call maps to a pure one (``net`` a module, ``params`` / ``grads`` nested dicts):

| ``torch_ref.explicit`` (stateful)  | ``jaxrestore.explicit`` (functional)                        |
|------------------------------------|-------------------------------------------------------------|
| ``y = net.forward(x)``             | ``y, cache = net.forward(params, x)``                       |
| ``gx = net.backward(gy)``          | ``gx, grads = net.backward(params, cache, gy)``             |
| ``net.param()``                    | ``param(params, grads)``: [(parameter, gradient)], same order |
| ``net.zero_grad()``                | nothing: ``backward`` returns fresh gradients, never accumulates |
| ``net.state_dict()``               | ``state_dict(params)``                                      |
| ``net.load_state_dict(sd)``        | ``params = load_state_dict(params, sd)`` (strict)           |
| ``net.to(device)`` / ``.to(dtype)``| ``jax.device_put(params, device)`` / ``jax.tree.map(lambda a: a.astype(dtype), params)`` |
| ``layer.set_weight(w)``            | ``params = load_state_dict(params, {**state_dict(params), "0.weight": w})`` |
| ``layer.set_bias(b)``              | the same with ``"0.bias"``                                  |
| ``SGD(net.param(), lr, ...).step()`` | ``params, opt = sgd_step(params, grads, opt, lr, ...)``   |
| ``MSE().forward(y, t)``; ``.backward()`` | ``loss, d = MSE().forward(y, t)``; ``MSE().backward(d)`` |
"""
from jaxrestore.explicit.nets import NETS, CourseNet, course_net_a, course_net_b
from jaxrestore.explicit.optim import (SGDState, load_state_dict, param, sgd_init, sgd_step,
                                       state_dict)
from jaxrestore.explicit.modules import (MSE, Conv2d, LeakyReLU, Linear, Module,
                                         NearestUpsampling, ReLU, Sequential, Sigmoid,
                                         TransposeConv2d, Upsampling, fold, unfold)

__all__ = ["MSE", "NETS", "Conv2d", "CourseNet", "LeakyReLU", "Linear", "Module", "NearestUpsampling", "ReLU",
           "course_net_a", "course_net_b",
           "SGDState", "Sequential", "Sigmoid", "TransposeConv2d", "Upsampling", "fold",
           "load_state_dict", "param", "sgd_init", "sgd_step", "state_dict", "unfold"]
