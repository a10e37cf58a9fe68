"""Attentive GAN for raindrop removal (Qian et al., CVPR 2018), PyTorch reference (NCHW).

Twin of ``jaxrestore/models/attentive_gan.py`` (whose docstring states the design
and the fixes); the layout is the authors' (rui1996/DeRaindrop ``models/``), every
layer group an ``nn.Sequential``, so their state dicts load strictly.

* ``Generator(iterations=4)``: ``iterations`` attentive-recurrent steps (residual
  blocks ``det_conv1..5``, ConvLSTM ``conv_i/f/g/o``, attention map from
  ``det_conv_mask``; mask starts at 0.5, ``h = c = 0``) then the contextual
  autoencoder on ``x || last mask``. Returns ``{"attention": [masks],
  "frame1", "frame2", "output"}`` (the official tuple by name). ``residual=True``
  (not the official code's) adds the input to ``output``; ``clip_output=True`` (nor
  this) clamps ``output`` to [0, 1].
* ``Discriminator(input_size=224)``: conv1-6, ``conv_mask``, conv7 on
  ``features * mask``, conv8, ``fc``; returns ``{"mask", "logit", "prob"}``. The
  official forward calls ``conv7`` twice (on ``features * mask``, then again on its
  output, which cannot run: conv7 takes 128 channels and returns 64); here conv8
  follows the first call. The FC input size is computed from ``input_size`` instead
  of hard-coded for 224.

Default torch init everywhere, as the official code.
"""
import torch
import torch.nn.functional as F
from torch import nn

from torch_ref.models.registry import register


def _conv_relu(cin, cout, kernel, stride=1, padding=None, dilation=1):
  padding = dilation * (kernel // 2) if padding is None else padding
  return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding, dilation=dilation),
                       nn.ReLU())


def _deconv(cin, cout):
  return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.ReflectionPad2d((1, 0, 1, 0)),
                       nn.AvgPool2d(2, stride=1), nn.ReLU())


