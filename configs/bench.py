"""Speed of the JAX code next to its PyTorch twins, measured in one process.

    python scripts/bench.py --config=configs/bench.py --out=bench.json

Median of ``repeats`` timed calls after ``warmup``; the first call (JAX:
tracing + compilation) is reported separately. ``--config.quick=True`` runs the
smallest shapes with few repeats (what the test suite does).
"""
import os

import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.sections = ("explicit", "desnownet")
  c.quick = False
  c.warmup = 3
  c.repeats = 20
  c.threads = os.cpu_count() or 1
  return c
