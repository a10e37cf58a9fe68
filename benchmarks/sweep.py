"""Cost of a sweep per configuration-step: one sweep group against one configuration at a
time in torch, and the network-B schedule's wall time extrapolated from it.

    python scripts/bench.py --config=configs/bench.py --config.sections="('sweep',)"

For course net B (up-sampling kernel 5) at widths (16, 32) and (32, 64), down-sampling
kernel 2 and 4 and batch 4, 16 and 64 on 32x32 crops, one call of the sweep's jitted
group step (``sweep.make_group_step``: LANES configurations, each with its own batch
gathered from a uint8 pool, as ``configs/sweep_course_net_b.py``'s groups of 2 Nesterov x
2 momenta x 3 learning rates): ``jax autodiff group`` is the sweep's default (``sweep.engine=
"autodiff"``, ``sweep.lanes="map"``), ``jax explicit mapped group`` and ``jax explicit
vmapped group`` the explicit framework's net with its lanes looped or vmapped;
``torch explicit`` and ``torch autograd`` train one configuration (``benchmarks/explicit.py``'s
runners: the explicit twin, and ``torch.nn`` + ``torch.optim.SGD``). A row's
``extra["ms_per_config_step"]`` is its ms over its number of configurations; ``ratios``
compare those.

``estimate(rows)`` turns the measured costs into the wall time of the network-B grid's
three stages (``configs/sweep_course_net_b.py``): all 576 settings x 10 epochs x
(1000 // batch) steps, then 20 x 20 epochs x (5000 // batch), then 1 x 5 x (50000 // batch);
widths (8, 32) are costed as (16, 32) and (16, 64) as (32, 64), up kernel 3 as 5 (upper
bounds); stages 2 and 3 as the source's final setting (16, 32), down kernel 2, batch 4,
one configuration alone (``... one config``, a group of 1: an upper bound for stage 2,
whose 20 pair up where they differ only in Nesterov); plus the measured first call
(compile) per group: 4 groups of 12 (2 up kernels x 2 down kernels; the 2 Nesterov x 2
momenta x 3 lr share a program) per (widths, batch), 20 in stage 2.
"""
import jax.numpy as jnp
import numpy as np
import torch

import torch_ref.models as tm
from benchmarks.core import Measurement, rows_for_case, section
from benchmarks.explicit import _torch_autograd_runner, _torch_explicit_runner
from jaxrestore import sweep
from torch_ref import explicit as TE

LANES = 12  # 2 Nesterov x 2 momenta x 3 lr
WIDTHS = ((16, 32), (32, 64))
BATCHES = (4, 16, 64)
DOWN_KERNELS = (2, 4)


def _group_runner(net, batch: int, lanes: int, size: int, rng, mode: str = "map"):
  pool = jnp.asarray(rng.randint(0, 256, (1000, 2, size, size, 3)).astype(np.uint8))
  params, opt = sweep.init_stacked(net, list(range(lanes)))
  hp = sweep.hyper([dict(lr=0.01, momentum=0.9, weight_decay=0.0, dampening=0.0,
                         nesterov=i % 2 == 0) for i in range(lanes)])
  step = sweep.make_group_step(net, mode)
  box = [params, opt, 0]

  def run():
    idx = jnp.asarray(rng.randint(0, 1000, (lanes, batch)))
    box[0], box[1], loss = step(box[0], box[1], hp, pool, idx)
    loss.block_until_ready()
  return run


