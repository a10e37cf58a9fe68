"""Modules with explicit backward passes on torch tensors (see the package docstring)."""
import math

import torch
from torch.nn.functional import fold, unfold


def _pair(v):
  return (v, v) if isinstance(v, int) else tuple(v)


def _uniform(shape, fan_in):
  bound = 1.0 / math.sqrt(fan_in)
  return torch.empty(shape).uniform_(-bound, bound)


INITS = ("torch", "xavier")


def _conv_params(module, weight_shape, out_channels, fan_in, bias, init):
  """torch's default (U(+-1/sqrt(fan_in)) weight and bias) or Xavier-uniform weight, zero bias.

  Xavier's bound sqrt(6 / ((I + O) kh kw)) is the same for a conv's (O, I, kh, kw)
  and a transposed conv's (I, O, kh, kw) weight (``nn.init.xavier_uniform_``).
  """
  if init not in INITS:
    raise ValueError(f"init must be one of {INITS}, got {init!r}")
  if init == "xavier":
    c1, c2, kh, kw = weight_shape
    bound = math.sqrt(6.0 / ((c1 + c2) * kh * kw))
    module._add("weight", torch.empty(weight_shape).uniform_(-bound, bound))
    if bias:
      module._add("bias", torch.zeros(out_channels))
    return
  module._add("weight", _uniform(weight_shape, fan_in))
  if bias:
    module._add("bias", _uniform((out_channels,), fan_in))


class Module:
  """Base class: the mini-project's ``Module`` API.

  ``forward(x)``, ``backward(grad_out) -> grad_in`` (accumulates the parameter
  gradients), ``param()`` -> [(parameter, gradient)], ``zero_grad()``,
  ``state_dict()`` / ``load_state_dict()``, ``to(device or dtype)``; layers with
  weights add ``weight`` / ``bias`` and ``set_weight`` / ``set_bias``.
  """

  def __init__(self):
    self._params: dict[str, torch.Tensor] = {}
    self._grads: dict[str, torch.Tensor] = {}

  def _add(self, name, tensor):
    self._params[name] = tensor
    self._grads[name] = torch.zeros_like(tensor)

  def children(self):
    return []

  def param(self):
    """[(parameter, gradient)] of this module and its children, in ``state_dict`` order.

    The tensors themselves (not copies): an optimiser updates them in place, and
    ``to`` and ``set_weight`` keep them the same objects.
    """
    out = [(self._params[k], self._grads[k]) for k in self._params]
    for _, child in self.children():
      out += child.param()
    return out

  def zero_grad(self):
    for _, g in self.param():
      g.zero_()

  def to(self, *args, **kwargs):
    """``Tensor.to`` on every parameter and gradient, in place (the same tensor objects,
    so ``param()`` pairs an optimiser already holds follow); returns ``self``."""
    with torch.no_grad():
      for p, g in self.param():
        p.data = p.data.to(*args, **kwargs)
        g.data = g.data.to(*args, **kwargs)
    return self

  def state_dict(self, prefix=""):
    out = {prefix + k: v.clone() for k, v in self._params.items()}
    for name, child in self.children():
      out.update(child.state_dict(f"{prefix}{name}."))
    return out

  def load_state_dict(self, state):
    own = self.state_dict()
    if set(own) != set(state):
      raise KeyError(f"missing {sorted(set(own) - set(state))}, "
                     f"unexpected {sorted(set(state) - set(own))}")
    self._load(state, "")

  def _load(self, state, prefix):
    for k, v in self._params.items():
      if state[prefix + k].shape != v.shape:
        raise ValueError(f"{prefix + k}: shape {tuple(state[prefix + k].shape)}, "
                         f"expected {tuple(v.shape)}")
      v.copy_(state[prefix + k])
    for name, child in self.children():
      child._load(state, f"{prefix}{name}.")

  def __call__(self, x):
    with torch.no_grad():
      return self.forward(x)


