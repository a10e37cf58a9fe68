"""The Noise2Noise U-Net (Lehtinen et al. 2018, NVlabs/noise2noise ``autoencoder``).

Five 3x3-conv + 2x2-max-pool levels of 48 channels, a bottleneck conv, then five
levels of nearest x2 upsampling, concatenation with the skip (upsampled first),
and two convs (96 channels; 64 and 32 at the top), a linear 3x3 output conv. All
convs but the last are followed by LeakyReLU(0.1). Init as NVlabs: N(0, gain^2 /
fan_in) weights with gain sqrt(2) (1 for the output conv), zero biases.

NVlabs feeds images shifted to [-0.5, 0.5]; ``input_offset=0.5`` does that
inside the model, so it maps [0, 1] images to [0, 1] images. H and W must be
multiples of 32.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from torch_ref.models.registry import register

ENCODER = ["enc_conv0", "enc_conv1", "enc_conv2", "enc_conv3", "enc_conv4", "enc_conv5",
           "enc_conv6"]


def _conv(cin, cout, gain=math.sqrt(2)):
  conv = nn.Conv2d(cin, cout, 3, padding=1)
  nn.init.normal_(conv.weight, 0.0, gain / math.sqrt(cin * 9))
  nn.init.zeros_(conv.bias)
  return conv


class N2NUNet(nn.Module):

  def __init__(self, in_channels=3, out_channels=3, enc_features=48, dec_features=96,
               negative_slope=0.1, input_offset=0.5):
    super().__init__()
    e, d = enc_features, dec_features
    self.negative_slope, self.input_offset = negative_slope, input_offset
    self.enc_conv0 = _conv(in_channels, e)
    for name in ENCODER[1:]:
      setattr(self, name, _conv(e, e))
    self.dec_conv5 = _conv(2 * e, d)
    self.dec_conv5b = _conv(d, d)
    for level in (4, 3, 2):
      setattr(self, f"dec_conv{level}", _conv(d + e, d))
      setattr(self, f"dec_conv{level}b", _conv(d, d))
    self.dec_conv1a = _conv(d + in_channels, 64)
    self.dec_conv1b = _conv(64, 32)
    self.dec_conv1 = _conv(32, out_channels, gain=1.0)

  def _act(self, conv, x):
    return F.leaky_relu(conv(x), self.negative_slope)

  def forward(self, x):
    if x.shape[-2] % 32 or x.shape[-1] % 32:
      raise ValueError(f"N2NUNet needs H and W divisible by 32, got {tuple(x.shape[-2:])}")
    x = x - self.input_offset
    skips = [x]
    n = self._act(self.enc_conv0, x)
    n = F.max_pool2d(self._act(self.enc_conv1, n), 2)
    skips.append(n)
    for name in ("enc_conv2", "enc_conv3", "enc_conv4"):
      n = F.max_pool2d(self._act(getattr(self, name), n), 2)
      skips.append(n)
    n = F.max_pool2d(self._act(self.enc_conv5, n), 2)
    n = self._act(self.enc_conv6, n)
    for a, b in (("dec_conv5", "dec_conv5b"), ("dec_conv4", "dec_conv4b"),
                 ("dec_conv3", "dec_conv3b"), ("dec_conv2", "dec_conv2b"),
                 ("dec_conv1a", "dec_conv1b")):
      n = torch.cat([F.interpolate(n, scale_factor=2, mode="nearest"), skips.pop()], dim=1)
      n = self._act(getattr(self, b), self._act(getattr(self, a), n))
    return self.dec_conv1(n) + self.input_offset


@register("n2n_unet")
def _n2n_unet(**kw):
  return N2NUNet(**kw)
