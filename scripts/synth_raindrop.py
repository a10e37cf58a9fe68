"""Synthesises raindrops onto clean images in the Raindrop layout:

    python scripts/synth_raindrop.py --config=configs/synth_raindrop.py --config.out=data/raindrop
"""
from jaxrestore.cli import synth_raindrop

if __name__ == "__main__":
  synth_raindrop.run()
