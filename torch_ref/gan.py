"""The Attentive GAN's training iteration in plain PyTorch (twin of ``jaxrestore.gan`` with
the ``derain`` task's losses): D step, then G step against the updated D."""
import torch

from torch_ref.losses import derain


def train_step(g, d, vgg, g_opt, d_opt, rain, clean, gan_weight=0.01, map_weight=0.05,
               theta=0.8, gan_loss="paper", vgg_input="raw"):
  """One iteration on an NCHW batch; returns (g_loss, d_loss) as floats."""
  with torch.no_grad():
    fake = g(rain)
  d_opt.zero_grad()
  d_loss, _ = derain.discriminator_loss(d(clean), d(fake["output"]), fake["attention"][-1],
                                        map_weight=map_weight)
  d_loss.backward()
  d_opt.step()

  g_opt.zero_grad()
  out = g(rain)
  g_loss, _ = derain.generator_loss(out, d(out["output"]), rain, clean, vgg,
                                    gan_weight=gan_weight, theta=theta, gan_loss=gan_loss,
                                    vgg_input=vgg_input)
  g_loss.backward()  # also fills d's .grad, which the next D step clears before use
  g_opt.step()
  return g_loss.detach().item(), d_loss.detach().item()
