"""DnCNN family (Flax NNX, NHWC): DnCNN, UDnCNN, DUDnCNN.

Twin of ``torch_ref/models/dncnn.py``; same class names, constructor arguments
and registry names. ``depth`` counts convolutions (KAIR DnCNN-17: 17; the ECE285
models with D batch-normalised layers: D + 2). Parameters live in ``conv`` and
``bn`` lists in every layout; ``layout`` only tells the porting code which torch
key names to use ('kair': ``model.{i}``, 'ece285': ``conv.{k}`` / ``bn.{k}``).

Presets (see the bottom of the file):

* ``kair_dncnn17``: KAIR's DnCNN-17 for training (gray, conv+BN+ReLU body, output
  ``x - net(x)``, BN momentum 0.9 / eps 1e-4 as KAIR's ``basicblock.conv``), initialised
  as KAIR's ``train_dncnn.json`` has ``select_network.init_weights`` do it
  (``init='kair'``: every conv orthogonal with gain 0.2 and zero bias, BN weight
  U(0.1, 1) and zero bias).
* ``kair_dncnn17_merged``: the same without BN, as KAIR's released checkpoints (He init:
  KAIR only ever loads weights into it).
* ``ece285_dncnn`` / ``ece285_udncnn`` / ``ece285_dudncnn``: D=6, C=64, RGB,
  output ``conv(h) + x``, BN weight initialised to 1.25 sqrt(C) (``init='he'``, the
  default: He-normal convs but the last, which keeps torch's default). The original code
  wrote ``nn.BatchNorm2d(C, C)``, which sets eps = C = 64; pass
  ``legacy_bn_eps=True`` to reproduce that (needed to port its checkpoints), the
  default is torch's eps = 1e-5.

Every model takes ``dtype``, the compute dtype (``config.precision``; the torch twins
have no such argument, ``torch.autocast`` does it there): convolutions run in it,
parameters and BN statistics stay float32 (BN normalises in float32), the residual
is added to the float32 input, and the output has the input's dtype. The default,
None, casts nothing: float32 for float32 inputs and parameters (float64 in the
float64 parity tests).
"""
import math

import jax
from flax import nnx

from jaxrestore import errors
from jaxrestore.models import initializers
from jaxrestore.models.layers import (BatchNorm2d, conv2d, he_normal, max_pool2x2_with_indices,
                                      max_unpool2x2, torch_default_kernel)
from jaxrestore.models.registry import register

_SQRT2 = math.sqrt(2)


INITS = ("he", "kair")
_KAIR_GAIN = 0.2  # KAIR's options/train_dncnn.json: init_type orthogonal, init_gain 0.2


def _check_init(init):
  if init not in INITS:
    raise errors.ConfigError(f"init must be one of {', '.join(INITS)}, got {init!r}")


def _conv_stack(channels_in, features, channels_out, dilations, use_bias, rngs, dtype,
                init="he"):
  """init 'he': He-normal on all but the last conv, which keeps torch's default (biases
  too); 'kair': orthogonal (gain 0.2) on every conv, zero biases."""
  depth = len(dilations)
  widths = [channels_in] + [features] * (depth - 1) + [channels_out]
  kair = init == "kair"
  return nnx.List([
      conv2d(widths[i], widths[i + 1], 3, dilation=dilations[i], use_bias=use_bias,
             kernel_init=(initializers.orthogonal(_KAIR_GAIN) if kair
                          else he_normal if i < depth - 1 else torch_default_kernel),
             bias_init=nnx.initializers.zeros if kair else None, rngs=rngs, dtype=dtype)
      for i in range(depth)
  ])


def _bn_stack(n, features, eps, momentum, scale_init, rngs=None):
  """BNs with weight ``scale_init``, or U(0.1, 1) drawn from ``rngs`` (KAIR's
  init_bn_type 'uniform') when it is None; bias 0."""
  bns = nnx.List([BatchNorm2d(features, eps=eps, momentum=momentum,
                              scale_init=1.0 if scale_init is None else scale_init)
                  for _ in range(n)])
  if scale_init is None:
    for bn in bns:
      bn.scale[...] = initializers.uniform(rngs.params(), (features,), minval=0.1, maxval=1.0)
  return bns


