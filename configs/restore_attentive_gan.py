"""Removes raindrops from real photos with an Attentive GAN generator; writes attention maps.

    python scripts/restore.py --config=configs/restore_attentive_gan.py \
        --config.checkpoint=workdirs/attentive_gan_cpu

Defaults: the five real photos of ../shared/data/raindrop_demo (no ground truth).
Writes outputs/raindrop_demo/<name>.png and attention/<name>.png (the final
attention map). The official generator's .pth: --config.checkpoint=gen.pth
--config.channel_order=bgr (it was trained on BGR input).
"""
import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.input = "../shared/data/raindrop_demo"
  c.output_dir = "outputs/raindrop_demo"
  c.checkpoint = "workdirs/attentive_gan"
  c.checkpoint_key = ""
  c.checkpoint_rename = ()  # ((regex, replacement), ...) for a torch file's keys
  c.model = "attentive_gan_generator"  # only for torch checkpoints
  c.model_kwargs = ml_collections.ConfigDict()
  c.channels = 3
  c.channel_order = "rgb"  # rgb | bgr
  c.tile = 0  # the attention network sees the whole image
  c.overlap = 0
  c.save_maps = ("attention",)
  return c
