"""Removes raindrops from real photos with an Attentive GAN generator; writes attention maps.

    python scripts/restore.py --config=configs/restore_attentive_gan.py \
        --config.checkpoint=workdirs/attentive_gan_cpu

Defaults: the five real photos of ../shared/data/raindrop_demo (no ground truth).
Writes outputs/raindrop_demo/<name>.png and attention/<name>.png (the final
attention map). The official generator's .pth: --config.checkpoint=gen.pth
--config.channel_order=bgr (it was trained on BGR input).
"""
from jaxrestore.config_defaults import base_restore_config


def get_config():
  c = base_restore_config()
  c.input = "../shared/data/raindrop_demo"
  c.output_dir = "outputs/raindrop_demo"
  c.checkpoint = "workdirs/attentive_gan"
  c.model = "attentive_gan_generator"
  c.channels = 3
  c.tile = 0  # the attention network sees the whole image
  c.overlap = 0
  c.save_maps = ("attention",)
  return c
