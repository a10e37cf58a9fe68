"""The Noise2Noise U-Net (Lehtinen et al. 2018, NVlabs/noise2noise ``autoencoder``), NHWC.

Twin of ``torch_ref/models/n2n_unet.py`` (same attribute names, so porting maps
``enc_conv0.weight`` -> ``enc_conv0.kernel``). Five 3x3-conv + 2x2-max-pool
levels of 48 channels, a bottleneck conv, five levels of nearest x2 upsampling +
concatenation (upsampled first, then the skip) + two convs (96 channels; 64 and
32 at the top), a linear 3x3 output conv; LeakyReLU(0.1) after every conv but that one.
Init as NVlabs: N(0, gain^2 / fan_in) weights (gain sqrt(2), 1 for the output),
zero biases. ``input_offset=0.5`` shifts [0, 1] images to NVlabs' [-0.5, 0.5]
and back. H and W must be multiples of 32 (``size_multiple``). ``dtype``: the compute
dtype of the convolutions (None: no cast, float32; parameters stay float32; the
offset is added back to the output cast to the input's dtype).
"""
import math

import jax
import jax.numpy as jnp
from flax import nnx

from jaxrestore.models import initializers
from jaxrestore.models.layers import conv2d, max_pool2x2_with_indices, upsample_nearest
from jaxrestore.models.registry import register


def _conv(cin, cout, rngs, dtype, gain=math.sqrt(2)):
  conv = conv2d(cin, cout, 3, kernel_init=initializers.variance_scaling(
      gain ** 2, "fan_in", "normal"), rngs=rngs, dtype=dtype)
  conv.bias[...] = jnp.zeros_like(conv.bias[...])
  return conv


class N2NUNet(nnx.Module):
  size_multiple = 32
  output_key = None  # returns the restored image itself

  def __init__(self, in_channels: int = 3, out_channels: int = 3, enc_features: int = 48,
               dec_features: int = 96, negative_slope: float = 0.1, input_offset: float = 0.5,
               *, rngs: nnx.Rngs, dtype=None):
    e, d = enc_features, dec_features
    self.in_channels = in_channels
    self.negative_slope, self.input_offset = negative_slope, input_offset
    self.enc_conv0 = _conv(in_channels, e, rngs, dtype)
    self.enc_conv1 = _conv(e, e, rngs, dtype)
    self.enc_conv2 = _conv(e, e, rngs, dtype)
    self.enc_conv3 = _conv(e, e, rngs, dtype)
    self.enc_conv4 = _conv(e, e, rngs, dtype)
    self.enc_conv5 = _conv(e, e, rngs, dtype)
    self.enc_conv6 = _conv(e, e, rngs, dtype)
    self.dec_conv5 = _conv(2 * e, d, rngs, dtype)
    self.dec_conv5b = _conv(d, d, rngs, dtype)
    self.dec_conv4 = _conv(d + e, d, rngs, dtype)
    self.dec_conv4b = _conv(d, d, rngs, dtype)
    self.dec_conv3 = _conv(d + e, d, rngs, dtype)
    self.dec_conv3b = _conv(d, d, rngs, dtype)
    self.dec_conv2 = _conv(d + e, d, rngs, dtype)
    self.dec_conv2b = _conv(d, d, rngs, dtype)
    self.dec_conv1a = _conv(d + in_channels, 64, rngs, dtype)
    self.dec_conv1b = _conv(64, 32, rngs, dtype)
    self.dec_conv1 = _conv(32, out_channels, rngs, dtype, gain=1.0)

  def _act(self, conv, x):
    return jax.nn.leaky_relu(conv(x), self.negative_slope)

  def __call__(self, x):
    if x.ndim != 4 or x.shape[-1] != self.in_channels:
      raise ValueError(f"expected NHWC input with {self.in_channels} channel(s), got {x.shape}")
    if x.shape[1] % 32 or x.shape[2] % 32:
      raise ValueError(f"N2NUNet needs H and W divisible by 32, got {x.shape[1:3]}")
    pool = lambda h: max_pool2x2_with_indices(h)[0]  # noqa: E731
    x = x - self.input_offset
    skips = [x]
    n = self._act(self.enc_conv0, x)
    n = pool(self._act(self.enc_conv1, n))
    skips.append(n)
    for conv in (self.enc_conv2, self.enc_conv3, self.enc_conv4):
      n = pool(self._act(conv, n))
      skips.append(n)
    n = pool(self._act(self.enc_conv5, n))
    n = self._act(self.enc_conv6, n)
    for a, b in ((self.dec_conv5, self.dec_conv5b), (self.dec_conv4, self.dec_conv4b),
                 (self.dec_conv3, self.dec_conv3b), (self.dec_conv2, self.dec_conv2b),
                 (self.dec_conv1a, self.dec_conv1b)):
      n = jnp.concatenate([upsample_nearest(n), skips.pop()], axis=-1)
      n = self._act(b, self._act(a, n))
    return self.dec_conv1(n).astype(x.dtype) + self.input_offset


@register("n2n_unet")
def _n2n_unet(**kw):
  return N2NUNet(**kw)