class Generator(nn.Module):
  size_multiple = 4

  def __init__(self, iterations=4, residual=False, clip_output=False):
    super().__init__()
    if iterations < 1:
      raise ValueError(f"iterations must be >= 1, got {iterations}")
    self.iterations = iterations
    self.residual = residual
    self.clip_output = clip_output
    self.det_conv0 = _conv_relu(4, 32, 3)
    for k in range(1, 6):
      setattr(self, f"det_conv{k}", nn.Sequential(nn.Conv2d(32, 32, 3, 1, 1), nn.ReLU(),
                                                  nn.Conv2d(32, 32, 3, 1, 1), nn.ReLU()))
    self.conv_i = nn.Sequential(nn.Conv2d(64, 32, 3, 1, 1), nn.Sigmoid())
    self.conv_f = nn.Sequential(nn.Conv2d(64, 32, 3, 1, 1), nn.Sigmoid())
    self.conv_g = nn.Sequential(nn.Conv2d(64, 32, 3, 1, 1), nn.Tanh())
    self.conv_o = nn.Sequential(nn.Conv2d(64, 32, 3, 1, 1), nn.Sigmoid())
    self.det_conv_mask = nn.Sequential(nn.Conv2d(32, 1, 3, 1, 1))
    self.conv1 = _conv_relu(4, 64, 5)
    self.conv2 = _conv_relu(64, 128, 3, stride=2)
    self.conv3 = _conv_relu(128, 128, 3)
    self.conv4 = _conv_relu(128, 256, 3, stride=2)
    self.conv5 = _conv_relu(256, 256, 3)
    self.conv6 = _conv_relu(256, 256, 3)
    self.diconv1 = _conv_relu(256, 256, 3, dilation=2)
    self.diconv2 = _conv_relu(256, 256, 3, dilation=4)
    self.diconv3 = _conv_relu(256, 256, 3, dilation=8)
    self.diconv4 = _conv_relu(256, 256, 3, dilation=16)
    self.conv7 = _conv_relu(256, 256, 3)
    self.conv8 = _conv_relu(256, 256, 3)
    self.deconv1 = _deconv(256, 128)
    self.conv9 = _conv_relu(128, 128, 3)
    self.deconv2 = _deconv(128, 64)
    self.conv10 = _conv_relu(64, 32, 3)
    self.outframe1 = _conv_relu(256, 3, 3)
    self.outframe2 = _conv_relu(128, 3, 3)
    self.output = nn.Sequential(nn.Conv2d(32, 3, 3, 1, 1))

  def forward(self, x):
    n, _, hh, ww = x.shape
    mask = x.new_full((n, 1, hh, ww), 0.5)
    h = c = x.new_zeros((n, 32, hh, ww))
    attention = []
    for _ in range(self.iterations):
      f = self.det_conv0(torch.cat([x, mask], 1))
      for block in (self.det_conv1, self.det_conv2, self.det_conv3, self.det_conv4,
                    self.det_conv5):
        f = F.relu(block(f) + f)
      fh = torch.cat([f, h], 1)
      c = self.conv_f(fh) * c + self.conv_i(fh) * self.conv_g(fh)
      h = self.conv_o(fh) * torch.tanh(c)
      mask = self.det_conv_mask(h)
      attention.append(mask)
    y = self.conv1(torch.cat([x, mask], 1))
    res1 = y
    y = self.conv3(self.conv2(y))
    res2 = y
    for seq in (self.conv4, self.conv5, self.conv6, self.diconv1, self.diconv2, self.diconv3,
                self.diconv4, self.conv7, self.conv8):
      y = seq(y)
    frame1 = self.outframe1(y)
    y = self.conv9(self.deconv1(y) + res2)
    frame2 = self.outframe2(y)
    y = self.output(self.conv10(self.deconv2(y) + res1))
    y = y + x if self.residual else y
    return {"attention": attention, "frame1": frame1, "frame2": frame2,
            "output": torch.clamp(y, 0, 1) if self.clip_output else y}


def discriminator_fc_size(input_size):
  """(C, H, W) that conv8 gives for ``input_size`` (int or (h, w)): (32, 14, 14) for 224."""
  size = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
  if len(size) != 2:
    raise ValueError(f"input_size must be an int or (h, w), got {size!r}")
  out = tuple((((s - 3) // 4 + 1) - 3) // 4 + 1 for s in size)
  if min(out) < 1:
    raise ValueError(f"input_size {input_size!r} is too small for conv7 + conv8 "
                     "(each side must be at least 11)")
  return (32, *out)


class Discriminator(nn.Module):

  def __init__(self, input_size=224):
    super().__init__()
    c, sh, sw = discriminator_fc_size(input_size)
    widths = (3, 8, 16, 64, 128, 128, 128)
    for k in range(6):
      setattr(self, f"conv{k + 1}", _conv_relu(widths[k], widths[k + 1], 5))
    self.conv_mask = nn.Sequential(nn.Conv2d(128, 1, 5, 1, 2))
    self.conv7 = _conv_relu(128, 64, 5, stride=4, padding=1)
    self.conv8 = _conv_relu(64, 32, 5, stride=4, padding=1)
    self.fc = nn.Sequential(nn.Linear(c * sh * sw, 1024), nn.Linear(1024, 1), nn.Sigmoid())

  def forward(self, x):
    for seq in (self.conv1, self.conv2, self.conv3, self.conv4, self.conv5, self.conv6):
      x = seq(x)
    mask = self.conv_mask(x)
    x = self.conv8(self.conv7(x * mask)).flatten(1)
    logit = self.fc[1](self.fc[0](x))
    return {"mask": mask, "logit": logit, "prob": self.fc[2](logit)}


@register("attentive_gan_generator")
def _attentive_gan_generator(**kw):
  return Generator(**kw)


@register("attentive_gan_discriminator")
def _attentive_gan_discriminator(**kw):
  return Discriminator(**kw)
