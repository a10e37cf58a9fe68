"""Shared by tests/ and parity_tests/: one JAX compilation cache for the whole run,
cheaper compiles, and memory that is not handed back to the OS between steps.

The suite builds the same programs many times: each training run, CLI subprocess and
resumed run compiles its step and its eval function again. JAX's persistent cache,
keyed by the program, its compile options, the XLA flags and the backend, lets every
build after the first load the compiled executable instead of compiling it again.
The cache lives in a temporary folder of this run only, removed at the end;
pytest-xdist workers and the subprocesses tests start inherit it through the
environment. A cache the user already points JAX to is left as it is.
"""
import os
import shutil
import tempfile

_CACHE_ENV = {"JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
              "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def _set_xla_flag_default(flag: str, value: str):
  """Adds ``flag=value`` to ``XLA_FLAGS`` unless the user's ``XLA_FLAGS`` sets the flag."""
  current = os.environ.get("XLA_FLAGS", "")
  if flag not in current:
    os.environ["XLA_FLAGS"] = f"{current} {flag}={value}".strip()


def _share_cores_between_workers():
  """Under pytest-xdist, each worker (and the subprocesses its tests start) runs torch
  with its share of the cores. Otherwise every worker runs an OpenMP thread per core,
  and they spin waiting for a core another worker holds. XLA's CPU client is not
  limited: in jax 0.10 it runs convolutions and dots on every core the process may use
  (``--xla_cpu_multi_thread_eigen=false`` no longer changes that), and pinning each
  worker to its own core, which does limit it, made the suite no faster (806.6 s
  against 801.6 s)."""
  workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
  threads = (os.cpu_count() or 1) // workers
  if workers < 2 or threads > 1:
    return
  os.environ.setdefault("OMP_NUM_THREADS", "1")


def _compile_with_less_llvm_optimisation():
  """XLA's CPU backend compiles with LLVM's -O1 during the tests, not its default -O3.
  Most tests run small programs once, so compiling is most of their time: on 76 parity
  and layer tests, 170 of 260 s of worker time was XLA's backend compile. At -O1 it
  was 120 s (files' wall time 130 -> 104 s); at -O0 84 s, but the programs that run
  long (GAN training, float64 Adam steps) ran slower by more than it saved: the whole
  suite took 1104 s at -O0 and 1090 s at -O1. The programs compute the same operations
  (XLA's CPU backend uses no fast math at any level); only where the optimiser would
  have fused a multiply and an add into one FMA can the last bit differ, far below
  every tolerance here. A level the user sets is kept."""
  _set_xla_flag_default("--xla_backend_optimization_level", "1")


def _compile_fusions_with_the_classic_emitter():
  """XLA's CPU backend emits its loop fusions with its classic LLVM IR emitter during
  the tests, not the MLIR fusion emitters that jax 0.10 uses by default, which take
  about twice the compile time: the course-net parity tests alone took 77 s of CPU
  with them and 37 s without, and the whole suite (2 workers, in-tree) 1537 s of CPU
  and 801.6 s against 1455 s and 760.3 s. Both compute the same HLO operations with no
  fast math: exp, log, log1p, tanh, sigmoid, erf, pow, rsqrt, sin and a multiply-add
  gave the same bits with either on 65536 float32 and float64 values. Programs that
  run long lose or gain a little, alone on one core: DnCNN-17's float64 loss curves
  took 96 s with the MLIR emitters and 103 s without, two GAN iterations 52 s and
  38 s. A choice the user sets is kept."""
  _set_xla_flag_default("--xla_cpu_use_fusion_emitters", "false")


def _keep_freed_memory_in_the_process():
  """glibc's malloc serves a large block (activations, im2col buffers: above a threshold
  of at most 32 MiB) with a fresh mmap and unmaps it on free, so the next step
  page-faults and zeroes it again: a suite run took 46 million minor page faults and
  145 s of system time. With no mmap and no trimming, freed blocks stay in the heap for
  the next allocation of the worker (or of a subprocess a test starts), at the cost of
  each process keeping its peak heap: DnCNN-17's float64 loss-curve test went from 96
  to 79 s, torch's DnCNN-17 forward on a BSD68 image from 1.87 to 1.56 s. glibc reads
  these at process start, so they reach the pytest-xdist workers, not a run without
  ``-n``. Values the user sets are kept."""
  os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(2**31 - 1))
  os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", str(2**32 - 1))


def pytest_configure(config):
  _share_cores_between_workers()
  _keep_freed_memory_in_the_process()
  _compile_with_less_llvm_optimisation()
  _compile_fusions_with_the_classic_emitter()
  if "JAX_COMPILATION_CACHE_DIR" in os.environ:  # the user's, or set by the xdist controller
    return
  config.jit_cache_dir = tempfile.mkdtemp(prefix="jaxrestore-tests-jit-")
  os.environ["JAX_COMPILATION_CACHE_DIR"] = config.jit_cache_dir
  for k, v in _CACHE_ENV.items():
    os.environ.setdefault(k, v)


def pytest_unconfigure(config):
  if getattr(config, "jit_cache_dir", None):
    shutil.rmtree(config.jit_cache_dir, ignore_errors=True)


def _expected_seconds(item) -> float:
  """A test's expected time on the 2-core machine, for ordering only: a slow test's
  ``@pytest.mark.slow(seconds=...)`` where it is well over the marker's ~20 s, else 20;
  0 for the others."""
  marker = item.get_closest_marker("slow")
  return 0.0 if marker is None else float(marker.kwargs.get("seconds", 20))


def pytest_collection_modifyitems(items):
  """Slow tests first, the longest first (stable otherwise), so that they start early.
  ``--dist worksteal`` (the README's command) gives each worker a contiguous half of
  this order, and an idle worker takes the back half of a busy one's queue: the slow
  tests start at the head of the first worker's queue, and the other worker ends up
  running the short tests from the back. In collection order, BSD68 (about 190 s)
  could start with three minutes left, and one worker then ran it alone at the end
  (1109 s in CI against 1058 s in a run where it started early)."""
  items.sort(key=_expected_seconds, reverse=True)
