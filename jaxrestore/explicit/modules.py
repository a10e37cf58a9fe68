"""Modules with explicit forward and backward (see the package docstring)."""
import math

import jax
import jax.numpy as jnp

from jaxrestore.models import initializers


def _pair(v):
  return (v, v) if isinstance(v, int) else tuple(v)


def conv_out_size(size, k, stride, padding, dilation):
  return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def unfold(x, k, stride=1, padding=0, dilation=1):
  """im2col for NHWC: (N, H, W, C) -> (N, Ho, Wo, kh * kw * C), (kh, kw, C) order."""
  (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (k, stride, padding, dilation))
  n, h, w, c = x.shape
  ho, wo = conv_out_size(h, kh, sh, ph, dh), conv_out_size(w, kw, sw, pw, dw)
  xp = jnp.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
  patches = [xp[:, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]
             for i in range(kh) for j in range(kw)]
  return jnp.stack(patches, axis=3).reshape(n, ho, wo, kh * kw * c)


def fold(cols, out_hw, k, stride=1, padding=0, dilation=1):
  """The adjoint of ``unfold``: sums the patches back into an (N, H, W, C) image.

  Each kernel offset's patch is placed with ``lax.pad`` (interior padding for the
  stride) and the placed patches are summed: one fused loop, where ``.at[].add``
  on strided slices would be a scatter (several times slower on CPU).
  """
  (kh, kw), (sh, sw), (ph, pw), (dh, dw) = map(_pair, (k, stride, padding, dilation))
  n, ho, wo, _ = cols.shape
  h, w = out_hw
  hp, wp = h + 2 * ph, w + 2 * pw
  cols = cols.reshape(n, ho, wo, kh * kw, -1)
  zero = jnp.zeros((), cols.dtype)
  out = None
  for i in range(kh):
    for j in range(kw):
      top, left = i * dh, j * dw
      placed = jax.lax.pad(cols[:, :, :, i * kw + j], zero, (
          (0, 0, 0), (top, hp - top - sh * (ho - 1) - 1, sh - 1),
          (left, wp - left - sw * (wo - 1) - 1, sw - 1), (0, 0, 0)))
      out = placed if out is None else out + placed
  return out[:, ph:ph + h, pw:pw + w]


class Module:
  """Base: no parameters, identity."""

  def init(self, key):
    del key
    return {}

  def forward(self, params, x):
    raise NotImplementedError

  def backward(self, params, cache, grad_out):
    raise NotImplementedError

  def __call__(self, params, x):
    return self.forward(params, x)[0]


def _uniform(key, shape, fan_in):
  bound = 1.0 / math.sqrt(fan_in)
  return initializers.uniform(key, shape, jnp.float32, -bound, bound)


INITS = ("torch", "xavier")


def _conv_init(key, weight_shape, out_channels, fan_in, bias, init):
  """torch's default (U(+-1/sqrt(fan_in)) weight and bias) or Xavier-uniform weight, zero bias.

  ``weight_shape`` is (O, I, kh, kw) or a transposed conv's (I, O, kh, kw): Xavier's
  bound sqrt(6 / (fan_in + fan_out)) = sqrt(6 / ((I + O) kh kw)) is the same for both
  (``nn.init.xavier_uniform_``).
  """
  if init not in INITS:
    raise ValueError(f"init must be one of {INITS}, got {init!r}")
  kw, kb = jax.random.split(key)
  if init == "xavier":
    c1, c2, kh, kw_ = weight_shape
    bound = math.sqrt(6.0 / ((c1 + c2) * kh * kw_))
    p = {"weight": initializers.uniform(kw, weight_shape, jnp.float32, -bound, bound)}
    if bias:
      p["bias"] = jnp.zeros((out_channels,), jnp.float32)
    return p
  p = {"weight": _uniform(kw, weight_shape, fan_in)}
  if bias:
    p["bias"] = _uniform(kb, (out_channels,), fan_in)
  return p