class DnCNN(nnx.Module):
  """Plain DnCNN: conv-ReLU, (depth-2) x conv-[BN]-ReLU, conv; output ``x ± net(x)``."""

  size_multiple = 1
  output_key = None  # returns the restored image itself

  def __init__(self, depth: int = 17, features: int = 64, in_channels: int = 1,
               out_channels: int | None = None, use_bn: bool = True, use_bias: bool = True,
               residual: str = "subtract", bn_eps: float = 1e-5, bn_momentum: float = 0.1,
               bn_weight_init: float = 1.0, layout: str = "kair", init: str = "he", *,
               rngs: nnx.Rngs, dtype=None):
    out_channels = in_channels if out_channels is None else out_channels
    _check_init(init)
    if depth < 2:
      raise errors.ConfigError(f"depth must be >= 2 convolutions, got {depth}")
    if residual not in ("add", "subtract", "none"):
      raise errors.ConfigError(f"residual must be 'add', 'subtract' or 'none', got {residual!r}")
    if residual != "none" and in_channels != out_channels:
      raise errors.ConfigError("a residual DnCNN needs in_channels == out_channels")
    if layout not in ("kair", "ece285"):
      raise errors.ConfigError(f"layout must be 'kair' or 'ece285', got {layout!r}")
    self.in_channels = in_channels
    self.residual = residual
    self.layout = layout
    self.use_bn = use_bn
    self.conv = _conv_stack(in_channels, features, out_channels, [1] * depth, use_bias, rngs,
                            dtype, init)
    self.bn = _bn_stack(depth - 2 if use_bn else 0, features, bn_eps, bn_momentum,
                        None if init == "kair" else bn_weight_init, rngs)

  def __call__(self, x):
    _check_channels(x, self.in_channels)
    h = jax.nn.relu(self.conv[0](x))
    for i, conv in enumerate(self.conv[1:-1]):
      h = conv(h)
      if self.use_bn:
        h = self.bn[i](h)
      h = jax.nn.relu(h)
    n = self.conv[-1](h).astype(x.dtype)
    if self.residual == "add":
      return x + n
    if self.residual == "subtract":
      return x - n
    return n


def _check_channels(x, channels):
  if x.ndim != 4 or x.shape[-1] != channels:
    raise ValueError(f"expected NHWC input with {channels} channel(s), got shape {x.shape}")


def _check_u_depth(depth):
  if depth < 6 or depth % 2:
    raise errors.ConfigError(f"U-shaped DnCNNs need an even depth >= 6 convolutions, got {depth}")


