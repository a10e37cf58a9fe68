"""Synthetic Raindrop-layout data (train, test_a, test_b) from clean colour images.

    python scripts/synth_raindrop.py --config=configs/synth_raindrop.py --config.out=data/raindrop

Defaults: train on CBSD68, test_a (PNG) and test_b (JPEG, as the release) on
Kodak24 with different drops, each image with a random light / medium / heavy
preset; centre crops of at most 256 pixels, sides multiples of 4.
Without ../shared: --config.train=skimage:train --config.test_a=skimage:validation
--config.test_b=skimage:validation.
"""
import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.train = "../shared/data/color/cbsd68"
  c.test_a = "../shared/data/color/kodak24"
  c.test_b = "../shared/data/color/kodak24"
  c.out = "data/raindrop"
  c.max_size = 256
  c.seed = 0
  return c