class Linear(Module):

  def __init__(self, in_features, out_features, bias=True):
    self.in_features, self.out_features, self.bias = in_features, out_features, bias

  def init(self, key):  # torch's default: U(+-1/sqrt(fan_in)) for weight and bias
    kw, kb = jax.random.split(key)
    p = {"weight": _uniform(kw, (self.out_features, self.in_features), self.in_features)}
    if self.bias:
      p["bias"] = _uniform(kb, (self.out_features,), self.in_features)
    return p

  def forward(self, params, x):
    y = x @ params["weight"].T
    return (y + params["bias"] if self.bias else y), x

  def backward(self, params, x, g):
    grads = {"weight": g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])}
    if self.bias:
      grads["bias"] = g.reshape(-1, g.shape[-1]).sum(0)
    return g @ params["weight"], grads


class Conv2d(Module):
  """``nn.Conv2d`` as unfold + matmul; ``init``: "torch" (its default) or "xavier"."""

  def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
               bias=True, init="torch"):
    self.cin, self.cout, self.k = in_channels, out_channels, _pair(kernel_size)
    self.stride, self.padding, self.dilation, self.bias = stride, padding, dilation, bias
    self.init_name = init

  def init(self, key):
    return _conv_init(key, (self.cout, self.cin) + self.k, self.cout,
                      self.cin * self.k[0] * self.k[1], self.bias, self.init_name)

  def _wmat(self, w):  # (O, I, kh, kw) -> (kh * kw * I, O), matching unfold's order
    return w.transpose(2, 3, 1, 0).reshape(-1, w.shape[0])

  def forward(self, params, x):
    cols = unfold(x, self.k, self.stride, self.padding, self.dilation)
    y = cols @ self._wmat(params["weight"])
    return (y + params["bias"] if self.bias else y), (cols, x)  # x: for its (static) shape

  def backward(self, params, cache, g):
    cols, x = cache
    hw = x.shape[1:3]
    w = params["weight"]
    gw = jnp.einsum("nhwk,nhwo->ko", cols, g)
    grads = {"weight": gw.reshape(self.k + (self.cin, self.cout)).transpose(3, 2, 0, 1)}
    if self.bias:
      grads["bias"] = g.sum((0, 1, 2))
    gx = fold(g @ self._wmat(w).T, hw, self.k, self.stride, self.padding, self.dilation)
    return gx, grads


class TransposeConv2d(Module):
  """``nn.ConvTranspose2d``: the adjoint of a conv, as matmul + fold."""

  def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
               output_padding=0, dilation=1, bias=True, init="torch"):
    self.cin, self.cout, self.k = in_channels, out_channels, _pair(kernel_size)
    self.stride, self.padding, self.dilation = stride, padding, dilation
    self.output_padding, self.bias, self.init_name = _pair(output_padding), bias, init
    if any(op >= max(s, d) for op, s, d in zip(self.output_padding, _pair(stride),
                                                 _pair(dilation))):
      raise ValueError("output_padding must be smaller than stride or dilation (as torch)")

  def init(self, key):  # torch computes fan_in from weight.shape[1] * kh * kw = out * k * k
    return _conv_init(key, (self.cin, self.cout) + self.k, self.cout,
                      self.cout * self.k[0] * self.k[1], self.bias, self.init_name)

  def out_size(self, hw):
    return tuple((s - 1) * st - 2 * p + d * (k - 1) + op + 1 for s, st, p, d, k, op in zip(
        hw, _pair(self.stride), _pair(self.padding), _pair(self.dilation), self.k,
        self.output_padding))

  def _wmat(self, w):  # (I, O, kh, kw) -> (kh * kw * O, I): the conv O -> I it is adjoint to
    return w.transpose(2, 3, 1, 0).reshape(-1, w.shape[0])

  def forward(self, params, x):
    out_hw = self.out_size(x.shape[1:3])
    y = fold(x @ self._wmat(params["weight"]).T, out_hw, self.k, self.stride, self.padding,
             self.dilation)
    return (y + params["bias"] if self.bias else y), x

  def backward(self, params, x, g):
    cols = unfold(g, self.k, self.stride, self.padding, self.dilation)
    cols = cols[:, :x.shape[1], :x.shape[2]]  # output_padding rows map to no input
    gw = jnp.einsum("nhwi,nhwk->ki", x, cols)
    grads = {"weight": gw.reshape(self.k + (self.cout, self.cin)).transpose(3, 2, 0, 1)}
    if self.bias:
      grads["bias"] = g.sum((0, 1, 2))
    return cols @ self._wmat(params["weight"]), grads


