"""The GPU check: one command on a GPU machine, ``python scripts/gpu_check.py [--out=F]``.

1. Prints JAX's devices (and torch's CUDA device when this torch is a CUDA build).
2. Runs the parity suite (``parity_tests/``) with TF32 off on both sides
   (``NVIDIA_TF32_OVERRIDE=0``, ``JAX_DEFAULT_MATMUL_PRECISION=highest``): the float32
   tolerances hold only for full float32 arithmetic (docs/performance.md, "GPU").
3. Runs the ``denoisers`` bench in float32 and bfloat16: JAX jit against torch eager
   and ``torch.compile`` (on CUDA when torch has it, each torch runner ending with
   ``torch.cuda.synchronize()``; JAX blocks with ``block_until_ready``), TF32 allowed
   as in training (XLA's default; torch's ``allow_tf32``).
4. Writes a JSON (``--out``): devices, the parity result, the bench rows with their MFU
   against the card's dense peak (``PEAKS``: TF32 for the float32 rows, which run on
   TF32, bf16 for the bf16 rows; ``--peak_flops`` / ``--peak_flops_bf16`` for a card
   not in the table).

Without a GPU it prints one line, ``error: no GPU ...``, and exits 2; exit 1 when the
parity suite fails, else 0.
"""
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from absl import app, flags

from jaxrestore import cli

ROOT = Path(__file__).resolve().parents[1]
NO_GPU_EXIT = 2

# Dense peak FLOP/s (tensor cores, no sparsity) by device kind, from the vendors' data
# sheets: (TF32, bf16). The float32 rows are timed with TF32 on, so TF32 is their peak.
PEAKS = {
    "H200": (4.95e14, 9.89e14),
    "H100 SXM": (4.95e14, 9.89e14),
    "H100 80GB HBM3": (4.95e14, 9.89e14),  # the SXM card's device kind
    "H100 PCIe": (3.78e14, 7.56e14),
    "A100": (1.56e14, 3.12e14),
    "L40S": (1.83e14, 3.62e14),
}

_OUT = flags.DEFINE_string("out", "gpu_check.json", "Where the JSON goes.")
_REPEATS = flags.DEFINE_integer("repeats", 50, "Timed calls per bench row (GPU steps are ms).")
_PEAK = flags.DEFINE_float("peak_flops", 0.0, "The card's dense TF32 FLOP/s (0: from PEAKS).")
_PEAK_BF16 = flags.DEFINE_float("peak_flops_bf16", 0.0, "Its dense bf16 FLOP/s (0: PEAKS).")
_SKIP_PARITY = flags.DEFINE_bool("skip_parity", False, "Only the bench.")


def gpu_devices() -> list:
  """JAX's GPU devices; empty when JAX has no GPU backend (the CPU-only jaxlib)."""
  import jax  # pylint: disable=g-import-not-at-top
  try:
    return jax.devices("gpu")
  except RuntimeError:
    return []


def card_peaks(device_kind: str) -> tuple[float, float]:
  """(TF32, bf16) dense peak FLOP/s of the card named ``device_kind``; (0, 0) if unknown."""
  for name, peaks in PEAKS.items():
    if name.lower() in device_kind.lower():
      return peaks
  return 0.0, 0.0


def run_parity() -> dict:
  env = {**os.environ, "NVIDIA_TF32_OVERRIDE": "0", "JAX_DEFAULT_MATMUL_PRECISION": "highest"}
  proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                         "parity_tests"], cwd=ROOT, env=env, capture_output=True, text=True)
  lines = proc.stdout.strip().splitlines()
  print(proc.stdout[-4000:])
  return {"returncode": proc.returncode, "summary": lines[-1] if lines else proc.stderr[-500:]}


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  devices = gpu_devices()
  if not devices:
    import jax  # pylint: disable=g-import-not-at-top
    cli.fail(f"no GPU: JAX sees only {jax.default_backend()} devices; on a GPU machine install "
             "the CUDA build (pip install -e '.[cuda12]', README 'Precision and GPU')", NO_GPU_EXIT)
  import torch  # pylint: disable=g-import-not-at-top
  from benchmarks import core, denoisers  # noqa: F401  pylint: disable=g-import-not-at-top
  kind = devices[0].device_kind
  print(f"jax devices: {devices} ({kind})")
  print(f"torch {torch.__version__}: "
        + (f"cuda {torch.cuda.get_device_name(0)}" if torch.cuda.is_available()
           else "no CUDA (a CPU build): the torch rows run on the CPU"))
  parity = {"skipped": True} if _SKIP_PARITY.value else run_parity()
  torch.backends.cuda.matmul.allow_tf32 = True  # speed: TF32 on both sides
  torch.backends.cudnn.allow_tf32 = True
  tf32, bf16 = card_peaks(kind)
  peaks = {"float32": _PEAK.value or tf32, "bfloat16": _PEAK_BF16.value or bf16}
  env, rows = core.run_sections(["denoisers"], quick=False, warmup=5, repeats=_REPEATS.value,
                                threads=os.cpu_count() or 1,
                                precisions=("float32", "bfloat16"))
  print(core.format_table(rows, peaks if any(peaks.values()) else 0.0))
  out_rows = []
  for r in rows:
    d = dataclasses.asdict(r)
    if isinstance(r, core.Measurement) and r.flops and core.mfu(r, peaks):
      d["mfu"] = core.mfu(r, peaks)
    out_rows.append(d)
  Path(_OUT.value).write_text(json.dumps(
      {"environment": env, "peak_flops": peaks, "parity": parity, "rows": out_rows}, indent=1))
  print(f"wrote {_OUT.value}")
  sys.exit(1 if parity.get("returncode") else 0)


def run():
  cli.run(main)
