"""On a GPU machine: devices, the parity suite with TF32 off, the bench in float32 and bf16
with MFU, as JSON (benchmarks/gpu_check.py). Without a GPU: one line, exit code 2.

    python scripts/gpu_check.py --out=gpu_check.json
"""
import sys
from pathlib import Path

# benchmarks/ sits beside the package (it imports torch and torch_ref), not in it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import gpu_check  # noqa: E402  pylint: disable=g-import-not-at-top

if __name__ == "__main__":
  gpu_check.run()
