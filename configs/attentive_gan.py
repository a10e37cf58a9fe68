"""Attentive GAN for raindrop removal (Qian et al., CVPR 2018) at the paper's scale.

    python scripts/train.py --config=configs/attentive_gan.py --workdir=workdirs/attentive_gan \
        --config.data.train.path=/path/to/Raindrop --config.data.val.path=/path/to/Raindrop \
        --config.gan.vgg=models/vgg16

Raindrop layout: train/{data,gt}/N_rain.png|N_clean.png, test_a, test_b. The
VGG16 of the perceptual loss is torchvision's ``vgg16-397923af.pth`` ported to a
model dir (configs/port_vgg16.py). Anchor from the paper: 31.57 dB / SSIM 0.9023
on test_a (luma). A GPU config: a CPU step at 224x224, batch 4 takes seconds;
configs/attentive_gan_cpu.py is the CPU run.
"""
from jaxrestore.config_defaults import attentive_gan_config


def get_config():
  return attentive_gan_config()
