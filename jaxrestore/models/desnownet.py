"""DesnowNet (Liu et al., "DesnowNet: Context-Aware Deep Network for Snow Removal", TIP 2018), NHWC.

Twin of ``torch_ref/models/desnownet.py``: same attribute names, so every torch
key (``descriptor_t.backbone.blocks_b.3.branch2.1.conv.weight``) maps by name.

Formation model: ``x = a * z + y * (1 - z)``. The net predicts

* translucency recovery: descriptor ``D_t(x)`` -> pyramid maxout -> snow mask
  ``z`` (1 channel) and aberration ``a`` (3 channels); ``y' = (x - a z) / (1 - z)``
  where ``z < 1``, else ``x``;
* residual generation: descriptor ``D_r(y' || z || a)`` (7 channels) -> pyramid
  sumout -> ``r``; ``y_hat = y' + r`` (clipped to [0, 1] by the evaluation).

Blocks, then the model, then the factory:

* ``Descriptor`` = Inception-v4 with every stride 1 and 'same' padding (the
  output keeps the input's H x W, any size, odd included) and widths divided by
  ``width_factor`` (4 is the paper's model: a 384-channel descriptor input; 2
  and 16 are wider and narrower variants of ours), then the dilation pyramid:
  ``gamma + 1`` branches (dilation ``2**0 .. 2**gamma``) concatenated, each a
  3x3 dilated conv (no bias) + BatchNorm (torch's eps 1e-5, momentum 0.1) +
  ReLU as DeepLab-v3's ASPP convolutions the paper builds them from.
  ``pyramid_channels`` per branch is its own argument, independent of
  ``width_factor``: 192 as the paper (gamma = 4: 5 levels, 960 channels).
* Pooling: ``pool="conv"`` replaces every pooling with a 'same' 3x3 stride-1
  conv unit (channels kept), as the issue's design; ``pool="pool"`` keeps 3x3
  stride-1 max / average pooling (average with ``count_include_pad=False``, as
  Cadene's Inception-v4) like the public re-implementation, at far less compute.
* Conv units are conv (no bias) + BatchNorm (eps 1e-3, torch momentum 0.1) +
  ReLU as Inception-v4's ``BasicConv2d``; ``use_bn=False`` gives conv (bias) + ReLU
  (in the pyramid's branches too).
* Pyramid maxout (beta = 4): parallel 1x1, 3x3, 1x5 -> 5x1 and 1x7 -> 7x1
  convolutions (the factorised ones keep the input width between their two
  halves, no activation between), element-wise max, PReLU (one slope per
  channel, 0.25). Pyramid sumout: the same convolutions summed, no activation
  (the residual is signed).
* ``z`` is the maxout output clipped to [0, 1]; the mask loss sees the unclipped
  ``z_raw`` so it always has a gradient. ``y'`` uses a safe division (the
  untaken branch divides by 1, so neither the value nor the gradient is ever
  NaN, also at ``z = 1``) and is clipped to [0, 1] as the re-implementation does
  (near ``z = 1`` the division amplifies ``x - a z`` without bound).
* Init: Xavier-normal conv weights, zero biases, BN weight 1 / bias 0, PReLU 0.25
  (``identity_init`` starts the three heads as constants; see DesnowNet).
* Ties take torch's gradients: PReLU's slope at 0, 1 at the bounds of a clamp
  (``layers.clamp``), half to each of the maxout's equal branches. ``identity_init``
  makes every head output a tie at step 0, and images hold exact 0s and 1s.
* ``dtype``: the compute dtype (``config.precision``; None, the default, casts
  nothing). Convolutions, pooling and the PReLUs run in it with float32 parameters
  (BN normalises in float32, average pooling sums in float32), as under torch's
  CPU autocast. The rest follows type promotion as autocast's does: ``z``, ``a`` and
  ``r`` stay in the compute dtype (so ``1 - z`` and ``a z`` are rounded to it), ``x
  - a z`` and the division promote to the input's float32, as do ``y' || z || a``
  and ``y' + r``. Every output is cast to the input's dtype.
"""
import jax
import jax.numpy as jnp
from flax import nnx

