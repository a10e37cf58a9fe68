"""VGG-16 feature extractor (Simonyan & Zisserman 2015; torchvision's ``vgg16``), NHWC.

Twin of ``torch_ref/models/vgg.py``. ``features`` is torchvision's ``vgg16().features``
index for index: 13 3x3 convolutions (padding 1), each followed by a ReLU, and a
2x2 stride-2 max pooling at indices 4, 9, 16, 23 and 30; convolutions at
0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28. The ReLUs and poolings are plain
functions in the ``nnx.List``, so a conv's list index is its torchvision key
(``features.28.weight``). There is no classifier: a torchvision state dict's
``classifier.*`` keys are dropped explicitly by
``jaxrestore.porting.load_checkpoint(path, "vgg16")``.

Input is RGB in [0, 1]; the model normalises it with the ImageNet statistics
torchvision's weights were trained with (mean (0.485, 0.456, 0.406), std (0.229,
0.224, 0.225)), unless ``features_at(..., normalize=False)`` (the input goes in
as it is). ``features_at(x, layers)`` returns the activations after the given
``features`` indices, running only as far as the deepest one; the default
(1, 3, 6, 8) is relu1_1, relu1_2, relu2_1, relu2_2, the layers of the Attentive
GAN's perceptual loss (the authors' wrapper normalises nothing: it passes its
input straight to torchvision's features).
Init is torch's default, not torchvision's ``vgg16`` init (Kaiming-normal, fan_out):
the model is meant to carry pretrained weights, and the tests' random ones only need
to be the same in both trees. ``dtype``: the compute dtype of the convolutions (None:
no cast); the normalisation runs in float32 (the ImageNet statistics are float32)
and the returned activations are cast back to the input's dtype.
"""
import functools

import jax
import numpy as np
from flax import nnx

from jaxrestore.models.layers import conv2d, max_pool
from jaxrestore.models.registry import register

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


class VGG16(nnx.Module):
  """``features`` of torchvision's VGG-16 on ImageNet-normalised RGB input."""

  def __init__(self, *, rngs: nnx.Rngs, dtype=None):
    layers, cin = [], 3
    for v in CFG:
      if v == "M":
        layers.append(functools.partial(max_pool, window=2))  # nn.MaxPool2d(2, 2)
      else:
        layers += [conv2d(cin, v, 3, padding=1, rngs=rngs, dtype=dtype), jax.nn.relu]
        cin = v
    self.features = nnx.List(layers)

  def features_at(self, x, layers=(1, 3, 6, 8), normalize: bool = True):
    """Activations after each of the ``features`` indices ``layers``, in that order;
    ``normalize=False`` skips the ImageNet normalisation."""
    if x.ndim != 4 or x.shape[-1] != 3:
      raise ValueError(f"VGG16 expects NHWC RGB input (3 channels), got shape {x.shape}")
    layers = tuple(layers)
    if not layers or min(layers) < 0 or max(layers) >= len(self.features):
      raise ValueError(f"layers must be non-empty indices in [0, {len(self.features) - 1}], "
                       f"got {layers}")
    x_dtype = x.dtype
    if normalize:
      x = (x - IMAGENET_MEAN) / IMAGENET_STD
    out = {}
    for i in range(max(layers) + 1):
      x = self.features[i](x)
      if i in layers:
        out[i] = x
    return [out[i].astype(x_dtype) for i in layers]

  def __call__(self, x):
    """The whole ``features`` stack (after the last pooling: 512 channels, 1/32 size)."""
    return self.features_at(x, (len(self.features) - 1,))[0]


@register("vgg16")
def _vgg16(**kw):
  return VGG16(**kw)