def case_runners(widths, batch: int, down_kernel: int = 2, size: int = 32, lanes: int = LANES,
                 seed: int = 0):
  rng = np.random.RandomState(seed)
  kw = {"channels": widths, "up_kernel": 5, "down_kernel": down_kernel}
  x = rng.rand(batch, 3, size, size).astype(np.float32)
  t = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
  xt, tt = torch.from_numpy(x), torch.from_numpy(t)
  torch.manual_seed(seed)
  autodiff, explicit = (sweep.ENGINES[e]("course_net_b", kw) for e in ("autodiff", "explicit"))
  runners = {"jax autodiff group": _group_runner(autodiff, batch, lanes, size, rng),
             "jax explicit mapped group": _group_runner(explicit, batch, lanes, size, rng),
             "jax explicit vmapped group": _group_runner(explicit, batch, lanes, size, rng,
                                                         "vmap")}
  if (widths, batch, down_kernel) == ((16, 32), 4, 2):  # stage 3 trains one configuration alone
    runners["jax autodiff one config"] = _group_runner(autodiff, batch, 1, size, rng)
    runners["jax explicit one config"] = _group_runner(explicit, batch, 1, size, rng)
  return {**runners,
          "torch explicit": _torch_explicit_runner(TE.course_net_b(**kw), xt, tt),
          "torch autograd": _torch_autograd_runner(tm.create("course_net_b", **kw), xt, tt)}


@section("sweep")
def sweep_section(*, quick: bool, warmup: int, repeats: int):
  cases = ([((16, 32), 4, 2)] if quick else
           [(w, b, k) for w in WIDTHS for b in BATCHES for k in DOWN_KERNELS])
  rows = []
  for widths, batch, down_kernel in cases:
    case = f"course_net_b {widths} down {down_kernel} b{batch} 32x32, {LANES} configs"
    got = rows_for_case("sweep", case, batch, case_runners(widths, batch, down_kernel), {},
                        warmup=warmup, repeats=max(3, repeats // 2))
    for r in got:
      n = LANES if r.impl.endswith("group") else 1
      r.extra = {"configs": n, "ms_per_config_step": r.ms / n, "batch": batch,
                 "widths": list(widths), "down_kernel": down_kernel}
    for group in got[:3]:
      group.ratios = {r.impl: group.extra["ms_per_config_step"] / r.extra["ms_per_config_step"]
                      for r in got if r.impl.startswith("torch")}
    rows += got
    print("  ".join(f"{case} | {r.impl}: {r.extra['ms_per_config_step']:.1f} ms/config-step"
                    for r in got), flush=True)  # a long section: progress as it goes
  return rows


def estimate(rows: list[Measurement]) -> dict[str, float]:
  """Seconds of the network-B schedule for each implementation (see the docstring)."""
  cost = {(r.impl, tuple(r.extra["widths"]), r.extra["batch"], r.extra["down_kernel"]): r
          for r in rows if r.section == "sweep"}
  costed = {(8, 32): (16, 32), (16, 32): (16, 32), (16, 64): (32, 64), (32, 64): (32, 64)}
  out = {}
  alone = {"jax autodiff group": "jax autodiff one config",
           "jax explicit mapped group": "jax explicit one config",
           "jax explicit vmapped group": "jax explicit one config"}
  for impl in (*alone, "torch explicit", "torch autograd"):
    def step_s(widths, batch, down_kernel):
      row = cost[(impl, costed[widths], batch, down_kernel)]
      return row.extra["ms_per_config_step"] / 1e3

    def compile_s(widths, batch, down_kernel):
      row = cost[(impl, costed[widths], batch, down_kernel)]
      return row.compile_s if impl.startswith("jax") else 0.0
    # stage 1, per (widths, batch, down kernel): 2 nesterov x 2 up kernels x 2 momenta x 3 lr
    # = 24 settings in 2 groups of 12
    s1 = sum(24 * 10 * (1000 // b) * step_s(w, b, k) + 2 * compile_s(w, b, k)
             for w in costed for b in BATCHES for k in DOWN_KERNELS)
    one = cost[(alone.get(impl, impl), (16, 32), 4, 2)]
    one_compile_s = one.compile_s if impl.startswith("jax") else 0.0
    s2 = 20 * (20 * (5000 // 4) * one.ms / 1e3 + one_compile_s)
    s3 = 5 * (50000 // 4) * one.ms / 1e3 + one_compile_s
    out[impl] = {"stage1_s": s1, "stage2_s": s2, "stage3_s": s3, "total_s": s1 + s2 + s3}
  return out
