"""Torch key names of the DnCNN family (see torch_ref/models/dncnn.py)."""
from jaxrestore.models.dncnn import DnCNN, DUDnCNN, UDnCNN
from jaxrestore.porting.mapping import register_model


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
