"""Attentive GAN for raindrop removal (Qian et al., "Attentive Generative Adversarial
Network for Raindrop Removal from a Single Image", CVPR 2018), NHWC.

Twin of ``torch_ref/models/attentive_gan.py``. The key layout is that of the
authors' ``models/generator.py`` and ``models/discriminator.py`` (rui1996/DeRaindrop):
every layer group is a torch ``nn.Sequential``, kept here as an ``nnx.List`` whose
parameter-free entries are plain functions, so the torch index is the list index
(``conv1.0.weight``, ``deconv1.0.weight``, ``fc.1.bias``) and a state dict saved
from the authors' ``Generator`` ports strictly.

* ``Generator(iterations=4)``: attentive-recurrent network then contextual
  autoencoder. Each of the ``iterations`` steps runs ``det_conv0`` on
  ``x || mask`` (4 channels), five residual blocks ``det_conv1..5``
  (``f = relu(block(f) + f)``, the block ending in its own ReLU), a ConvLSTM whose
  gates ``conv_i/f/o`` (sigmoid) and ``conv_g`` (tanh) see ``f || h``
  (``c = f c + i g``, ``h = o tanh(c)``), and ``det_conv_mask`` (no activation) on
  ``h``, giving that step's attention map. The mask starts at 0.5, ``h = c = 0``
  (32 channels). The autoencoder sees ``x || last mask``: conv1 (5x5, 64), conv2
  (stride 2), conv3, conv4 (stride 2), conv5-6, diconv1-4 (dilation 2, 4, 8, 16),
  conv7-8, ``outframe1`` (1/4 scale, ReLU), ``deconv1`` + conv3's output,
  conv9, ``outframe2`` (1/2 scale, ReLU), ``deconv2`` + conv1's output, conv10,
  ``output`` (no activation, not clipped). ``deconv`` = ConvTranspose(4, 2, 1),
  reflection pad of one row/column at the top/left, 2x2 stride-1 average pooling
  (back to 2x), ReLU; the skip is added after that ReLU with no activation after
  the sum. H and W must be multiples of 4 (``size_multiple``). Returns
  ``{"attention": (mask_1, ..., mask_N), "frame1", "frame2", "output"}``, the
  official tuple ``(mask_list, frame1, frame2, x)`` by name. ``residual=True``
  (not the source's) adds the input to ``output``, so the net predicts the change
  (the side frames stay absolute), so a run starts at its input's PSNR; tried for
  the CPU recipe, where it did not beat its input either (configs/attentive_gan.py,
  ``cpu_residual``). ``clip_output=True`` (not the source's either) clips ``output``
  to [0, 1], the images' range, with torch.clamp's gradient: the authors' uint8 cast
  (``x255``, toward zero, unclipped) turns a pixel at 1.004 black, and an unclipped
  CPU run's output crosses 1 often enough to lose to its input by that alone
  (``cpu_pretrained``). The parameters are the same. ``attention_maps(x)`` runs the
  attentive-recurrent network alone (what ``gan.attention_only`` trains).
* ``Discriminator(input_size=224)``: conv1-6 (5x5, stride 1, ReLU; 3 -> 8 -> 16
  -> 64 -> 128 -> 128 -> 128), ``conv_mask`` (128 -> 1, no activation) giving the
  map compared with the generator's attention, conv7 (5x5, stride 4, padding 1,
  ReLU) on ``features * mask``, conv8 (the same, 64 -> 32), then ``fc`` =
  Linear(32 s_h s_w, 1024), Linear(1024, 1), Sigmoid, with no activation between
  the two Linears (as the official code). Returns ``{"mask", "logit", "prob"}``:
  the official ``(mask, prob)`` by name plus the logit before the sigmoid (for a
  stable log-sigmoid loss). Two fixes of the official code: its forward applies
  ``conv7`` twice (``conv7(x * mask)``, then ``conv7`` again, which cannot run:
  conv7 takes 128 channels and returns 64); here conv7 then conv8, which is what
  its hard-coded FC size implies. And that size (32 * 14 * 14, right only for
  224 x 224 inputs) is computed from ``input_size`` by the conv arithmetic
  (``s -> (s - 3) // 4 + 1`` twice). The flattening is torch's (C, H, W) order, so
  ``fc.0.weight`` ports unchanged.

Colour order: the authors' ``predict.py`` feeds OpenCV's BGR images (values / 255)
to the generator and writes its output as BGR; this project's images are RGB, so
their released weights are used through ``jaxrestore.evaluate.swap_rgb_bgr`` (the
evaluate / restore CLIs' ``channel_order='bgr'``).

Init is torch's default everywhere (the official code keeps it): weights
U(+-1/sqrt(fan_in)) (``kaiming_uniform_(a=sqrt(5))``), biases U(+-1/sqrt(fan_in));
torch's Linear weight (out, in) is the transpose of ``nnx.Linear``'s kernel.

Both models take ``dtype``, the compute dtype (``config.precision``; None, the
default, casts nothing): the input is cast to it at the start, every layer computes
in it with float32 parameters, and every output is cast back to the input's dtype
(the torch twins get the same from ``torch.autocast``).
"""
import jax
import jax.numpy as jnp
from flax import nnx