class NearestUpsampling(Module):

  def __init__(self, scale_factor=2):
    self.s = scale_factor

  def forward(self, params, x):
    return jnp.repeat(jnp.repeat(x, self.s, axis=1), self.s, axis=2), None

  def backward(self, params, cache, g):
    n, h, w, c = g.shape
    s = self.s
    return g.reshape(n, h // s, s, w // s, s, c).sum((2, 4)), {}


class Sequential(Module):
  """Children under keys "0", "1", ... as ``nn.Sequential``'s state dict."""

  def __init__(self, *layers):
    self.layers = layers

  def init(self, key):
    keys = jax.random.split(key, len(self.layers))
    return {str(i): l.init(k) for i, (l, k) in enumerate(zip(self.layers, keys))
            if l.init(k)}

  def forward(self, params, x):
    caches = []
    for i, layer in enumerate(self.layers):
      x, cache = layer.forward(params.get(str(i), {}), x)
      caches.append(cache)
    return x, caches

  def backward(self, params, caches, g):
    grads = {}
    for i in reversed(range(len(self.layers))):
      g, gp = self.layers[i].backward(params.get(str(i), {}), caches[i], g)
      if gp:
        grads[str(i)] = gp
    return g, grads


class Upsampling(Sequential):
  """Nearest upsampling then a conv ("Upsampling" of the EPFL project); keys "1.*"."""

  def __init__(self, in_channels, out_channels, kernel_size, scale_factor=2, padding=None,
               bias=True, init="torch"):
    padding = kernel_size // 2 if padding is None else padding
    super().__init__(NearestUpsampling(scale_factor), Conv2d(
        in_channels, out_channels, kernel_size, padding=padding, bias=bias, init=init))


class ReLU(Module):

  def forward(self, params, x):
    return jnp.maximum(x, 0), x

  def backward(self, params, x, g):
    return jnp.where(x > 0, g, 0), {}


class LeakyReLU(Module):

  def __init__(self, negative_slope=0.01):
    self.slope = negative_slope

  def forward(self, params, x):
    return jnp.where(x > 0, x, self.slope * x), x

  def backward(self, params, x, g):
    return jnp.where(x > 0, g, self.slope * g), {}


class Sigmoid(Module):

  def forward(self, params, x):
    y = jax.nn.sigmoid(x)
    return y, y

  def backward(self, params, y, g):
    return g * y * (1 - y), {}


class MSE:
  """``nn.MSELoss()``: ``forward(pred, target) -> (loss, cache)``, ``backward(cache) -> grad``.

  Backward, ours and the EE-559 practicals' side by side (they differ by a factor):
    ours (torch's mean):   loss = mean((y - t)^2)  grad = 2 (y - t) / N   (N = y.size)
    course practicals:     loss = sum((y - t)^2)   grad = 2 (y - t)       (``dloss``)
  With plain SGD the sum's step at lr equals the mean's step at lr * N; the
  mini-project frameworks that match ``nn.MSELoss`` (as their tests compare) use
  ours. ``torch_ref.explicit.MSE`` is the same.
  """

  def forward(self, pred, target):
    d = pred - target
    return jnp.mean(d * d), d

  def backward(self, d):
    return 2.0 * d / d.size
