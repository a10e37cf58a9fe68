"""EE-559 noise-to-noise project, network B: the 576-setting grid in three stages.

    python scripts/sweep.py --config=configs/sweep_course_net_b.py --workdir=workdirs/sweep_b
    python scripts/sweep.py --config=configs/sweep_course_net_b.py:quick --workdir=workdirs/sweep_b_quick

The source's grid: SGD Nesterov {True, False} x momentum {0, 0.9} x lr {0.001, 0.01,
0.05} x widths (shallow, deep) {(8,32), (16,32), (16,64), (32,64)} x up-sampling kernel
{3, 5} x down-sampling kernel {2, 4} x batch {4, 16, 64} = 576 settings; stage 1 trains
all on 1000 pairs for 10 epochs, stage 2 the top 20 on 5000 pairs for 20 epochs, stage 3
the best on all 50000 for 5 epochs. Their final model (Nesterov, momentum 0.9, lr 0.01,
(16, 32), down 2, up 5, batch 4, 10 epochs on the full data) scored 23.00 dB, their
top 20 20.76-23.07 dB.

What differs: the course's 32x32 noisy pairs are not here; the pairs are random 32x32
crops of ../shared/data/color (CBSD68 + Kodak24; else the embedded scikit-image
images) with two independent Gaussian draws (sigma ~ U[0, 50] per crop, rounded to
uint8), validated on 8 held-out images x 4 crops at sigma 25 against the clean crops.
Nesterov with momentum 0 is plain SGD (torch refuses it; the source counted it).
Down-sampling kernel 4 trains: course_net_b pads its strided convolutions by
(down_kernel - 1) // 2 (the source's "subsequent proper padding"). Init is the net's
default, the source's Xavier. ``:quick`` is the same grid on 2000 pairs, one epoch per
stage (the top 4, then the best), to see the whole pipeline run in minutes.
The training recipe (net, data, noise) is configs/course_net_b_n2n.py's; the
sweep trains it with the autodiff engine (jaxrestore/sweep.py: the same net as the
explicit framework's, 2.3-11x faster here).
Measured (2026-12-06, quiet 2-core machine, the first command above): the whole
schedule in 46 min 37 s (48 groups of 12, then 11, then 1; 48 min 22 s before Nesterov
was traced, in 96 and 20 groups). Noisy
validation input 20.57 dB. Stage 1: all 576 trained, none diverged; its top 20
23.88-24.40 dB, every one lr 0.05, momentum 0.9, batch 4 (the source's: 20.76-23.07
dB); the source's final setting (Nesterov, 0.9, lr 0.01, (16, 32), down 2, up 5,
batch 4) ranked 59th, 22.55 dB. Stage 2 (5000 pairs x 20 epochs): 25.62-26.76 dB.
Stage 3: the best, plain momentum 0.9, lr 0.05, (32, 64), up 5, down 4, batch 4, on
all 50000 pairs x 5 epochs: 27.31 dB (the source's final model: 23.00 dB). The
absolute numbers are not the source's: their pairs were real noisy images, ours are
Gaussian with sigma ~ U[0, 50], validated at sigma 25. Timings and the cost
against torch: docs/performance.md, Sweeps.
"""
from pathlib import Path

from jaxrestore.config_defaults import base_sweep_config, recipe_config

VARIANTS = ("source", "quick")


def training_recipe():
  """configs/course_net_b_n2n.py's config: what every setting starts from."""
  return recipe_config(Path(__file__).with_name("course_net_b_n2n.py"))


def get_config(variant: str = "source"):
  if variant not in VARIANTS:
    raise ValueError(f"unknown variant {variant!r}: one of {', '.join(VARIANTS)}")
  c = training_recipe()
  c.sweep = base_sweep_config().sweep
  c.sweep.axes = (
      ("optimizer.nesterov", (True, False)),
      ("optimizer.momentum", (0.0, 0.9)),
      ("optimizer.lr", (0.001, 0.01, 0.05)),
      ("model_kwargs.channels", ((8, 32), (16, 32), (16, 64), (32, 64))),
      ("model_kwargs.up_kernel", (3, 5)),
      ("model_kwargs.down_kernel", (2, 4)),
      ("data.batch_size", (4, 16, 64)))
  c.sweep.stages = ((1000, 10, 20), (5000, 20, 1), (0, 5, 1))
  c.sweep.train_pairs = 50000
  if variant == "quick":
    c.sweep.train_pairs = 2000
    c.sweep.stages = ((500, 1, 4), (2000, 1, 1), (0, 1, 1))
  return c
