"""Speed of the JAX code next to its PyTorch twins, measured in one process.

    python scripts/bench.py --config=configs/bench.py --out=bench.json

Median of ``repeats`` timed calls after ``warmup``; the first call (JAX:
tracing + compilation) is reported separately. ``--config.quick=True`` runs the
smallest shapes with few repeats and no ``torch.compile`` (what the test suite does).
Sections:
``denoisers`` (DnCNN-17, ECE285 D/U/DUDnCNN, N2N U-Net: train step and inference,
JAX jit vs torch eager and ``torch.compile``), ``attentive_gan`` (generator
inference and the full GAN step), ``explicit`` (explicit-backward nets),
``desnownet`` (inference), and, not in the default ``sections`` (they are long),
``sweep`` (a vmapped sweep group against one torch configuration at a time, and the
network-B sweep's wall time extrapolated: ``--config.sections="('sweep',)"``) and
``scaling`` (DnCNN-17 training: images/s, data wait and resident memory of the
streamed pipeline + train step for 1x, 4x and 16x a 400-image synthetic set, and
of the train step alone for batch 1 ... 128, JAX jit vs torch eager), run with
``--config.sections="('scaling',)" --config.plot=docs/scaling.png``.

``plot``: when set and the ``scaling`` section ran, its PNG is written there
(images/s vs dataset size and vs batch size). See docs/performance.md.
"""
import os

import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.sections = ("denoisers", "attentive_gan", "explicit", "desnownet")
  c.quick = False
  c.warmup = 3
  c.repeats = 20
  c.threads = os.cpu_count() or 1
  c.peak_flops = 0.0  # the device's peak FLOP/s (float32); > 0 adds the MFU of DnCNN rows
  c.peak_flops_bf16 = 0.0  # the same for the bf16 rows (the card's dense bf16 peak)
  # the denoisers, attentive_gan and desnownet sections run once per precision: bfloat16 is
  # jaxrestore's precision='bfloat16' against torch.autocast(dtype=bfloat16), rows tagged
  # "bf16"
  c.precisions = ("float32", "bfloat16")
  c.plot = ""  # PNG path for the ``scaling`` section's plot; "": none
  return c
