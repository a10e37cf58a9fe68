"""Benchmarks JAX vs PyTorch: python scripts/bench.py --config=configs/bench.py --out=bench.json"""
import sys
from pathlib import Path

# benchmarks/ sits beside the package (it imports torch and torch_ref), not in it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import main  # noqa: E402  pylint: disable=g-import-not-at-top

if __name__ == "__main__":
  main.run()
