"""DesnowNet (Liu et al., TIP 2018), PyTorch reference (NCHW).

Twin of ``jaxrestore/models/desnownet.py`` (whose docstring states the design
choices); the attribute names are the same, so state-dict keys port by name.
Translucency recovery: ``D_t(x)`` -> pyramid maxout -> mask ``z`` (1 channel) and
aberration ``a``; ``y' = (x - a z) / (1 - z)`` where ``z < 1``, else ``x``.
Residual generation: ``D_r(y' || z || a)`` -> pyramid sumout -> ``r``;
``y_hat = y' + r``. The descriptor is Inception-v4 at full resolution (stride 1,
'same'), widths divided by ``width_factor``, pooling replaced by 3x3 conv units
(``pool="conv"``) or kept as 3x3 stride-1 pooling (``pool="pool"``), then the
dilation pyramid (``gamma + 1`` ASPP-style dilated conv + BN + ReLU branches of
``pyramid_channels`` each, concatenated).
"""
import torch
import torch.nn.functional as F
from torch import nn

from torch_ref.models.registry import register


def conv(cin, cout, kernel, dilation=1, bias=True, constant=None):
  kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
  c = nn.Conv2d(cin, cout, (kh, kw), padding=(dilation * (kh - 1) // 2, dilation * (kw - 1) // 2),
                dilation=dilation, bias=bias)
  if constant is None:
    nn.init.xavier_normal_(c.weight)
  else:
    nn.init.zeros_(c.weight)
  if bias:
    nn.init.constant_(c.bias, 0.0 if constant is None else constant)
  return c


class ConvUnit(nn.Module):

  def __init__(self, cin, cout, kernel, use_bn, dilation=1, eps=1e-3):
    super().__init__()
    self.conv = conv(cin, cout, kernel, dilation=dilation, bias=not use_bn)
    self.bn = nn.BatchNorm2d(cout, eps=eps, momentum=0.1) if use_bn else None

  def forward(self, x):
    x = self.conv(x)
    return F.relu(self.bn(x) if self.bn is not None else x)


class MaxPool3(nn.MaxPool2d):

  def __init__(self):
    super().__init__(3, stride=1, padding=1)


class AvgPool3(nn.AvgPool2d):

  def __init__(self):
    super().__init__(3, stride=1, padding=1, count_include_pad=False)


class _Factory:

  def __init__(self, factor, pool, use_bn):
    if pool not in ("conv", "pool"):
      raise ValueError(f"pool must be 'conv' or 'pool', got {pool!r}")
    self.factor, self.pool_mode, self.use_bn = factor, pool, use_bn

  def w(self, channels):
    return max(1, channels // self.factor)

  def unit(self, cin, cout, kernel):
    return ConvUnit(cin, cout, kernel, self.use_bn)

  def pool(self, channels, kind):
    if self.pool_mode == "conv":
      return self.unit(channels, channels, 3)
    return MaxPool3() if kind == "max" else AvgPool3()

  def chain(self, cin, spec):
    units = []
    for cout, k in spec:
      units.append(self.unit(cin, cout, k))
      cin = cout
    return nn.ModuleList(units)


def _run(chain, x):
  for m in chain:
    x = m(x)
  return x


class Mixed3a(nn.Module):
  def __init__(self, f, cin):
    super().__init__()
    self.branch0 = f.pool(cin, "max")
    self.branch1 = f.unit(cin, f.w(96), 3)
    self.out_channels = cin + f.w(96)

  def forward(self, x):
    return torch.cat([self.branch0(x), self.branch1(x)], 1)


class Mixed4a(nn.Module):
  def __init__(self, f, cin):
    super().__init__()
    self.branch0 = f.chain(cin, [(f.w(64), 1), (f.w(96), 3)])
    self.branch1 = f.chain(cin, [(f.w(64), 1), (f.w(64), (1, 7)), (f.w(64), (7, 1)),
                                 (f.w(96), 3)])
    self.out_channels = 2 * f.w(96)

  def forward(self, x):
    return torch.cat([_run(self.branch0, x), _run(self.branch1, x)], 1)


class Mixed5a(nn.Module):
  def __init__(self, f, cin):
    super().__init__()
    self.branch0 = f.unit(cin, f.w(192), 3)
    self.branch1 = f.pool(cin, "max")
    self.out_channels = f.w(192) + cin

  def forward(self, x):
    return torch.cat([self.branch0(x), self.branch1(x)], 1)


class InceptionA(nn.Module):
  def __init__(self, f, cin):
    super().__init__()
    self.branch0 = f.unit(cin, f.w(96), 1)
    self.branch1 = f.chain(cin, [(f.w(64), 1), (f.w(96), 3)])
    self.branch2 = f.chain(cin, [(f.w(64), 1), (f.w(96), 3), (f.w(96), 3)])
    self.branch3 = nn.ModuleList([f.pool(cin, "avg"), f.unit(cin, f.w(96), 1)])
    self.out_channels = 4 * f.w(96)

  def forward(self, x):
    return torch.cat([self.branch0(x), _run(self.branch1, x), _run(self.branch2, x),
                      _run(self.branch3, x)], 1)


class ReductionA(nn.Module):
  def __init__(self, f, cin):
    super().__init__()
    self.branch0 = f.unit(cin, f.w(384), 3)
    self.branch1 = f.chain(cin, [(f.w(192), 1), (f.w(224), 3), (f.w(256), 3)])
    self.branch2 = f.pool(cin, "max")
    self.out_channels = f.w(384) + f.w(256) + cin

  def forward(self, x):
    return torch.cat([self.branch0(x), _run(self.branch1, x), self.branch2(x)], 1)


class InceptionB(nn.Module):
  def __init__(self, f, cin):
    super().__init__()
    self.branch0 = f.unit(cin, f.w(384), 1)
    self.branch1 = f.chain(cin, [(f.w(192), 1), (f.w(224), (1, 7)), (f.w(256), (7, 1))])
    self.branch2 = f.chain(cin, [(f.w(192), 1), (f.w(192), (7, 1)), (f.w(224), (1, 7)),
                                 (f.w(224), (7, 1)), (f.w(256), (1, 7))])
    self.branch3 = nn.ModuleList([f.pool(cin, "avg"), f.unit(cin, f.w(128), 1)])
    self.out_channels = f.w(384) + 2 * f.w(256) + f.w(128)

  def forward(self, x):
    return torch.cat([self.branch0(x), _run(self.branch1, x), _run(self.branch2, x),
                      _run(self.branch3, x)], 1)


class ReductionB(nn.Module):
  def __init__(self, f, cin):
    super().__init__()
    self.branch0 = f.chain(cin, [(f.w(192), 1), (f.w(192), 3)])
    self.branch1 = f.chain(cin, [(f.w(256), 1), (f.w(256), (1, 7)), (f.w(320), (7, 1)),
                                 (f.w(320), 3)])
    self.branch2 = f.pool(cin, "max")
    self.out_channels = f.w(192) + f.w(320) + cin

  def forward(self, x):
    return torch.cat([_run(self.branch0, x), _run(self.branch1, x), self.branch2(x)], 1)


class InceptionC(nn.Module):
  def __init__(self, f, cin):
    super().__init__()
    self.branch0 = f.unit(cin, f.w(256), 1)
    self.branch1_0 = f.unit(cin, f.w(384), 1)
    self.branch1_1a = f.unit(f.w(384), f.w(256), (1, 3))
    self.branch1_1b = f.unit(f.w(384), f.w(256), (3, 1))
    self.branch2 = f.chain(cin, [(f.w(384), 1), (f.w(448), (3, 1)), (f.w(512), (1, 3))])
    self.branch2_3a = f.unit(f.w(512), f.w(256), (1, 3))
    self.branch2_3b = f.unit(f.w(512), f.w(256), (3, 1))
    self.branch3 = nn.ModuleList([f.pool(cin, "avg"), f.unit(cin, f.w(256), 1)])
    self.out_channels = 6 * f.w(256)

  def forward(self, x):
    b1 = self.branch1_0(x)
    b2 = _run(self.branch2, x)
    return torch.cat([self.branch0(x), self.branch1_1a(b1), self.branch1_1b(b1),
                      self.branch2_3a(b2), self.branch2_3b(b2), _run(self.branch3, x)], 1)


class InceptionV4Same(nn.Module):
  def __init__(self, in_channels, f, blocks=(4, 7, 3)):
    super().__init__()
    self.stem = f.chain(in_channels, [(f.w(32), 3), (f.w(32), 3), (f.w(64), 3)])
    self.mixed3a = Mixed3a(f, f.w(64))
    self.mixed4a = Mixed4a(f, self.mixed3a.out_channels)
    self.mixed5a = Mixed5a(f, self.mixed4a.out_channels)
    c = self.mixed5a.out_channels
    self.blocks_a = nn.ModuleList([InceptionA(f, c) for _ in range(blocks[0])])
    c = self.blocks_a[-1].out_channels if blocks[0] else c
    self.reduction_a = ReductionA(f, c)
    c = self.reduction_a.out_channels
    self.blocks_b = nn.ModuleList([InceptionB(f, c) for _ in range(blocks[1])])
    c = self.blocks_b[-1].out_channels if blocks[1] else c
    self.reduction_b = ReductionB(f, c)
    c = self.reduction_b.out_channels
    self.blocks_c = nn.ModuleList([InceptionC(f, c) for _ in range(blocks[2])])
    self.out_channels = self.blocks_c[-1].out_channels if blocks[2] else c

  def forward(self, x):
    x = _run(self.stem, x)
    x = self.mixed5a(self.mixed4a(self.mixed3a(x)))
    x = _run(self.blocks_a, x)
    x = _run(self.blocks_b, self.reduction_a(x))
    return _run(self.blocks_c, self.reduction_b(x))


class DilationPyramid(nn.Module):
  """ASPP-style branches: 3x3 conv of dilation 2**i + BN (torch's eps 1e-5) + ReLU."""

  def __init__(self, cin, channels, gamma, use_bn):
    super().__init__()
    self.branches = nn.ModuleList([ConvUnit(cin, channels, 3, use_bn, dilation=2 ** i, eps=1e-5)
                                   for i in range(gamma + 1)])
    self.out_channels = channels * (gamma + 1)

  def forward(self, x):
    return torch.cat([b(x) for b in self.branches], 1)


class Descriptor(nn.Module):
  def __init__(self, in_channels, f, pyramid_channels, gamma, blocks):
    super().__init__()
    self.backbone = InceptionV4Same(in_channels, f, blocks)
    self.pyramid = DilationPyramid(self.backbone.out_channels, pyramid_channels, gamma, f.use_bn)
    self.out_channels = self.pyramid.out_channels

  def forward(self, x):
    return self.pyramid(self.backbone(x))


class PyramidConvs(nn.Module):
  def __init__(self, cin, cout, constant_out=None):
    super().__init__()
    self.conv1 = conv(cin, cout, 1, constant=constant_out)
    self.conv3 = conv(cin, cout, 3, constant=constant_out)
    self.conv5 = nn.ModuleList([conv(cin, cin, (1, 5)),
                                conv(cin, cout, (5, 1), constant=constant_out)])
    self.conv7 = nn.ModuleList([conv(cin, cin, (1, 7)),
                                conv(cin, cout, (7, 1), constant=constant_out)])

  def forward(self, x):
    return [self.conv1(x), self.conv3(x), _run(self.conv5, x), _run(self.conv7, x)]


class PyramidMaxout(nn.Module):
  def __init__(self, cin, cout, constant_out=None):
    super().__init__()
    self.convs = PyramidConvs(cin, cout, constant_out)
    self.prelu = nn.PReLU(cout, init=0.25)

  def forward(self, x):
    outs = self.convs(x)
    m = outs[0]
    for o in outs[1:]:
      m = torch.maximum(m, o)
    return self.prelu(m)


class PyramidSumout(nn.Module):
  def __init__(self, cin, cout, constant_out=None):
    super().__init__()
    self.convs = PyramidConvs(cin, cout, constant_out)

  def forward(self, x):
    return sum(self.convs(x))


def recover(x, z, a):
  inside = z < 1.0
  denom = torch.where(inside, 1.0 - z, torch.ones_like(z))
  return torch.where(inside, (x - a * z) / denom, x)


IDENTITY_HEADS = {"z": 0.0, "a": 1.0, "r": 0.0}  # identity_init: each head's starting output


class DesnowNet(nn.Module):
  """Returns a dict: ``y_hat``, ``y_prime``, ``z`` (clipped), ``z_raw``, ``a``, ``r`` (NCHW)."""

  size_multiple = 1

  def __init__(self, in_channels=3, width_factor=4, pyramid_channels=192, gamma=4,
               blocks=(4, 7, 3), pool="conv", use_bn=True, identity_init=False):
    super().__init__()
    if in_channels != 3:
      raise ValueError("DesnowNet's formation model needs RGB input (in_channels=3)")
    f = _Factory(width_factor, pool, use_bn)
    self.descriptor_t = Descriptor(3, f, pyramid_channels, gamma, tuple(blocks))
    c = self.descriptor_t.out_channels
    start = IDENTITY_HEADS if identity_init else dict.fromkeys(IDENTITY_HEADS)
    self.mask_maxout = PyramidMaxout(c, 1, start["z"])
    self.aberration_maxout = PyramidMaxout(c, 3, start["a"])
    self.descriptor_r = Descriptor(7, f, pyramid_channels, gamma, tuple(blocks))
    self.residual_sumout = PyramidSumout(self.descriptor_r.out_channels, 3, start["r"])

  def forward(self, x):
    f_t = self.descriptor_t(x)
    z_raw = self.mask_maxout(f_t)
    z = z_raw.clamp(0.0, 1.0)
    a = self.aberration_maxout(f_t)
    y_prime = recover(x, z, a).clamp(0.0, 1.0)
    r = self.residual_sumout(self.descriptor_r(torch.cat([y_prime, z, a], 1)))
    return {"y_hat": y_prime + r, "y_prime": y_prime, "z": z, "z_raw": z_raw, "a": a, "r": r}


@register("desnownet")
def _desnownet(**kw):
  return DesnowNet(**kw)
