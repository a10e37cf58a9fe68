"""Benchmarks JAX vs PyTorch: python scripts/bench.py --config=configs/bench.py --out=bench.json"""
from jaxrestore.cli import bench

if __name__ == "__main__":
  bench.run()
