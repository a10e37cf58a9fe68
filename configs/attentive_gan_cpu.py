"""Attentive GAN that trains on a 2-core CPU: drops synthesised over the colour test sets.

    python scripts/synth_raindrop.py --config=configs/synth_raindrop.py --config.out=data/raindrop_synth
    python scripts/train.py --config=configs/attentive_gan_cpu.py --workdir=workdirs/attentive_gan_cpu
    python scripts/evaluate.py --config=configs/evaluate_attentive_gan.py \
        --config.checkpoint=workdirs/attentive_gan_cpu --config.data_dir=data/raindrop_synth

The full generator and discriminator (the discriminator's FC sized for the 64x64
crops), the paper's losses and optimisers, batch 4. Without --config.gan.vgg the
perceptual loss uses a random VGG16 (a warning says so). Measured (300 steps,
~4.4 s/step on 2 CPU cores): luma PSNR input -> output test_a 27.49 -> 23.92,
test_b 25.47 -> 22.77 dB: 300 steps only take the generator from noise (8 dB) to
a blurred copy of its input; beating the input needs a far longer run.
"""
from jaxrestore.config_defaults import attentive_gan_config


def get_config():
  c = attentive_gan_config()
  c.data.train = {"kind": "raindrop", "path": "data/raindrop_synth"}
  c.data.val = {"kind": "raindrop", "path": "data/raindrop_synth"}
  c.data.crop = 64
  c.num_steps = 2000
  c.log_every = 25
  c.eval_every = 500
  c.checkpoint_every = 250
  c.eval.max_images = 8
  return c
