"""Attentive GAN losses (twin of ``jaxrestore/losses/derain.py``; NCHW)."""
import torch.nn.functional as F

ATT_THRESHOLD = 30.0 / 255.0
mse = F.mse_loss  # nn.MSELoss(): mean over every element


def attention_target(rain, clean, threshold=ATT_THRESHOLD):
  return ((rain - clean).abs().sum(1, keepdim=True) > threshold).to(rain.dtype)


def attention_loss(attention, target, theta=0.8):
  n = len(attention)
  return sum(theta ** (n - 1 - t) * mse(a, target) for t, a in enumerate(attention))


def area_downsample(x, k):
  return x if k == 1 else F.avg_pool2d(x, k)


def multiscale_loss(frames, clean, weights=(0.6, 0.8, 1.0)):
  return sum(w * mse(f, area_downsample(clean, clean.shape[2] // f.shape[2]))
             for w, f in zip(weights, frames))


def perceptual_loss(vgg, output, clean, layers=(1, 3, 6, 8), vgg_input="raw"):
  """``vgg_input``: "raw" ([0, 1] as it is, the authors' code) or "imagenet" (normalised)."""
  if vgg_input not in ("raw", "imagenet"):
    raise ValueError(f"vgg_input must be 'raw' or 'imagenet', got {vgg_input!r}")
  normalize = vgg_input == "imagenet"
  return sum(mse(a, b) for a, b in zip(vgg.features_at(output, layers, normalize),
                                       vgg.features_at(clean, layers, normalize)))


def generator_loss(out, d_fake, rain, clean, vgg, gan_weight=0.01, theta=0.8, gan_loss="paper",
                   vgg_input="raw"):
  logit = d_fake["logit"]
  if gan_loss == "paper":
    l_gan = -F.softplus(logit).mean()
  elif gan_loss == "non_saturating":
    l_gan = F.softplus(-logit).mean()
  else:
    raise ValueError(f"gan_loss must be 'paper' or 'non_saturating', got {gan_loss!r}")
  parts = {"loss_gan": l_gan,
           "loss_att": attention_loss(out["attention"], attention_target(rain, clean), theta),
           "loss_ms": multiscale_loss((out["frame1"], out["frame2"], out["output"]), clean),
           "loss_perceptual": perceptual_loss(vgg, out["output"], clean, vgg_input=vgg_input)}
  total = gan_weight * l_gan + parts["loss_att"] + parts["loss_ms"] + parts["loss_perceptual"]
  return total, parts


def discriminator_loss(d_real, d_fake, last_attention, map_weight=0.05):
  l_map = mse(d_fake["mask"], last_attention.detach()) + (d_real["mask"] ** 2).mean()
  l_adv = F.softplus(-d_real["logit"]).mean() + F.softplus(d_fake["logit"]).mean()
  return l_adv + map_weight * l_map, {"loss_adv": l_adv, "loss_map": l_map}
