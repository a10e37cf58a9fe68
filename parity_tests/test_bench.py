"""The benchmark runs and writes valid JSON (no timing assertions: speed is not a test)."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_quick_writes_valid_json(tmp_path):
  out = tmp_path / "bench.json"
  proc = subprocess.run(
      [sys.executable, "scripts/bench.py", "--config=configs/bench.py", "--config.quick=True",
       "--config.warmup=0", "--config.repeats=2", f"--out={out}"],
      cwd=ROOT, capture_output=True, text=True, timeout=600)
  assert proc.returncode == 0, proc.stderr[-3000:]
  data = json.loads(out.read_text())
  assert data["environment"]["threads"] >= 1
  rows = data["rows"]
  impls = {r["impl"] for r in rows}
  assert {"jax explicit", "jax.grad", "torch explicit", "torch autograd"} <= impls
  for r in rows:
    assert r["ms"] > 0 and r["images_per_s"] > 0 and r["compile_s"] > 0
  explicit = [r for r in rows if r["impl"] == "jax explicit"]
  assert explicit and all(set(r["ratios"]) == {"jax.grad", "torch explicit"} for r in explicit)
  assert "jax explicit" in proc.stdout  # the table is printed
  desnow = [r for r in rows if r["section"] == "desnownet"]
  assert {r["impl"] for r in desnow} == {"jax jit", "torch eager"}


def test_unknown_section_is_a_clear_error(tmp_path):
  proc = subprocess.run(
      [sys.executable, "scripts/bench.py", "--config=configs/bench.py",
       "--config.sections=('nope',)", f"--out={tmp_path / 'b.json'}"],
      cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert proc.returncode != 0 and "unknown bench sections ['nope']" in proc.stderr
