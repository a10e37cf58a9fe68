"""Synthesises snow onto clean images in the Snow100K layout: python scripts/synth_snow.py --config=configs/synth_snow.py --config.out=data/snow"""
from jaxrestore.cli import synth_snow

if __name__ == "__main__":
  synth_snow.run()