from jaxrestore.models.layers import (ConvTranspose2d, avg_pool, clamp, conv2d, sequential,
                                      torch_default_bias, torch_default_kernel)
from jaxrestore.models.registry import register


def _conv_relu(cin, cout, kernel, rngs, **kw):
  return nnx.List([conv2d(cin, cout, kernel, rngs=rngs, **kw), jax.nn.relu])


def _pad_top_left_reflect(x):
  """``nn.ReflectionPad2d((1, 0, 1, 0))``: one reflected row on top, one column on the left."""
  return jnp.pad(x, ((0, 0), (1, 0), (1, 0), (0, 0)), mode="reflect")


def _avg_pool2_stride1(x):
  """``nn.AvgPool2d(2, stride=1)``: H x W -> (H - 1) x (W - 1)."""
  return avg_pool(x, 2, stride=1)


def _deconv(cin, cout, rngs, dtype):
  return nnx.List([ConvTranspose2d(cin, cout, 4, stride=2, padding=1, rngs=rngs, dtype=dtype),
                   _pad_top_left_reflect, _avg_pool2_stride1, jax.nn.relu])


class Generator(nnx.Module):
  """Attentive-recurrent network + contextual autoencoder; see the module docstring."""

  size_multiple = 4
  output_key = "output"  # the restored image among the outputs

  def __init__(self, iterations: int = 4, residual: bool = False, clip_output: bool = False, *,
               rngs: nnx.Rngs, dtype=None):
    if iterations < 1:
      raise ValueError(f"iterations must be >= 1, got {iterations}")
    self.iterations = iterations
    self.residual = residual
    self.clip_output = clip_output
    self.dtype = dtype
    self.det_conv0 = _conv_relu(4, 32, 3, rngs, dtype=dtype)
    for k in range(1, 6):
      setattr(self, f"det_conv{k}", nnx.List([
          conv2d(32, 32, 3, rngs=rngs, dtype=dtype), jax.nn.relu,
          conv2d(32, 32, 3, rngs=rngs, dtype=dtype), jax.nn.relu]))
    self.conv_i = nnx.List([conv2d(64, 32, 3, rngs=rngs, dtype=dtype), jax.nn.sigmoid])
    self.conv_f = nnx.List([conv2d(64, 32, 3, rngs=rngs, dtype=dtype), jax.nn.sigmoid])
    self.conv_g = nnx.List([conv2d(64, 32, 3, rngs=rngs, dtype=dtype), jnp.tanh])
    self.conv_o = nnx.List([conv2d(64, 32, 3, rngs=rngs, dtype=dtype), jax.nn.sigmoid])
    self.det_conv_mask = nnx.List([conv2d(32, 1, 3, rngs=rngs, dtype=dtype)])
    self.conv1 = _conv_relu(4, 64, 5, rngs, dtype=dtype)
    self.conv2 = _conv_relu(64, 128, 3, rngs, stride=2, dtype=dtype)
    self.conv3 = _conv_relu(128, 128, 3, rngs, dtype=dtype)
    self.conv4 = _conv_relu(128, 256, 3, rngs, stride=2, dtype=dtype)
    self.conv5 = _conv_relu(256, 256, 3, rngs, dtype=dtype)
    self.conv6 = _conv_relu(256, 256, 3, rngs, dtype=dtype)
    self.diconv1 = _conv_relu(256, 256, 3, rngs, dilation=2, dtype=dtype)
    self.diconv2 = _conv_relu(256, 256, 3, rngs, dilation=4, dtype=dtype)
    self.diconv3 = _conv_relu(256, 256, 3, rngs, dilation=8, dtype=dtype)
    self.diconv4 = _conv_relu(256, 256, 3, rngs, dilation=16, dtype=dtype)
    self.conv7 = _conv_relu(256, 256, 3, rngs, dtype=dtype)
    self.conv8 = _conv_relu(256, 256, 3, rngs, dtype=dtype)
    self.deconv1 = _deconv(256, 128, rngs, dtype)
    self.conv9 = _conv_relu(128, 128, 3, rngs, dtype=dtype)
    self.deconv2 = _deconv(128, 64, rngs, dtype)
    self.conv10 = _conv_relu(64, 32, 3, rngs, dtype=dtype)
    self.outframe1 = _conv_relu(256, 3, 3, rngs, dtype=dtype)
    self.outframe2 = _conv_relu(128, 3, 3, rngs, dtype=dtype)
    self.output = nnx.List([conv2d(32, 3, 3, rngs=rngs, dtype=dtype)])

  def _attention_step(self, x, mask, h, c):
    f = sequential(self.det_conv0, jnp.concatenate([x, mask], -1))
    for block in (self.det_conv1, self.det_conv2, self.det_conv3, self.det_conv4,
                  self.det_conv5):
      f = jax.nn.relu(sequential(block, f) + f)
    fh = jnp.concatenate([f, h], -1)
    i, g = sequential(self.conv_i, fh), sequential(self.conv_g, fh)
    c = sequential(self.conv_f, fh) * c + i * g
    h = sequential(self.conv_o, fh) * jnp.tanh(c)
    return sequential(self.det_conv_mask, h), h, c

  def _checked(self, x):
    if x.ndim != 4 or x.shape[-1] != 3:
      raise ValueError(f"Generator expects NHWC RGB input (3 channels), got shape {x.shape}")
    if x.shape[1] % self.size_multiple or x.shape[2] % self.size_multiple:
      raise ValueError(f"Generator needs H and W divisible by {self.size_multiple}, "
                       f"got {x.shape[1:3]}")
    return x if self.dtype is None else x.astype(self.dtype)

  def _attention(self, x) -> list:
    n, hh, ww, _ = x.shape
    mask = jnp.full((n, hh, ww, 1), 0.5, x.dtype)
    h = c = jnp.zeros((n, hh, ww, 32), x.dtype)
    attention = []
    for _ in range(self.iterations):
      mask, h, c = self._attention_step(x, mask, h, c)
      attention.append(mask)
    return attention

  def attention_maps(self, x) -> tuple:
    """The attentive-recurrent network alone: ``(mask_1, ..., mask_N)``, what
    ``__call__`` returns as ``"attention"``, without running the autoencoder."""
    return tuple(a.astype(x.dtype) for a in self._attention(self._checked(x)))

  def __call__(self, x):
    out_dtype = x.dtype
    x = self._checked(x)
    attention = self._attention(x)
    mask = attention[-1]
    y = sequential(self.conv1, jnp.concatenate([x, mask], -1))
    res1 = y
    y = sequential(self.conv3, sequential(self.conv2, y))
    res2 = y
    for seq in (self.conv4, self.conv5, self.conv6, self.diconv1, self.diconv2, self.diconv3,
                self.diconv4, self.conv7, self.conv8):
      y = sequential(seq, y)
    frame1 = sequential(self.outframe1, y)
    y = sequential(self.conv9, sequential(self.deconv1, y) + res2)
    frame2 = sequential(self.outframe2, y)
    y = sequential(self.conv10, sequential(self.deconv2, y) + res1)
    y = sequential(self.output, y)
    y = y + x if self.residual else y
    out = {"attention": tuple(attention), "frame1": frame1, "frame2": frame2,
           "output": clamp(y, 0.0, 1.0) if self.clip_output else y}
    return jax.tree.map(lambda a: a.astype(out_dtype), out)


