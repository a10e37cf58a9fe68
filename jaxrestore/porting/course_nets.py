"""Torch key names of the EE-559 course nets: ``nn.Sequential`` indices (see torch_ref)."""
import numpy as np
from flax import nnx

from jaxrestore.models.course_nets import CourseNetA, CourseNetB, Upsampling
from jaxrestore.models.layers import ConvTranspose2d
from jaxrestore.porting.mapping import register_leaf, register_model

# torch (in, out, kh, kw) <-> (kh, kw, in, out); the same permutation both ways.
_tconv_kernel = (lambda w: np.transpose(w, (2, 3, 0, 1)), lambda k: np.transpose(k, (2, 3, 0, 1)))


@register_leaf(ConvTranspose2d)
def _tconv_leaves(m: ConvTranspose2d):
  yield "weight", "kernel", _tconv_kernel
  if m.bias is not None:
    yield "bias", "bias", (lambda a: a, lambda a: a)


@register_model(CourseNetA)
@register_model(CourseNetB)
def _course_net(model):
  for i, layer in enumerate(model.layers):
    if isinstance(layer, Upsampling):
      yield f"{i}.1", layer.conv
    elif isinstance(layer, (nnx.Conv, ConvTranspose2d)):
      yield str(i), layer
