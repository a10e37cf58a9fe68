"""The benchmark runs and writes valid JSON (no timing assertions: speed is not a test)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from benchmarks import core, scaling
from benchmarks import sweep as sweep_bench

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow(seconds=95)
def test_bench_quick_writes_valid_json(tmp_path):
  out = tmp_path / "bench.json"
  proc = subprocess.run(
      [sys.executable, "scripts/bench.py", "--config=configs/bench.py", "--config.quick=True",
       "--config.warmup=0", "--config.repeats=2", "--config.peak_flops=1e12", f"--out={out}"],
      cwd=ROOT, capture_output=True, text=True, timeout=1200)
  assert proc.returncode == 0, proc.stderr[-3000:]
  data = json.loads(out.read_text())
  assert data["environment"]["threads"] >= 1
  rows, skipped = data["rows"], data["skipped"]
  impls = {r["impl"] for r in rows}
  assert {"jax explicit", "jax.grad", "torch explicit", "torch autograd"} <= impls
  for r in rows:
    assert r["ms"] > 0 and r["images_per_s"] > 0 and r["compile_s"] > 0
  explicit = [r for r in rows if r["impl"] == "jax explicit"]
  assert explicit and all(set(r["ratios"]) == {"jax.grad", "torch explicit"} for r in explicit)
  assert "jax explicit" in proc.stdout  # the table is printed
  desnow = [r for r in rows if r["section"] == "desnownet"]
  assert {r["impl"] for r in desnow} == {"jax jit", "torch eager"}
  for name in ("desnownet", "attentive_gan"):  # float32 and bf16 rows (autocast on torch's side)
    assert {r["precision"] for r in rows if r["section"] == name} == {"float32", "bfloat16"}
    assert all((" bf16 " in r["case"]) == (r["precision"] == "bfloat16")
               for r in rows if r["section"] == name)

  # denoisers: every case has all three implementations, torch compile skipped (quick),
  # once in float32 and once in bf16 (jax bf16 vs torch autocast)
  denoisers = {(r["case"], r["impl"]) for r in rows + skipped if r["section"] == "denoisers"}
  cases = {case for case, _ in denoisers}
  assert {c.rsplit(" ", 1)[-1] for c in cases} == {"train", "infer"}
  assert {c.replace(" bf16", "") for c in cases if " bf16 " in c} == {
      c for c in cases if " bf16 " not in c}
  assert all(r["precision"] == ("bfloat16" if " bf16 " in r["case"] else "float32")
             for r in rows if r["section"] == "denoisers")
  assert denoisers == {(c, i) for c in cases for i in ("jax jit", "torch eager", "torch compile")}
  assert skipped and all(r["impl"] == "torch compile" and "quick=True" in r["reason"]
                         for r in skipped)
  for r in rows:
    if r["section"] == "denoisers" and r["impl"] == "jax jit":
      assert set(r["ratios"]) == {"torch eager"}
  dncnn17 = [r for r in rows if r["case"].startswith("kair_dncnn17")]
  assert dncnn17 and all(r["flops"] > 0 and 0 < r["mfu"] for r in dncnn17
                         if r["precision"] == "float32")
  assert all("mfu" not in r for r in dncnn17 if r["precision"] == "bfloat16")  # no bf16 peak

  gan = {(r["case"].replace(" bf16", "").split(" ", 4)[4], r["precision"], r["impl"])
         for r in rows if r["section"] == "attentive_gan"}
  assert gan == {(k, p, i) for k in ("gan step", "g infer") for p in ("float32", "bfloat16")
                 for i in ("jax jit", "torch eager")}


def test_failing_optional_impl_is_skipped_not_fatal():
  def fails():
    raise RuntimeError("no compiler\nlong traceback")

  rows = core.rows_for_case("s", "c", 2, {"a": lambda: None, "b": fails},
                            {"a": ("b",)}, warmup=0, repeats=1, optional=("b",))
  assert [type(r) for r in rows] == [core.Measurement, core.Skipped]
  assert rows[0].ratios == {} and rows[1].reason == "RuntimeError: no compiler"
  with pytest.raises(RuntimeError, match="no compiler"):
    core.rows_for_case("s", "c", 2, {"b": fails}, {}, warmup=0, repeats=1)


def test_unknown_section_is_a_clear_error(tmp_path):
  proc = subprocess.run(
      [sys.executable, "scripts/bench.py", "--config=configs/bench.py",
       "--config.sections=('nope',)", f"--out={tmp_path / 'b.json'}"],
      cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
  assert proc.stderr.strip().splitlines() == [
      "error: unknown bench sections ['nope']; known: ['attentive_gan', 'denoisers', "
      "'desnownet', 'explicit', 'scaling', 'sweep']"]


@pytest.mark.slow
def test_scaling_quick_writes_rows_and_plot(tmp_path):
  out, png = tmp_path / "b.json", tmp_path / "s.png"
  proc = subprocess.run(
      [sys.executable, "scripts/bench.py", "--config=configs/bench.py", "--config.quick=True",
       "--config.sections=('scaling',)", "--config.warmup=0", "--config.repeats=2",
       f"--config.plot={png}", f"--out={out}"],
      cwd=ROOT, capture_output=True, text=True, timeout=1200)
  assert proc.returncode == 0, proc.stderr[-3000:]
  rows = json.loads(out.read_text())["rows"]
  assert rows and all(r["section"] == "scaling" for r in rows)
  for r in rows:
    assert r["ms"] > 0 and r["images_per_s"] > 0 and r["compile_s"] > 0
    assert r["extra"]["batch"] >= 1

  streamed = [r for r in rows if r["case"].endswith("train+pipeline")]
  assert [r["extra"]["dataset_multiple"] for r in streamed] == [1, 4, 16]
  assert [r["extra"]["dataset_images"] for r in streamed] == [8, 32, 128]
  for r in streamed:
    assert r["impl"] == "jax jit"
    assert all(r["extra"][k] > 0 for k in ("data_wait_ms", "rss_start_mib", "rss_end_mib",
                                           "source_mib"))
    assert r["extra"]["data_wait_ms"] < r["ms"]
  assert streamed[0]["ratios"] == {} and all(set(r["ratios"]) == {"data 1x"}
                                             for r in streamed[1:])

  fixed = {(r["extra"]["batch"], r["impl"]): r for r in rows if r["case"].endswith(" train")}
  assert set(fixed) == {(b, i) for b in (1, 2) for i in ("jax jit", "torch eager")}
  assert all(set(fixed[b, "jax jit"]["ratios"]) == {"torch eager"} for b in (1, 2))

  with Image.open(png) as im:
    im.verify()
    assert im.format == "PNG" and im.size[0] > 0 and im.size[1] > 0


def test_scaling_plot_of_hand_made_rows(tmp_path):
  def row(case, impl, ips, **extra):
    return {"section": "scaling", "case": case, "impl": impl, "ms": 1e3 / ips,
            "images_per_s": ips, "compile_s": 1.0, "ratios": {}, "flops": 0.0, "extra": extra}

  rows = [row(f"data {k}x", "jax jit", 100.0 + k, dataset_multiple=k, dataset_images=400 * k,
              batch=16, data_wait_ms=2.0, rss_start_mib=900.0, rss_end_mib=901.0)
          for k in (1, 4, 16)]
  rows += [row(f"b{b}", impl, 10.0 * b, batch=b)
           for b in (1, 2, 4) for impl in ("jax jit", "torch eager")]
  rows.append({**row("other", "jax jit", 1.0), "section": "denoisers"})  # ignored
  png = tmp_path / "p.png"
  scaling.plot(rows, png)
  with Image.open(png) as im:
    assert im.format == "PNG" and im.size[0] > 0 and im.size[1] > 0


def test_sweep_schedule_estimate_of_hand_made_rows():
  """Every configuration-step 1 ms (the autodiff engine's one setting alone 3 ms) and every
  compile 2 s: the schedule's step counts."""
  rows = [core.Measurement("sweep", "c", impl, ms, 1.0, 2.0,
                           extra={"ms_per_config_step": 1.0, "batch": b, "widths": list(w),
                                  "down_kernel": k})
          for w in sweep_bench.WIDTHS for b in sweep_bench.BATCHES
          for k in sweep_bench.DOWN_KERNELS
          for impl, ms in (("jax autodiff group", 6.0), ("jax explicit vmapped group", 6.0),
                           ("jax explicit mapped group", 6.0), ("torch explicit", 1.0),
                           ("torch autograd", 1.0))]
  for engine, ms in (("autodiff", 3.0), ("explicit", 1.0)):  # stage 3's one setting alone
    rows.append(core.Measurement("sweep", "c", f"jax {engine} one config", ms, 1.0, 2.0,
                                 extra={"ms_per_config_step": ms, "batch": 4,
                                        "widths": [16, 32], "down_kernel": 2}))
  est = sweep_bench.estimate(rows)
  steps1 = 576 * 10 * (250 + 62 + 15) // 3  # each of the 3 batch sizes has 192 settings
  assert est["torch autograd"]["stage1_s"] == pytest.approx(steps1 / 1e3)
  # 576 settings in groups of 12 (2 Nesterov x 2 momenta x 3 lr), each group compiled once
  assert est["jax explicit mapped group"]["stage1_s"] == pytest.approx(steps1 / 1e3 + 48 * 2.0)
  assert est["torch explicit"]["stage2_s"] == pytest.approx(20 * 20 * 1250 / 1e3)
  # stage 2's 20 as 20 settings alone, each compiled (an upper bound)
  assert est["jax autodiff group"]["stage2_s"] == pytest.approx(20 * (20 * 1250 * 3.0 / 1e3 + 2.0))
  # each engine's stage 3 is its own one-config row
  assert est["jax autodiff group"]["stage3_s"] == pytest.approx(5 * 12500 * 3.0 / 1e3 + 2.0)
  assert est["jax explicit vmapped group"]["stage3_s"] == pytest.approx(5 * 12500 / 1e3 + 2.0)


def test_gpu_check_without_a_gpu_says_so_in_one_line_and_exits_2():
  from benchmarks import gpu_check
  if gpu_check.gpu_devices():
    pytest.skip("this machine has a GPU: scripts/gpu_check.py runs for real here")
  proc = subprocess.run([sys.executable, "scripts/gpu_check.py", f"--out={ROOT / 'unused.json'}"],
                        cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert proc.returncode == gpu_check.NO_GPU_EXIT == 2
  assert proc.stdout == "" and proc.stderr.count("\n") == 1
  assert proc.stderr.startswith("error: no GPU: JAX sees only cpu devices")
  assert not (ROOT / "unused.json").exists()


def test_mfu_uses_the_peak_of_the_row_precision():
  from benchmarks import gpu_check
  assert gpu_check.card_peaks("NVIDIA H200") == (4.95e14, 9.89e14)
  assert gpu_check.card_peaks("Tesla T4") == (0.0, 0.0)
  rows = [core.Measurement("s", "c", "jax jit", ms=1000.0, images_per_s=1.0, compile_s=1.0,
                           flops=1e12, precision=p) for p in ("float32", "bfloat16")]
  assert [core.mfu(r, {"float32": 2e12, "bfloat16": 4e12}) for r in rows] == [0.5, 0.25]
  assert core.mfu(rows[1], {"float32": 2e12}) == 0.0  # no bf16 peak known: no MFU
