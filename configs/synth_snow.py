"""Synthetic Snow100K-layout data (train + test/Snow100K-{S,M,L}) from clean colour images.

    python scripts/synth_snow.py --config=configs/synth_snow.py --config.out=data/snow_cbsd

Defaults: train on CBSD68 (each image with a random S/M/L preset), test on
Kodak24 (every image once per preset), centre crops of at most 256 pixels.
Without ../shared: --config.train=skimage:train --config.test=skimage:validation.
"""
import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.train = "../shared/data/color/cbsd68"
  c.test = "../shared/data/color/kodak24"
  c.out = "data/snow"
  c.max_size = 256
  c.seed = 0
  return c
