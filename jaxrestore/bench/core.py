"""Timing, rows and the section registry of the benchmark."""
import dataclasses
import os
import platform
import statistics
import time
from typing import Callable

import jax
import torch


@dataclasses.dataclass
class Measurement:
  section: str
  case: str      # e.g. "course_net_b b4 32x32 train"
  impl: str      # e.g. "jax explicit", "torch eager"
  ms: float      # median milliseconds per call
  images_per_s: float
  compile_s: float  # the first call (tracing + compiling for JAX; warm-up for torch)
  # {other impl: this row's ms / its ms}; < 1: this row is faster
  ratios: dict[str, float] = dataclasses.field(default_factory=dict)


def measure(fn: Callable[[], object], *, warmup: int, repeats: int) -> tuple[float, list[float]]:
  """(first-call seconds, per-call milliseconds of ``repeats`` timed calls).

  ``fn`` must finish its work before returning (JAX: ``block_until_ready``).
  """
  t0 = time.perf_counter()
  fn()
  first = time.perf_counter() - t0
  for _ in range(warmup):
    fn()
  times = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    fn()
    times.append((time.perf_counter() - t0) * 1e3)
  return first, times


def rows_for_case(section: str, case: str, batch: int, fns: dict[str, Callable[[], object]],
                  baselines: dict[str, tuple[str, ...]], *, warmup: int,
                  repeats: int) -> list[Measurement]:
  """Times every implementation of one case; ``baselines[impl]``: what it is compared to."""
  rows = {}
  for impl, fn in fns.items():
    first, times = measure(fn, warmup=warmup, repeats=repeats)
    ms = statistics.median(times)
    rows[impl] = Measurement(section, case, impl, ms, batch * 1e3 / ms, first)
  for impl, bases in baselines.items():
    rows[impl].ratios = {b: rows[impl].ms / rows[b].ms for b in bases}
  return list(rows.values())


SECTIONS: dict[str, Callable] = {}


def section(name: str):
  def deco(fn):
    SECTIONS[name] = fn
    return fn
  return deco


def environment(threads: int) -> dict:
  return {"jax": jax.__version__, "torch": torch.__version__, "backend": jax.default_backend(),
          "devices": [str(d) for d in jax.devices()], "cpu_count": os.cpu_count(),
          "threads": threads, "machine": platform.machine(), "python": platform.python_version(),
          "xla_flags": os.environ.get("XLA_FLAGS", "")}


def run_sections(names, *, quick: bool, warmup: int, repeats: int, threads: int):
  """Runs the named sections; returns (environment, rows)."""
  torch.set_num_threads(threads)
  unknown = [n for n in names if n not in SECTIONS]
  if unknown:
    raise ValueError(f"unknown bench sections {unknown}; known: {sorted(SECTIONS)}")
  rows = []
  for name in names:
    rows += SECTIONS[name](quick=quick, warmup=warmup, repeats=repeats)
  return environment(threads), rows


def format_table(rows: list[Measurement]) -> str:
  head = f"{'case':<30} {'impl':<18} {'ms':>9} {'img/s':>9} {'first s':>8}  ratios"
  lines = [head, "-" * (len(head) + 30)]
  for r in rows:
    ratios = ", ".join(f"{v:.2f}x {k}" for k, v in r.ratios.items())
    lines.append(f"{r.case:<30} {r.impl:<18} {r.ms:9.2f} {r.images_per_s:9.1f} "
                 f"{r.compile_s:8.2f}  {ratios}")
  return "\n".join(lines)
