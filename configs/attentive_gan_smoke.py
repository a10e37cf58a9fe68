"""Attentive GAN smoke run on drops synthesised over the embedded images (no other data).

    python scripts/train.py --config=configs/attentive_gan_smoke.py \
        --workdir=workdirs/attentive_gan_smoke

Two recurrent steps, 32x32 crops, batch 2, random VGG16: it exercises the whole
GAN loop (D then G, both checkpointed, rainy | attention | output | clean grids)
in a few minutes; the numbers mean little.
"""
from jaxrestore.config_defaults import attentive_gan_config


def get_config():
  c = attentive_gan_config()
  c.model_kwargs.iterations = 2
  c.data.train = {"kind": "synthetic_raindrop", "max_size": 128, "seed": 0}
  c.data.val = {"kind": "synthetic_raindrop", "max_size": 128, "seed": 0}
  c.data.crop = 32
  c.data.batch_size = 2
  c.num_steps = 40
  c.log_every = 10
  c.eval_every = 20
  c.checkpoint_every = 20
  c.eval.max_images = 2
  return c
