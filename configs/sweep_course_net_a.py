"""EE-559 framework project, network A: its geometry table, 10 repeats per row.

    python scripts/sweep.py --config=configs/sweep_course_net_a.py --workdir=workdirs/sweep_a
    python scripts/sweep.py --config=configs/sweep_course_net_a.py:quick --workdir=workdirs/sweep_a_quick

Conv(3->32) ReLU Conv(32->64) ReLU TConv(64->32) ReLU TConv(32->3) Sigmoid, every layer
with the same (kernel, stride, padding, dilation); each row trained 10 times (8 epochs,
lr 1e-4, batch 10, plain SGD). The source's validation PSNR, mean ± std: (2,1,0,1)
24.80 ± 0.04; (2,2,0,1) 23.86 ± 0.05; (2,1,0,2) 22.72 ± 0.16; (2,2,0,2) incompatible
shapes; (2,1,1,1) 24.89 ± 0.08 (their best); (2,2,1,1) incompatible shapes; (3,1,1,1)
11.99 ± 2.09 (one more row is illegible).

What differs: the data as configs/sweep_course_net_b.py (random 32x32 crops of
../shared/data/color with two Gaussian draws, 50000 pairs; validation on held-out
images at sigma 25). ``:quick`` trains 3 repeats for 1 epoch on 2000 pairs. Measured
(2026-12-04, 2 shared cores, before course_net_a took ``dilation``, so with
--config.sweep.axes set to the rows without it, and at widths (16, 32): this config
did not yet set the source's (32, 64)): 5 minutes; all rows 11.3-11.5 dB
(200 steps at lr 1e-4 barely move the net; the source ran 40000), (2,2,1)
"incompatible shapes" as in the source.
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
  c.model = "course_net_a"
  c.model_kwargs.channels = (32, 64)  # Conv(3->32), Conv(32->64): not the net-B recipe's widths
  c.data.batch_size = 10
  c.optimizer.lr = 1e-4
  c.optimizer.momentum = 0.0  # plain SGD
  c.optimizer.nesterov = False
  c.sweep.axes = ((("model_kwargs.kernel_size", "model_kwargs.stride", "model_kwargs.padding",
                    "model_kwargs.dilation"),
                   ((2, 1, 0, 1), (2, 2, 0, 1), (2, 1, 0, 2), (2, 2, 0, 2), (2, 1, 1, 1),
                    (2, 2, 1, 1), (3, 1, 1, 1))),)
  # the framework project's own engine, and the faster one here: autodiff of the dilated
  # transposed convolution runs 9x slower on XLA CPU (docs/performance.md, Sweeps)
  c.sweep.engine = "explicit"
  c.sweep.repeats = 10
  c.sweep.stages = ((0, 8, 0),)
  c.sweep.train_pairs = 50000
  if variant == "quick":
    c.sweep.repeats = 3
    c.sweep.train_pairs = 2000
    c.sweep.stages = ((0, 1, 0),)
  return c
