"""Trains a grid of settings in stages, each group of settings as one program.

    python scripts/sweep.py --config=configs/sweep_course_net_b.py --workdir=workdirs/sweep_b
"""
from jaxrestore.cli import sweep

if __name__ == "__main__":
  sweep.run()