def _linear(cin, cout, rngs, dtype):
  return nnx.Linear(cin, cout, kernel_init=torch_default_kernel,
                    bias_init=torch_default_bias(cin), dtype=dtype, rngs=rngs)


def _pair(size) -> tuple[int, int]:
  size = (size, size) if isinstance(size, int) else tuple(size)
  if len(size) != 2:
    raise ValueError(f"input_size must be an int or (h, w), got {size!r}")
  return size


def _strided_size(s: int) -> int:
  """Spatial size after a 5x5 conv of stride 4 and padding 1."""
  return (s + 2 - 5) // 4 + 1


def discriminator_fc_size(input_size) -> tuple[int, int, int]:
  """(C, H, W) that conv8 gives for ``input_size`` (int or (h, w)): (32, 14, 14) for 224."""
  size = _pair(input_size)
  out = tuple(_strided_size(_strided_size(s)) for s in size)
  if min(out) < 1:
    raise ValueError(f"input_size {input_size!r} is too small for conv7 + conv8 "
                     "(each side must be at least 11)")
  return (32, *out)


class Discriminator(nnx.Module):
  """Attentive discriminator; see the module docstring (fixed official forward)."""

  def __init__(self, input_size: int | tuple[int, int] = 224, *, rngs: nnx.Rngs, dtype=None):
    c, sh, sw = discriminator_fc_size(input_size)
    self.input_size = _pair(input_size)
    self.dtype = dtype
    widths = (3, 8, 16, 64, 128, 128, 128)
    for k in range(6):
      setattr(self, f"conv{k + 1}", _conv_relu(widths[k], widths[k + 1], 5, rngs, dtype=dtype))
    self.conv_mask = nnx.List([conv2d(128, 1, 5, rngs=rngs, dtype=dtype)])
    self.conv7 = _conv_relu(128, 64, 5, rngs, stride=4, padding=1, dtype=dtype)
    self.conv8 = _conv_relu(64, 32, 5, rngs, stride=4, padding=1, dtype=dtype)
    self.fc = nnx.List([_linear(c * sh * sw, 1024, rngs, dtype), _linear(1024, 1, rngs, dtype),
                        jax.nn.sigmoid])

  def __call__(self, x):
    if x.ndim != 4 or x.shape[-1] != 3 or tuple(x.shape[1:3]) != self.input_size:
      raise ValueError(f"Discriminator(input_size={self.input_size}) expects NHWC RGB input "
                       f"of shape (B, {self.input_size[0]}, {self.input_size[1]}, 3), "
                       f"got {x.shape}")
    out_dtype = x.dtype
    x = x if self.dtype is None else x.astype(self.dtype)
    for seq in (self.conv1, self.conv2, self.conv3, self.conv4, self.conv5, self.conv6):
      x = sequential(seq, x)
    mask = sequential(self.conv_mask, x)
    x = sequential(self.conv8, sequential(self.conv7, x * mask))
    x = jnp.transpose(x, (0, 3, 1, 2)).reshape(x.shape[0], -1)  # torch's (C, H, W) order
    logit = self.fc[1](self.fc[0](x))
    out = {"mask": mask, "logit": logit, "prob": self.fc[2](logit)}
    return jax.tree.map(lambda a: a.astype(out_dtype), out)


@register("attentive_gan_generator")
def _attentive_gan_generator(**kw):
  return Generator(**kw)


@register("attentive_gan_discriminator")
def _attentive_gan_discriminator(**kw):
  return Discriminator(**kw)