class UDnCNN(nnx.Module):
  """U-shaped DnCNN: 2x2 max-pool with indices down, max-unpool with them up.

  Skips are added and scaled by 1/sqrt(2); output ``conv(h) + x``. Any H, W of at
  least 2^(D/2 - 1) works (odd sizes as torch: floor pooling, unpool to the size
  before pooling).
  """

  size_multiple = 1  # any H, W: pooling floors odd sizes, unpooling restores them
  output_key = None  # returns the restored image itself

  def __init__(self, depth: int = 8, features: int = 64, channels: int = 3,
               use_bias: bool = True, bn_eps: float = 1e-5, bn_momentum: float = 0.1,
               bn_weight_init: float = 10.0, *, rngs: nnx.Rngs, dtype=None):
    _check_u_depth(depth)
    self.channels = channels
    self.D = depth - 2
    self.num_pools = self.D // 2 - 1
    self.conv = _conv_stack(channels, features, channels, [1] * depth, use_bias, rngs, dtype)
    self.bn = _bn_stack(self.D, features, bn_eps, bn_momentum, bn_weight_init)

  def __call__(self, x):
    _check_channels(x, self.channels)
    D = self.D
    if min(x.shape[1:3]) < 2 ** self.num_pools:
      raise ValueError(f"UDnCNN with depth {D + 2} needs H, W >= {2 ** self.num_pools}, "
                       f"got {x.shape[1:3]}")
    h = jax.nn.relu(self.conv[0](x))
    skips, indices, shapes = [], [], []
    for i in range(D // 2 - 1):
      shapes.append(h.shape[1:3])
      h, idx = max_pool2x2_with_indices(jax.nn.relu(self.bn[i](self.conv[i + 1](h))))
      skips.append(h)
      indices.append(idx)
    for i in range(D // 2 - 1, D // 2 + 1):
      h = jax.nn.relu(self.bn[i](self.conv[i + 1](h)))
    for i in range(D // 2 + 1, D):
      j = i - (D // 2 + 1) + 1
      h = jax.nn.relu(self.bn[i](self.conv[i + 1]((h + skips[-j]) / _SQRT2)))
      h = max_unpool2x2(h, indices[-j], shapes[-j])
    return self.conv[D + 1](h).astype(x.dtype) + x


def dud_dilations(depth: int) -> list[int]:
  """Per-conv dilations of DUDnCNN: 2^(pools so far - unpools so far) in UDnCNN.

  depth 8 (D=6) gives 1, 1, 2, 4, 4, 2, 1, 1.
  """
  _check_u_depth(depth)
  D = depth - 2
  down = [0] + list(range(D // 2)) + [D // 2 - 1] * (D + 1 - D // 2)
  up = [0] * (D // 2 + 1) + list(range(D - D // 2)) + [D - D // 2 - 1]
  return [2 ** (k - l) for k, l in zip(down, up)]


class DUDnCNN(nnx.Module):
  """UDnCNN with pooling replaced by dilated convolutions; same skips, any H, W."""

  size_multiple = 1
  output_key = None  # returns the restored image itself

  def __init__(self, depth: int = 8, features: int = 64, channels: int = 3,
               use_bias: bool = True, bn_eps: float = 1e-5, bn_momentum: float = 0.1,
               bn_weight_init: float = 10.0, *, rngs: nnx.Rngs, dtype=None):
    self.channels = channels
    self.D = depth - 2
    self.conv = _conv_stack(channels, features, channels, dud_dilations(depth), use_bias, rngs,
                            dtype)
    self.bn = _bn_stack(self.D, features, bn_eps, bn_momentum, bn_weight_init)

  def __call__(self, x):
    _check_channels(x, self.channels)
    D = self.D
    h = jax.nn.relu(self.conv[0](x))
    skips = []
    for i in range(D // 2 - 1):
      h = jax.nn.relu(self.bn[i](self.conv[i + 1](h)))
      skips.append(h)
    for i in range(D // 2 - 1, D // 2 + 1):
      h = jax.nn.relu(self.bn[i](self.conv[i + 1](h)))
    for i in range(D // 2 + 1, D):
      j = i - (D // 2 + 1) + 1
      h = jax.nn.relu(self.bn[i](self.conv[i + 1]((h + skips[-j]) / _SQRT2)))
    return self.conv[D + 1](h).astype(x.dtype) + x


# --- Factory / presets --------------------------------------------------------------------

KAIR = dict(depth=17, features=64, in_channels=1, use_bias=True, residual="subtract",
            bn_eps=1e-4, bn_momentum=0.9, layout="kair", init="kair")


@register("dncnn")
def _dncnn(**kw):
  return DnCNN(**kw)


@register("kair_dncnn17", **KAIR)
def _kair_dncnn17(**kw):
  return DnCNN(**kw)


# KAIR never initialises the BN-merged net (it loads merged weights; init_weights runs
# only when training), and at KAIR's gain 0.2 without BN to renormalise, 17 layers shrink
# the signal to nothing: it keeps the He init, which a randomly initialised twin needs.
@register("kair_dncnn17_merged", **{**KAIR, "use_bn": False, "init": "he"})
def _kair_dncnn17_merged(**kw):
  return DnCNN(**kw)


def _ece285(cls, legacy_bn_eps=False, features=64, **kw):
  kw.setdefault("bn_weight_init", 1.25 * math.sqrt(features))
  if legacy_bn_eps:
    kw["bn_eps"] = float(features)
  return cls(features=features, **kw)


@register("ece285_dncnn")
def _ece285_dncnn(**kw):
  kw = {"depth": 8, "in_channels": 3, "residual": "add", "layout": "ece285", **kw}
  return _ece285(DnCNN, **kw)


@register("ece285_udncnn")
def _ece285_udncnn(**kw):
  return _ece285(UDnCNN, **kw)


@register("ece285_dudncnn")
def _ece285_dudncnn(**kw):
  return _ece285(DUDnCNN, **kw)
