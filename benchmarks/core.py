"""Timing, rows and the section registry of the benchmark.

A section returns ``Measurement`` rows, and ``Skipped`` rows for implementations
allowed to fail on the machine (``torch.compile``): the reason goes to the JSON
instead of ending the run.
"""
import dataclasses
import os
import platform
import statistics
import time
from typing import Callable

import jax
import torch

from jaxrestore import errors


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
  flops: float = 0.0  # counted FLOPs per call (0: not counted); with a peak FLOP/s, gives MFU
  # section-specific numbers, e.g. {"data_wait_ms": ..., "rss_start_mib": ..., "batch": ...}
  extra: dict[str, float] = dataclasses.field(default_factory=dict)
  precision: str = "float32"  # the compute precision (bfloat16: JAX bf16 / torch autocast)


@dataclasses.dataclass
class Skipped:
  section: str
  case: str
  impl: str
  reason: str  # the exception's type and first line


def mfu(row: Measurement, peak_flops: float | dict[str, float]) -> float:
  """Model FLOPs utilisation: counted FLOPs per second over the device's peak FLOP/s in the
  row's precision (``peak_flops``: one number, or ``{precision: FLOP/s}``; 0 if unknown)."""
  peak = peak_flops.get(row.precision, 0.0) if isinstance(peak_flops, dict) else peak_flops
  return row.flops / (row.ms * 1e-3) / peak if peak else 0.0


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
                  baselines: dict[str, tuple[str, ...]], *, warmup: int, repeats: int,
                  optional: tuple[str, ...] = (), flops: float = 0.0,
                  precision: str = "float32") -> list[Measurement | Skipped]:
  """Times every implementation of one case; ``baselines[impl]``: what it is compared to.

  An implementation in ``optional`` that raises becomes a ``Skipped`` row (and no
  ratio is taken to it); any other failure propagates. ``flops``: per call.
  """
  rows, skipped = {}, []
  for impl, fn in fns.items():
    try:
      first, times = measure(fn, warmup=warmup, repeats=repeats)
    except Exception as e:  # pylint: disable=broad-except
      if impl not in optional:
        raise
      skipped.append(Skipped(section, case, impl, _reason(e)))
      continue
    ms = statistics.median(times)
    rows[impl] = Measurement(section, case, impl, ms, batch * 1e3 / ms, first, flops=flops,
                             precision=precision)
  for impl, bases in baselines.items():
    if impl in rows:
      rows[impl].ratios = {b: rows[impl].ms / rows[b].ms for b in bases if b in rows}
  return [*rows.values(), *skipped]


def _reason(e: Exception) -> str:
  first = (str(e).strip().splitlines() or [""])[0]
  return f"{type(e).__name__}: {first[:300]}"


SECTIONS: dict[str, Callable] = {}
PRECISION_SECTIONS: set[str] = set()  # sections that run once per ``config.precisions``


def section(name: str, precisions: bool = False):
  """Registers a section; ``precisions``: it takes ``precisions=`` (float32, bfloat16)."""
  def deco(fn):
    SECTIONS[name] = fn
    if precisions:
      PRECISION_SECTIONS.add(name)
    return fn
  return deco


def environment(threads: int) -> dict:
  return {"jax": jax.__version__, "torch": torch.__version__, "backend": jax.default_backend(),
          "devices": [str(d) for d in jax.devices()],
          "device_kind": jax.devices()[0].device_kind,
          "torch_cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "",
          "cpu_count": os.cpu_count(),
          "threads": threads, "machine": platform.machine(), "python": platform.python_version(),
          "xla_flags": os.environ.get("XLA_FLAGS", "")}


def run_sections(names, *, quick: bool, warmup: int, repeats: int, threads: int,
                 precisions: tuple[str, ...] = ("float32",)):
  """Runs the named sections (those in ``PRECISION_SECTIONS`` once per precision); returns
  (environment, rows: ``Measurement`` and ``Skipped``)."""
  torch.set_num_threads(threads)
  unknown = [n for n in names if n not in SECTIONS]
  if unknown:
    raise errors.ConfigError(f"unknown bench sections {unknown}; known: {sorted(SECTIONS)}")
  rows = []
  for name in names:
    extra = {"precisions": tuple(precisions)} if name in PRECISION_SECTIONS else {}
    rows += SECTIONS[name](quick=quick, warmup=warmup, repeats=repeats, **extra)
  return environment(threads), rows


def format_table(rows: list[Measurement | Skipped],
                 peak_flops: float | dict[str, float] = 0.0) -> str:
  """One line per row; with ``peak_flops`` (FLOP/s, or ``{precision: FLOP/s}``), the MFU of
  rows with counted FLOPs."""
  w = max([34, *(len(r.case) for r in rows)])
  head = f"{'case':<{w}} {'impl':<18} {'ms':>9} {'img/s':>9} {'first s':>8}"
  head += f" {'MFU':>6}  ratios" if peak_flops else "  ratios"
  lines = [head, "-" * (len(head) + 30)]
  for r in rows:
    if isinstance(r, Skipped):
      lines.append(f"{r.case:<{w}} {r.impl:<18} skipped: {r.reason}")
      continue
    line = f"{r.case:<{w}} {r.impl:<18} {r.ms:9.2f} {r.images_per_s:9.1f} {r.compile_s:8.2f}"
    if peak_flops:
      line += f" {mfu(r, peak_flops):6.1%}" if r.flops and mfu(r, peak_flops) else f" {'':>6}"
    ratios = ", ".join(f"{v:.2f}x {k}" for k, v in r.ratios.items())
    lines.append(f"{line}  {ratios}")
  return "\n".join(lines)
