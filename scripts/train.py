"""Trains a model: python scripts/train.py --config=configs/smoke.py --workdir=workdirs/smoke"""
from jaxrestore.cli import train

if __name__ == "__main__":
  train.run()
