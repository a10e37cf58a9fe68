"""Torch key names of the DnCNN family (see torch_ref/models/dncnn.py), and BN folding."""
import numpy as np
from flax import nnx

from jaxrestore.models.dncnn import DnCNN, DUDnCNN, UDnCNN
from jaxrestore.porting.mapping import PortingError, register_model


@register_model(DnCNN)
def _dncnn(model: DnCNN):
  if model.layout == "ece285":
    yield from _ece285(model)
    return
  # KAIR's nn.Sequential: conv, ReLU, then per body layer conv, [BN], ReLU, then conv.
  stride = 3 if model.use_bn else 2
  yield "model.0", model.conv[0]
  for k in range(1, len(model.conv) - 1):
    index = 2 + (k - 1) * stride
    yield f"model.{index}", model.conv[k]
    if model.use_bn:
      yield f"model.{index + 1}", model.bn[k - 1]
  yield f"model.{2 + (len(model.conv) - 2) * stride}", model.conv[-1]


@register_model(UDnCNN)
@register_model(DUDnCNN)
def _ece285(model):
  for k, conv in enumerate(model.conv):
    yield f"conv.{k}", conv
  for k, bn in enumerate(model.bn):
    yield f"bn.{k}", bn


def merge_bn(model: DnCNN) -> DnCNN:
  """A new BN-free ``DnCNN`` (biased convs) computing ``model``'s eval-mode output.

  Each BN after a conv is folded into it with its running statistics: with
  ``s = gamma / sqrt(var + eps)``, ``W' = W s`` per output channel and
  ``b' = (b - mean) s + beta`` (``b = 0`` for a bias-free conv), in float64, then
  float32. The torch layout stays (KAIR's BN-merged checkpoints: ``model.{0,2,...}``).
  Twin of ``torch_ref.models.merge_bn``; ``merged_spec`` names the result.
  """
  if not isinstance(model, DnCNN):
    raise PortingError(f"merge_bn folds the BatchNorm of a DnCNN; {type(model).__name__} has "
                       "no BN-free variant")
  if not model.use_bn:
    raise PortingError("this DnCNN has no BatchNorm to merge")
  merged = DnCNN(depth=len(model.conv), features=model.conv[0].out_features,
                 in_channels=model.in_channels, out_channels=model.conv[-1].out_features,
                 use_bn=False, use_bias=True, residual=model.residual, layout=model.layout,
                 rngs=nnx.Rngs(0))
  for i, (conv, target) in enumerate(zip(model.conv, merged.conv)):
    w = np.asarray(conv.kernel.get_value(), np.float64)  # HWIO: output channels last
    b = (np.asarray(conv.bias.get_value(), np.float64) if conv.bias is not None
         else np.zeros(w.shape[-1]))
    if 1 <= i <= len(model.bn):
      bn = model.bn[i - 1]
      mean, var, gamma, beta = (np.asarray(v.get_value(), np.float64)
                                for v in (bn.mean, bn.var, bn.scale, bn.bias))
      s = gamma / np.sqrt(var + bn.eps)
      w, b = w * s, (b - mean) * s + beta
    target.kernel.set_value(w.astype(np.float32))
    target.bias.set_value(b.astype(np.float32))
  return merged


def merged_spec(name: str, kwargs: dict) -> tuple[str, dict]:
  """The registry name and kwargs of ``merge_bn(create(name, **kwargs))``."""
  if name == "kair_dncnn17":
    return "kair_dncnn17_merged", {k: v for k, v in kwargs.items()
                                   if k not in ("use_bn", "use_bias", "bn_eps", "bn_momentum")}
  return name, {**kwargs, "use_bn": False, "use_bias": True}
