"""Trains a grid of configurations in one jit: python scripts/sweep.py --config=configs/sweep_course_net.py --workdir=workdirs/sweep"""
from jaxrestore.cli import sweep

if __name__ == "__main__":
  sweep.run()