from jaxrestore import errors
from jaxrestore.models import initializers
from jaxrestore.models.layers import (BatchNorm2d, Conv, PReLU, avg_pool, clamp, max_pool,
                                      sequential)
from jaxrestore.models.registry import register

xavier_normal = initializers.variance_scaling(1.0, "fan_avg", "normal")


def conv(cin, cout, kernel, *, dilation=1, use_bias=True, constant=None, rngs, dtype=None):
  """'same' conv with torch-style symmetric padding; ``kernel`` int or (kh, kw).

  ``constant``: zero weights and this bias, so the conv outputs the constant (the heads
  of ``identity_init``), instead of Xavier-normal weights and a zero bias.
  ``dtype``: the compute dtype (float32 parameters).
  """
  kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
  ph, pw = dilation * (kh - 1) // 2, dilation * (kw - 1) // 2
  init = xavier_normal if constant is None else nnx.initializers.zeros_init()
  bias_init = nnx.initializers.constant(0.0 if constant is None else constant)
  return Conv(cin, cout, (kh, kw), padding=((ph, ph), (pw, pw)), kernel_dilation=dilation,
              use_bias=use_bias, kernel_init=init, bias_init=bias_init,
              rngs=rngs, dtype=dtype, param_dtype=jnp.float32)


def _conv_radius(c: nnx.Conv) -> tuple[int, int]:
  """(rows, cols) a 'same' conv reaches from an output pixel: dilation * (kernel - 1) / 2."""
  (kh, kw), d = c.kernel_size, c.kernel_dilation
  d = (d, d) if isinstance(d, int) else tuple(d)
  return (d[0] * (kh - 1) // 2, d[1] * (kw - 1) // 2)


def _chain(*radii):
  """Receptive-field radius of layers applied in sequence: the radii add up."""
  return tuple(sum(r[i] for r in radii) for i in (0, 1))


def _parallel(*radii):
  """... of branches on the same input (concatenated, maxed or summed): the largest."""
  return tuple(max(r[i] for r in radii) for i in (0, 1))


def radius(m) -> tuple[int, int]:
  """(rows, cols) receptive-field radius of a DesnowNet module, from its layers: an
  output pixel depends on inputs at most that far away (``receptive_field_radius``)."""
  if isinstance(m, nnx.Conv):
    return _conv_radius(m)
  if isinstance(m, (list, nnx.List)):
    return _chain(*(radius(x) for x in m)) if len(m) else (0, 0)
  return m.radius()


class ConvUnit(nnx.Module):
  """Inception-v4's BasicConv2d: conv (no bias) + BN(eps 1e-3) + ReLU, stride 1, 'same'.

  ``dilation`` and ``eps`` serve the dilation pyramid's ASPP-style branches (torch's
  default eps 1e-5 there).
  """

  def __init__(self, cin, cout, kernel, *, use_bn: bool, dilation: int = 1, eps: float = 1e-3,
               rngs, dtype=None):
    self.conv = conv(cin, cout, kernel, dilation=dilation, use_bias=not use_bn, rngs=rngs,
                     dtype=dtype)
    self.bn = BatchNorm2d(cout, eps=eps, momentum=0.1) if use_bn else None

  def radius(self):
    return _conv_radius(self.conv)

  def __call__(self, x):
    x = self.conv(x)
    return jax.nn.relu(self.bn(x) if self.bn is not None else x)


class MaxPool3(nnx.Module):
  """``nn.MaxPool2d(3, stride=1, padding=1)``."""

  def radius(self):
    return (1, 1)

  def __call__(self, x):
    return max_pool(x, 3, stride=1, padding=1)


class AvgPool3(nnx.Module):
  """``nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)``."""

  def radius(self):
    return (1, 1)

  def __call__(self, x):
    return avg_pool(x, 3, stride=1, padding=1, count_include_pad=False)


class _Factory:
  """Builds units with one model's settings: widths divided by ``factor``, pool mode, BN,
  compute dtype."""

  def __init__(self, factor, pool, use_bn, rngs, dtype):
    if pool not in ("conv", "pool"):
      raise errors.ConfigError(f"pool must be 'conv' or 'pool', got {pool!r}")
    self.factor, self.pool_mode, self.use_bn, self.rngs = factor, pool, use_bn, rngs
    self.dtype = dtype

  def w(self, channels):
    return max(1, channels // self.factor)

  def unit(self, cin, cout, kernel):
    return ConvUnit(cin, cout, kernel, use_bn=self.use_bn, rngs=self.rngs, dtype=self.dtype)

  def pool(self, channels, kind):
    if self.pool_mode == "conv":
      return self.unit(channels, channels, 3)
    return MaxPool3() if kind == "max" else AvgPool3()

  def chain(self, cin, spec):
    """[(cout, kernel), ...] applied in sequence."""
    units = []
    for cout, k in spec:
      units.append(self.unit(cin, cout, k))
      cin = cout
    return nnx.List(units)


class _Branches(nnx.Module):
  """An Inception block: branches ``branch0``, ``branch1``, ... (a layer, or a list applied
  in sequence) on the same input, concatenated on channels."""

  def radius(self):
    branches = (getattr(self, f"branch{i}") for i in range(4) if hasattr(self, f"branch{i}"))
    return _parallel(*(radius(b) for b in branches))


class Mixed3a(_Branches):
  def __init__(self, f: _Factory, cin):
    self.branch0 = f.pool(cin, "max")
    self.branch1 = f.unit(cin, f.w(96), 3)
    self.out_channels = cin + f.w(96)

  def __call__(self, x):
    return jnp.concatenate([self.branch0(x), self.branch1(x)], -1)


class Mixed4a(_Branches):
  def __init__(self, f: _Factory, cin):
    self.branch0 = f.chain(cin, [(f.w(64), 1), (f.w(96), 3)])
    self.branch1 = f.chain(cin, [(f.w(64), 1), (f.w(64), (1, 7)), (f.w(64), (7, 1)),
                                 (f.w(96), 3)])
    self.out_channels = 2 * f.w(96)

  def __call__(self, x):
    return jnp.concatenate([sequential(self.branch0, x), sequential(self.branch1, x)], -1)


class Mixed5a(_Branches):
  def __init__(self, f: _Factory, cin):
    self.branch0 = f.unit(cin, f.w(192), 3)
    self.branch1 = f.pool(cin, "max")
    self.out_channels = f.w(192) + cin

  def __call__(self, x):
    return jnp.concatenate([self.branch0(x), self.branch1(x)], -1)


class InceptionA(_Branches):
  def __init__(self, f: _Factory, cin):
    self.branch0 = f.unit(cin, f.w(96), 1)
    self.branch1 = f.chain(cin, [(f.w(64), 1), (f.w(96), 3)])
    self.branch2 = f.chain(cin, [(f.w(64), 1), (f.w(96), 3), (f.w(96), 3)])
    self.branch3 = nnx.List([f.pool(cin, "avg"), f.unit(cin, f.w(96), 1)])
    self.out_channels = 4 * f.w(96)

  def __call__(self, x):
    return jnp.concatenate([self.branch0(x), sequential(self.branch1, x), sequential(self.branch2, x),
                            sequential(self.branch3, x)], -1)


class ReductionA(_Branches):
  def __init__(self, f: _Factory, cin):
    self.branch0 = f.unit(cin, f.w(384), 3)
    self.branch1 = f.chain(cin, [(f.w(192), 1), (f.w(224), 3), (f.w(256), 3)])
    self.branch2 = f.pool(cin, "max")
    self.out_channels = f.w(384) + f.w(256) + cin

  def __call__(self, x):
    return jnp.concatenate([self.branch0(x), sequential(self.branch1, x), self.branch2(x)], -1)


class InceptionB(_Branches):
  def __init__(self, f: _Factory, cin):
    self.branch0 = f.unit(cin, f.w(384), 1)
    self.branch1 = f.chain(cin, [(f.w(192), 1), (f.w(224), (1, 7)), (f.w(256), (7, 1))])
    self.branch2 = f.chain(cin, [(f.w(192), 1), (f.w(192), (7, 1)), (f.w(224), (1, 7)),
                                 (f.w(224), (7, 1)), (f.w(256), (1, 7))])
    self.branch3 = nnx.List([f.pool(cin, "avg"), f.unit(cin, f.w(128), 1)])
    self.out_channels = f.w(384) + 2 * f.w(256) + f.w(128)

  def __call__(self, x):
    return jnp.concatenate([self.branch0(x), sequential(self.branch1, x), sequential(self.branch2, x),
                            sequential(self.branch3, x)], -1)


class ReductionB(_Branches):
  def __init__(self, f: _Factory, cin):
    self.branch0 = f.chain(cin, [(f.w(192), 1), (f.w(192), 3)])
    self.branch1 = f.chain(cin, [(f.w(256), 1), (f.w(256), (1, 7)), (f.w(320), (7, 1)),
                                 (f.w(320), 3)])
    self.branch2 = f.pool(cin, "max")
    self.out_channels = f.w(192) + f.w(320) + cin

  def __call__(self, x):
    return jnp.concatenate([sequential(self.branch0, x), sequential(self.branch1, x), self.branch2(x)], -1)


class InceptionC(nnx.Module):
  def __init__(self, f: _Factory, cin):
    self.branch0 = f.unit(cin, f.w(256), 1)
    self.branch1_0 = f.unit(cin, f.w(384), 1)
    self.branch1_1a = f.unit(f.w(384), f.w(256), (1, 3))
    self.branch1_1b = f.unit(f.w(384), f.w(256), (3, 1))
    self.branch2 = f.chain(cin, [(f.w(384), 1), (f.w(448), (3, 1)), (f.w(512), (1, 3))])
    self.branch2_3a = f.unit(f.w(512), f.w(256), (1, 3))
    self.branch2_3b = f.unit(f.w(512), f.w(256), (3, 1))
    self.branch3 = nnx.List([f.pool(cin, "avg"), f.unit(cin, f.w(256), 1)])
    self.out_channels = 6 * f.w(256)

  def radius(self):
    b1 = _chain(radius(self.branch1_0), _parallel(radius(self.branch1_1a), radius(self.branch1_1b)))
    b2 = _chain(radius(self.branch2), _parallel(radius(self.branch2_3a), radius(self.branch2_3b)))
    return _parallel(radius(self.branch0), b1, b2, radius(self.branch3))

  def __call__(self, x):
    b1 = self.branch1_0(x)
    b2 = sequential(self.branch2, x)
    return jnp.concatenate([self.branch0(x), self.branch1_1a(b1), self.branch1_1b(b1),
                            self.branch2_3a(b2), self.branch2_3b(b2), sequential(self.branch3, x)], -1)


class InceptionV4Same(nnx.Module):
  """Inception-v4 features at full resolution (stride 1, 'same'); no classifier."""

  def __init__(self, in_channels, f: _Factory, blocks=(4, 7, 3)):
    self.stem = f.chain(in_channels, [(f.w(32), 3), (f.w(32), 3), (f.w(64), 3)])
    self.mixed3a = Mixed3a(f, f.w(64))
    self.mixed4a = Mixed4a(f, self.mixed3a.out_channels)
    self.mixed5a = Mixed5a(f, self.mixed4a.out_channels)
    c = self.mixed5a.out_channels
    self.blocks_a = nnx.List([InceptionA(f, c) for _ in range(blocks[0])])
    c = self.blocks_a[-1].out_channels if blocks[0] else c
    self.reduction_a = ReductionA(f, c)
    c = self.reduction_a.out_channels
    self.blocks_b = nnx.List([InceptionB(f, c) for _ in range(blocks[1])])
    c = self.blocks_b[-1].out_channels if blocks[1] else c
    self.reduction_b = ReductionB(f, c)
    c = self.reduction_b.out_channels
    self.blocks_c = nnx.List([InceptionC(f, c) for _ in range(blocks[2])])
    self.out_channels = self.blocks_c[-1].out_channels if blocks[2] else c

  def radius(self):
    return _chain(radius(self.stem), radius(self.mixed3a), radius(self.mixed4a),
                  radius(self.mixed5a), radius(self.blocks_a), radius(self.reduction_a),
                  radius(self.blocks_b), radius(self.reduction_b), radius(self.blocks_c))

  def __call__(self, x):
    x = sequential(self.stem, x)
    x = self.mixed5a(self.mixed4a(self.mixed3a(x)))
    x = sequential(self.blocks_a, x)
    x = sequential(self.blocks_b, self.reduction_a(x))
    return sequential(self.blocks_c, self.reduction_b(x))


class DilationPyramid(nnx.Module):
  """``gamma + 1`` branches on the same features, concatenated: 3x3 conv of dilation
  2**i + BN (eps 1e-5, torch's default) + ReLU, DeepLab-v3's ASPP convolution."""

  def __init__(self, cin, channels, gamma, *, use_bn: bool, rngs, dtype=None):
    self.branches = nnx.List([ConvUnit(cin, channels, 3, use_bn=use_bn, dilation=2 ** i,
                                       eps=1e-5, rngs=rngs, dtype=dtype)
                              for i in range(gamma + 1)])
    self.out_channels = channels * (gamma + 1)

  def radius(self):
    return _parallel(*(radius(b) for b in self.branches))

  def __call__(self, x):
    return jnp.concatenate([b(x) for b in self.branches], -1)


class Descriptor(nnx.Module):
  def __init__(self, in_channels, f: _Factory, pyramid_channels, gamma, blocks):
    self.backbone = InceptionV4Same(in_channels, f, blocks)
    self.pyramid = DilationPyramid(self.backbone.out_channels, pyramid_channels, gamma,
                                   use_bn=f.use_bn, rngs=f.rngs, dtype=f.dtype)
    self.out_channels = self.pyramid.out_channels

  def radius(self):
    return _chain(radius(self.backbone), radius(self.pyramid))

  def __call__(self, x):
    return self.pyramid(self.backbone(x))


class PyramidConvs(nnx.Module):
  """The beta = 4 parallel convolutions: 1x1, 3x3, 1x5 -> 5x1, 1x7 -> 7x1.

  ``constant_out``: the four convolutions that produce the output start as that
  constant (zero weights, that bias); None: Xavier-normal, as the rest.
  """

  def __init__(self, cin, cout, *, constant_out=None, rngs, dtype=None):
    c = dict(rngs=rngs, dtype=dtype)
    out = dict(constant=constant_out, **c)
    self.conv1 = conv(cin, cout, 1, **out)
    self.conv3 = conv(cin, cout, 3, **out)
    self.conv5 = nnx.List([conv(cin, cin, (1, 5), **c), conv(cin, cout, (5, 1), **out)])
    self.conv7 = nnx.List([conv(cin, cin, (1, 7), **c), conv(cin, cout, (7, 1), **out)])

  def radius(self):
    return _parallel(radius(self.conv1), radius(self.conv3), radius(self.conv5),
                     radius(self.conv7))

  def __call__(self, x):
    return [self.conv1(x), self.conv3(x), sequential(self.conv5, x), sequential(self.conv7, x)]


class PyramidMaxout(nnx.Module):
  def __init__(self, cin, cout, *, constant_out=None, rngs, dtype=None):
    self.convs = PyramidConvs(cin, cout, constant_out=constant_out, rngs=rngs, dtype=dtype)
    self.prelu = PReLU(cout)

  def radius(self):
    return radius(self.convs)

  def __call__(self, x):
    outs = self.convs(x)
    m = outs[0]
    for o in outs[1:]:
      m = jnp.maximum(m, o)
    return self.prelu(m)


class PyramidSumout(nnx.Module):
  def __init__(self, cin, cout, *, constant_out=None, rngs, dtype=None):
    self.convs = PyramidConvs(cin, cout, constant_out=constant_out, rngs=rngs, dtype=dtype)

  def radius(self):
    return radius(self.convs)

  def __call__(self, x):
    return sum(self.convs(x))


def recover(x, z, a):
  """``y' = (x - a z) / (1 - z)`` where ``z < 1``, else ``x``; NaN-free value and gradient."""
  inside = z < 1.0
  denom = jnp.where(inside, 1.0 - z, 1.0)
  return jnp.where(inside, (x - a * z) / denom, x)


IDENTITY_HEADS = {"z": 0.0, "a": 1.0, "r": 0.0}  # identity_init: each head's starting output


class DesnowNet(nnx.Module):
  """Returns a dict: ``y_hat``, ``y_prime``, ``z`` (clipped), ``z_raw``, ``a``, ``r`` (NHWC).

  ``y_hat`` is not clipped; evaluation clips it to [0, 1].

  ``identity_init=True`` (not the paper's; default off) starts the three heads'
  output convolutions as constants (zero weights, a bias; ``IDENTITY_HEADS``): an
  untrained net has ``z = 0``, ``r = 0`` and returns its input (``y_hat = y' = x``),
  and its aberration is white, ``a = 1``, the colour of snow in the formation
  model, so that ``y'`` is right as soon as ``z`` is wherever the snow is white.
  With Xavier everywhere the untrained residual is large (initial PSNR ~7 dB) and
  short CPU runs spend their steps removing it; a random ``a`` turns every bit of
  ``z`` the mask loss teaches into a wrong ``y'``.
  """

  size_multiple = 1
  output_key = "y_hat"  # the restored image among the outputs

  def __init__(self, in_channels: int = 3, width_factor: int = 4, pyramid_channels: int = 192,
               gamma: int = 4, blocks: tuple[int, int, int] = (4, 7, 3), pool: str = "conv",
               use_bn: bool = True, identity_init: bool = False, *, rngs: nnx.Rngs,
               dtype=None):
    if in_channels != 3:
      raise errors.ConfigError("DesnowNet's formation model needs RGB input (in_channels=3)")
    f = _Factory(width_factor, pool, use_bn, rngs, dtype)
    self.in_channels = in_channels
    self.descriptor_t = Descriptor(3, f, pyramid_channels, gamma, tuple(blocks))
    c = self.descriptor_t.out_channels
    start = IDENTITY_HEADS if identity_init else dict.fromkeys(IDENTITY_HEADS)
    self.mask_maxout = PyramidMaxout(c, 1, constant_out=start["z"], rngs=rngs, dtype=dtype)
    self.aberration_maxout = PyramidMaxout(c, 3, constant_out=start["a"], rngs=rngs,
                                           dtype=dtype)
    self.descriptor_r = Descriptor(7, f, pyramid_channels, gamma, tuple(blocks))
    self.residual_sumout = PyramidSumout(self.descriptor_r.out_channels, 3,
                                         constant_out=start["r"], rngs=rngs, dtype=dtype)

  def receptive_field_radius(self) -> int:
    """How far (pixels) an output pixel sees, computed from the layers: D_t, the wider of
    the two maxouts, D_r and the sumout in sequence (the recovery is per pixel). Tiles
    overlapping by twice this give exactly the whole-image output (``jaxrestore.tiling``)."""
    heads = _parallel(radius(self.mask_maxout), radius(self.aberration_maxout))
    return max(_chain(radius(self.descriptor_t), heads, radius(self.descriptor_r),
                      radius(self.residual_sumout)))

  def __call__(self, x):
    if x.ndim != 4 or x.shape[-1] != 3:
      raise ValueError(f"expected NHWC RGB input, got shape {x.shape}")
    f_t = self.descriptor_t(x)
    z_raw = self.mask_maxout(f_t)
    z = clamp(z_raw, 0.0, 1.0)
    a = self.aberration_maxout(f_t)
    y_prime = clamp(recover(x, z, a), 0.0, 1.0)
    r = self.residual_sumout(self.descriptor_r(jnp.concatenate([y_prime, z, a], -1)))
    y_hat = y_prime + r
    out = {"y_hat": y_hat, "y_prime": y_prime, "z": z, "z_raw": z_raw, "a": a, "r": r}
    return {k: v.astype(x.dtype) for k, v in out.items()}


@register("desnownet")
def _desnownet(**kw):
  return DesnowNet(**kw)