class _Weighted(Module):
  """A layer with ``weight`` and, optionally, ``bias``."""

  @property
  def weight(self):
    return self._params["weight"]

  @property
  def bias(self):
    return self._params.get("bias")

  def _set(self, name, value):
    if name not in self._params:
      raise KeyError(f"this {type(self).__name__} has no {name}")
    own = self._params[name]
    if tuple(value.shape) != tuple(own.shape):
      raise ValueError(f"{name}: shape {tuple(value.shape)}, expected {tuple(own.shape)}")
    with torch.no_grad():
      own.copy_(value)

  def set_weight(self, weight):
    """Copies ``weight`` (same shape) into the weight, in place."""
    self._set("weight", weight)

  def set_bias(self, bias):
    """Copies ``bias`` (same shape) into the bias, in place."""
    self._set("bias", bias)


class Linear(_Weighted):

  def __init__(self, in_features, out_features, bias=True):
    super().__init__()
    self._add("weight", _uniform((out_features, in_features), in_features))
    if bias:
      self._add("bias", _uniform((out_features,), in_features))

  def forward(self, x):
    self.x = x
    y = x @ self._params["weight"].T
    return y + self._params["bias"] if "bias" in self._params else y

  def backward(self, g):
    with torch.no_grad():
      self._grads["weight"] += g.reshape(-1, g.shape[-1]).T @ self.x.reshape(-1, self.x.shape[-1])
      if "bias" in self._params:
        self._grads["bias"] += g.reshape(-1, g.shape[-1]).sum(0)
      return g @ self._params["weight"]


class Conv2d(_Weighted):
  """``nn.Conv2d`` as unfold + matmul; ``init``: "torch" (its default) or "xavier"."""

  def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
               bias=True, init="torch"):
    super().__init__()
    self.k = _pair(kernel_size)
    self.geom = dict(kernel_size=self.k, stride=stride, padding=padding, dilation=dilation)
    _conv_params(self, (out_channels, in_channels) + self.k, out_channels,
                 in_channels * self.k[0] * self.k[1], bias, init)

  def forward(self, x):
    n, _, h, w = x.shape
    s, p, d = (_pair(self.geom[k]) for k in ("stride", "padding", "dilation"))
    ho = (h + 2 * p[0] - d[0] * (self.k[0] - 1) - 1) // s[0] + 1
    wo = (w + 2 * p[1] - d[1] * (self.k[1] - 1) - 1) // s[1] + 1
    self.hw, self.cols = (h, w), unfold(x, **self.geom)  # (N, I*kh*kw, L)
    wm = self._params["weight"].reshape(self._params["weight"].shape[0], -1)
    y = (wm @ self.cols).reshape(n, -1, ho, wo)
    return y + self._params["bias"].view(1, -1, 1, 1) if "bias" in self._params else y

  def backward(self, g):
    with torch.no_grad():
      w = self._params["weight"]
      gm = g.reshape(g.shape[0], g.shape[1], -1)  # (N, O, L)
      self._grads["weight"] += (gm @ self.cols.transpose(1, 2)).sum(0).view_as(w)
      if "bias" in self._params:
        self._grads["bias"] += g.sum((0, 2, 3))
      return fold(w.reshape(w.shape[0], -1).T @ gm, self.hw, **self.geom)


class TransposeConv2d(_Weighted):
  """``nn.ConvTranspose2d`` as matmul + fold; backward is unfold + matmul."""

  def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
               output_padding=0, dilation=1, bias=True, init="torch"):
    super().__init__()
    self.k = _pair(kernel_size)
    self.geom = dict(kernel_size=self.k, stride=stride, padding=padding, dilation=dilation)
    self.output_padding = _pair(output_padding)
    _conv_params(self, (in_channels, out_channels) + self.k, out_channels,
                 out_channels * self.k[0] * self.k[1],  # torch: weight.size(1) * kh * kw
                 bias, init)

  def forward(self, x):
    n, cin, h, w = x.shape
    s, p, d = (_pair(self.geom[k]) for k in ("stride", "padding", "dilation"))
    out = tuple((i - 1) * s_ - 2 * p_ + d_ * (k - 1) + op + 1 for i, s_, p_, d_, k, op in zip(
        (h, w), s, p, d, self.k, self.output_padding))
    self.x = x
    wm = self._params["weight"].reshape(cin, -1)  # (I, O*kh*kw)
    y = fold(wm.T @ x.reshape(n, cin, -1), out, **self.geom)
    return y + self._params["bias"].view(1, -1, 1, 1) if "bias" in self._params else y

  def backward(self, g):
    with torch.no_grad():
      n, cin, h, w = self.x.shape
      cols = unfold(g, **self.geom)  # (N, O*kh*kw, L'), L' may exceed h*w with output_padding
      ho = (g.shape[2] + 2 * _pair(self.geom["padding"])[0]
            - _pair(self.geom["dilation"])[0] * (self.k[0] - 1) - 1) // _pair(
                self.geom["stride"])[0] + 1
      cols = cols.reshape(n, cols.shape[1], ho, -1)[:, :, :h, :w].reshape(n, cols.shape[1], -1)
      wm = self._params["weight"].reshape(cin, -1)
      self._grads["weight"] += (self.x.reshape(n, cin, -1) @ cols.transpose(1, 2)).sum(0).view_as(
          self._params["weight"])
      if "bias" in self._params:
        self._grads["bias"] += g.sum((0, 2, 3))
      return (wm @ cols).reshape(n, cin, h, w)


