"""DnCNN family (PyTorch reference): DnCNN, UDnCNN, DUDnCNN.

* ``DnCNN`` follows KAIR's ``models/network_dncnn.py`` (``layout='kair'``: one
  ``nn.Sequential`` called ``model`` with conv/BN/ReLU interleaved, so a BN-merged
  checkpoint has keys ``model.{0,2,...,32}``) and the UCSD ECE285 assignment
  (``layout='ece285'``: ``nn.ModuleList``s ``conv`` and ``bn``).
* ``UDnCNN`` / ``DUDnCNN`` follow the ECE285 assignment.

``init='he'`` (the default) is the ECE285 code's initialisation; the KAIR presets take
``init='kair'``, KAIR's for DnCNN (``_init``).

``depth`` always counts convolutions: KAIR DnCNN-17 has depth 17; the ECE285
models with ``D`` batch-normalised layers have depth ``D + 2``.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from torch_ref.models.registry import register


def _ece285_bn_weight(features: int) -> float:
  return 1.25 * math.sqrt(features)


class _ConvBNStack(nn.Module):
  """Shared parameters of the ECE285 family: ``conv.{0..D+1}`` and ``bn.{0..D-1}``."""

  def __init__(self, depth, features, channels, dilations, use_bias, bn_eps, bn_momentum,
               bn_weight_init):
    super().__init__()
    if depth < 3:
      raise ValueError(f"depth must be >= 3 convolutions, got {depth}")
    d = dilations
    self.conv = nn.ModuleList(
        [nn.Conv2d(channels, features, 3, padding=d[0], dilation=d[0], bias=use_bias)]
        + [nn.Conv2d(features, features, 3, padding=d[i], dilation=d[i], bias=use_bias)
           for i in range(1, depth - 1)]
        + [nn.Conv2d(features, channels, 3, padding=d[-1], dilation=d[-1], bias=use_bias)])
    self.bn = nn.ModuleList(
        [nn.BatchNorm2d(features, eps=bn_eps, momentum=bn_momentum) for _ in range(depth - 2)])
    _init(self.conv, self.bn, bn_weight_init)


INITS = ("he", "kair")
_KAIR_GAIN = 0.2  # KAIR's options/train_dncnn.json: init_type orthogonal, init_gain 0.2


def _init(convs, bns, bn_weight_init, init="he"):
  """'he': He-normal (fan_in, ReLU gain) on every conv but the last, which keeps torch's
  default, BN weight ``bn_weight_init``. 'kair': KAIR's ``init_weights(net, 'orthogonal',
  'uniform', 0.2)``: every conv orthogonal with gain 0.2 and zero bias, BN weight
  U(0.1, 1) and zero bias."""
  if init not in INITS:
    raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
  if init == "kair":
    for conv in convs:
      nn.init.orthogonal_(conv.weight, gain=_KAIR_GAIN)
      if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    for bn in bns:
      nn.init.uniform_(bn.weight, 0.1, 1.0)
      nn.init.zeros_(bn.bias)
    return
  for conv in list(convs)[:-1]:
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
  for bn in bns:
    nn.init.constant_(bn.weight, bn_weight_init)


class DnCNN(nn.Module):
  """Plain DnCNN: conv-ReLU, (depth-2) x conv-[BN]-ReLU, conv; output ``x ± net(x)``."""

  def __init__(self, depth=17, features=64, in_channels=1, out_channels=None, use_bn=True,
               use_bias=True, residual="subtract", bn_eps=1e-5, bn_momentum=0.1,
               bn_weight_init=1.0, layout="kair", init="he"):
    super().__init__()
    out_channels = in_channels if out_channels is None else out_channels
    if depth < 2:
      raise ValueError(f"depth must be >= 2 convolutions, got {depth}")
    if residual not in ("add", "subtract", "none"):
      raise ValueError(f"residual must be 'add', 'subtract' or 'none', got {residual!r}")
    if residual != "none" and in_channels != out_channels:
      raise ValueError("a residual DnCNN needs in_channels == out_channels")
    self.residual = residual
    convs = ([nn.Conv2d(in_channels, features, 3, padding=1, bias=use_bias)]
             + [nn.Conv2d(features, features, 3, padding=1, bias=use_bias)
                for _ in range(depth - 2)]
             + [nn.Conv2d(features, out_channels, 3, padding=1, bias=use_bias)])
    bns = [nn.BatchNorm2d(features, eps=bn_eps, momentum=bn_momentum)
           for _ in range(depth - 2)] if use_bn else []
    _init(convs, bns, bn_weight_init, init)
    if layout == "kair":
      layers = [convs[0], nn.ReLU(inplace=True)]
      for i, conv in enumerate(convs[1:-1]):
        layers += [conv] + ([bns[i]] if use_bn else []) + [nn.ReLU(inplace=True)]
      self.model = nn.Sequential(*layers, convs[-1])
    elif layout == "ece285":
      self.conv = nn.ModuleList(convs)
      self.bn = nn.ModuleList(bns)
    else:
      raise ValueError(f"layout must be 'kair' or 'ece285', got {layout!r}")
    self.layout = layout

  def forward(self, x):
    if self.layout == "kair":
      n = self.model(x)
    else:
      h = F.relu(self.conv[0](x))
      for i, conv in enumerate(self.conv[1:-1]):
        h = conv(h)
        if len(self.bn):
          h = self.bn[i](h)
        h = F.relu(h)
      n = self.conv[-1](h)
    if self.residual == "add":
      return x + n
    if self.residual == "subtract":
      return x - n
    return n


def _check_u_depth(depth):
  if depth < 6 or depth % 2:
    raise ValueError(f"U-shaped DnCNNs need an even depth >= 6 convolutions, got {depth}")


class UDnCNN(_ConvBNStack):
  """U-shaped DnCNN: 2x2 max-pool with indices down, max-unpool with them up.

  Skips are added and scaled by 1/sqrt(2); output ``conv(h) + x``.
  """

  def __init__(self, depth=8, features=64, channels=3, use_bias=True, bn_eps=1e-5,
               bn_momentum=0.1, bn_weight_init=10.0):
    _check_u_depth(depth)
    super().__init__(depth, features, channels, [1] * depth, use_bias, bn_eps, bn_momentum,
                     bn_weight_init)
    self.D = depth - 2
    self.num_pools = self.D // 2 - 1

  def forward(self, x):
    D = self.D
    if min(x.shape[-2:]) < 2 ** self.num_pools:
      raise ValueError(f"UDnCNN with depth {D + 2} needs H, W >= {2 ** self.num_pools}, "
                       f"got {tuple(x.shape[-2:])}")
    h = F.relu(self.conv[0](x))
    skips, indices, shapes = [], [], []
    for i in range(D // 2 - 1):
      shapes.append(h.shape[-2:])
      h, idx = F.max_pool2d(F.relu(self.bn[i](self.conv[i + 1](h))), 2, return_indices=True)
      skips.append(h)
      indices.append(idx)
    for i in range(D // 2 - 1, D // 2 + 1):
      h = F.relu(self.bn[i](self.conv[i + 1](h)))
    for i in range(D // 2 + 1, D):
      j = i - (D // 2 + 1) + 1
      h = F.relu(self.bn[i](self.conv[i + 1]((h + skips[-j]) / math.sqrt(2))))
      h = F.max_unpool2d(h, indices[-j], 2, output_size=shapes[-j])
    return self.conv[D + 1](h) + x


def dud_dilations(depth: int) -> list[int]:
  """Per-conv dilations of DUDnCNN: 2^(pools so far - unpools so far) of UDnCNN.

  depth 8 (D=6) gives 1, 1, 2, 4, 4, 2, 1, 1.
  """
  _check_u_depth(depth)
  D = depth - 2
  down = [0] + list(range(D // 2)) + [D // 2 - 1] * (D + 1 - D // 2)
  up = [0] * (D // 2 + 1) + list(range(D - D // 2)) + [D - D // 2 - 1]
  return [2 ** (k - l) for k, l in zip(down, up)]


class DUDnCNN(_ConvBNStack):
  """UDnCNN with the pooling replaced by dilated convolutions (same receptive field)."""

  def __init__(self, depth=8, features=64, channels=3, use_bias=True, bn_eps=1e-5,
               bn_momentum=0.1, bn_weight_init=10.0):
    super().__init__(depth, features, channels, dud_dilations(depth), use_bias, bn_eps,
                     bn_momentum, bn_weight_init)
    self.D = depth - 2

  def forward(self, x):
    D = self.D
    h = F.relu(self.conv[0](x))
    skips = []
    for i in range(D // 2 - 1):
      h = F.relu(self.bn[i](self.conv[i + 1](h)))
      skips.append(h)
    for i in range(D // 2 - 1, D // 2 + 1):
      h = F.relu(self.bn[i](self.conv[i + 1](h)))
    for i in range(D // 2 + 1, D):
      j = i - (D // 2 + 1) + 1
      h = F.relu(self.bn[i](self.conv[i + 1]((h + skips[-j]) / math.sqrt(2))))
    return self.conv[D + 1](h) + x


# Presets. ECE285 legacy_bn_eps=True reproduces `nn.BatchNorm2d(C, C)`, i.e. eps = C.
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
  kw.setdefault("bn_weight_init", _ece285_bn_weight(features))
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


# --- BatchNorm folding --------------------------------------------------------------------


@torch.no_grad()
def merge_bn(net: DnCNN) -> DnCNN:
  """A BN-free ``DnCNN`` (biased convs) computing ``net``'s eval-mode output.

  Each eval-mode BN after a conv is folded into it: with ``s = gamma / sqrt(var + eps)``,
  ``W' = W s`` (per output channel) and ``b' = (b - mean) s + beta`` (``b = 0`` for a
  bias-free conv), computed in float64. The result has the layout of ``net``
  (KAIR's BN-merged checkpoints: ``model.{0,2,...}``). Twin of
  ``jaxrestore.porting.merge_bn``.
  """
  if not isinstance(net, DnCNN):
    raise TypeError(f"merge_bn folds the BN of a DnCNN, got {type(net).__name__}")
  if net.layout == "kair":
    convs = [m for m in net.model if isinstance(m, nn.Conv2d)]
    bns = [m for m in net.model if isinstance(m, nn.BatchNorm2d)]
  else:
    convs, bns = list(net.conv), list(net.bn)
  if not bns:
    raise ValueError("this DnCNN has no BatchNorm to merge")
  merged = DnCNN(depth=len(convs), features=convs[0].out_channels,
                 in_channels=convs[0].in_channels, out_channels=convs[-1].out_channels,
                 use_bn=False, use_bias=True, residual=net.residual, layout=net.layout)
  targets = ([m for m in merged.model if isinstance(m, nn.Conv2d)] if net.layout == "kair"
             else list(merged.conv))
  for i, (conv, target) in enumerate(zip(convs, targets)):
    w = conv.weight.double()
    b = conv.bias.double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=w.dtype)
    if 1 <= i <= len(bns):
      bn = bns[i - 1]
      s = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
      w, b = w * s[:, None, None, None], (b - bn.running_mean.double()) * s + bn.bias.double()
    target.weight.copy_(w.float())
    target.bias.copy_(b.float())
  return merged.eval()
