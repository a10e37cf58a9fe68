"""VGG-16 feature extractor (torchvision's ``vgg16().features``), PyTorch reference (NCHW).

Twin of ``jaxrestore/models/vgg.py``: ``features`` is an ``nn.Sequential`` with
torchvision's indices (convs at 0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28,
2x2 max pooling at 4, 9, 16, 23, 30), so ``features.*`` of a torchvision
state dict loads into it; no classifier. Input is RGB in [0, 1], normalised
inside with the ImageNet mean / std (``normalize=False``: as it is).
``features_at(x, layers)`` returns the activations after those indices (default
relu1_1, relu1_2, relu2_1, relu2_2).
Default torch init, not torchvision's vgg16 init (the weights are meant to be loaded).
"""
import torch
from torch import nn

from torch_ref.models.registry import register

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


class VGG16(nn.Module):

  def __init__(self):
    super().__init__()
    layers, cin = [], 3
    for v in CFG:
      if v == "M":
        layers.append(nn.MaxPool2d(2, 2))
      else:
        layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU()]
        cin = v
    self.features = nn.Sequential(*layers)
    self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
    self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

  def features_at(self, x, layers=(1, 3, 6, 8), normalize=True):
    layers = tuple(layers)
    if not layers or min(layers) < 0 or max(layers) >= len(self.features):
      raise ValueError(f"layers must be non-empty indices in [0, {len(self.features) - 1}], "
                       f"got {layers}")
    if normalize:
      x = (x - self.mean) / self.std
    out = {}
    for i in range(max(layers) + 1):
      x = self.features[i](x)
      if i in layers:
        out[i] = x
    return [out[i] for i in layers]

  def forward(self, x):
    return self.features_at(x, (len(self.features) - 1,))[0]


@register("vgg16")
def _vgg16(**kw):
  return VGG16(**kw)