class NearestUpsampling(Module):

  def __init__(self, scale_factor=2):
    super().__init__()
    self.s = scale_factor

  def forward(self, x):
    return x.repeat_interleave(self.s, dim=2).repeat_interleave(self.s, dim=3)

  def backward(self, g):
    n, c, h, w = g.shape
    return g.reshape(n, c, h // self.s, self.s, w // self.s, self.s).sum((3, 5))


class Sequential(Module):

  def __init__(self, *layers):
    super().__init__()
    self.layers = list(layers)

  def children(self):
    return [(str(i), l) for i, l in enumerate(self.layers)]

  def forward(self, x):
    for layer in self.layers:
      x = layer.forward(x)
    return x

  def backward(self, g):
    for layer in reversed(self.layers):
      g = layer.backward(g)
    return g


class Upsampling(Sequential):
  """Nearest upsampling then a conv; keys "1.*" as nn.Sequential(Upsample, Conv2d)."""

  def __init__(self, in_channels, out_channels, kernel_size, scale_factor=2, padding=None,
               bias=True, init="torch"):
    padding = kernel_size // 2 if padding is None else padding
    super().__init__(NearestUpsampling(scale_factor), Conv2d(
        in_channels, out_channels, kernel_size, padding=padding, bias=bias, init=init))


class ReLU(Module):

  def forward(self, x):
    self.x = x
    return x.clamp(min=0)

  def backward(self, g):
    return torch.where(self.x > 0, g, torch.zeros_like(g))


class LeakyReLU(Module):

  def __init__(self, negative_slope=0.01):
    super().__init__()
    self.slope = negative_slope

  def forward(self, x):
    self.x = x
    return torch.where(x > 0, x, self.slope * x)

  def backward(self, g):
    return torch.where(self.x > 0, g, self.slope * g)


class Sigmoid(Module):

  def forward(self, x):
    self.y = 1 / (1 + torch.exp(-x))
    return self.y

  def backward(self, g):
    return g * self.y * (1 - self.y)


class MSE:
  """``nn.MSELoss()``; the course practicals' sum-of-squares backward beside ours is in
  ``jaxrestore.explicit.modules.MSE``: theirs 2 (y - t), ours 2 (y - t) / N."""

  def forward(self, pred, target):
    self.d = pred - target
    return (self.d * self.d).mean()

  def backward(self):
    return 2.0 * self.d / self.d.numel()


class SGD:
  """``torch.optim.SGD`` (momentum, dampening, nesterov, weight decay) on ``param()`` pairs."""

  def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    if nesterov and (momentum <= 0 or dampening != 0):
      raise ValueError("nesterov momentum needs momentum > 0 and zero dampening")
    self.params, self.lr, self.momentum = list(params), lr, momentum
    self.dampening, self.nesterov, self.wd = dampening, nesterov, weight_decay
    self.bufs = [None] * len(self.params)

  def step(self):
    with torch.no_grad():
      for i, (p, g) in enumerate(self.params):
        d = g + self.wd * p if self.wd else g.clone()
        if self.momentum:
          if self.bufs[i] is None:
            self.bufs[i] = d.clone()
          else:
            self.bufs[i].mul_(self.momentum).add_(d, alpha=1 - self.dampening)
          d = d + self.momentum * self.bufs[i] if self.nesterov else self.bufs[i]
        p.sub_(self.lr * d)

  def zero_grad(self):
    for _, g in self.params:
      g.zero_()
