"""Shared by tests/ and parity_tests/: one JAX compilation cache for the whole run.

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


def _share_cores_between_workers():
  """Under pytest-xdist, each worker (and the subprocesses its tests start) gets its
  share of the cores for torch's and XLA's thread pools. Otherwise every worker runs
  a thread per core and torch's OpenMP threads spin waiting for a core another worker
  holds. XLA's CPU backend only has one thread or all: one, when the share is one."""
  workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
  threads = (os.cpu_count() or 1) // workers
  if workers < 2 or threads > 1:
    return
  os.environ.setdefault("OMP_NUM_THREADS", "1")
  flag = "--xla_cpu_multi_thread_eigen"
  if flag not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}=false".strip()


def pytest_configure(config):
  _share_cores_between_workers()
  if "JAX_COMPILATION_CACHE_DIR" in os.environ:  # the user's, or set by the xdist controller
    return
  config.jit_cache_dir = tempfile.mkdtemp(prefix="jaxrestore-tests-jit-")
  os.environ["JAX_COMPILATION_CACHE_DIR"] = config.jit_cache_dir
  for k, v in _CACHE_ENV.items():
    os.environ.setdefault(k, v)


def pytest_unconfigure(config):
  if getattr(config, "jit_cache_dir", None):
    shutil.rmtree(config.jit_cache_dir, ignore_errors=True)


def pytest_collection_modifyitems(items):
  """Tests marked slow first (stable otherwise), so that the long ones start early.
  With ``--dist worksteal`` (the README's command) an idle worker takes half of a busy
  one's queue, so they spread over the workers; ``--dist load`` hands out consecutive
  blocks and would give all of them to one worker."""
  items.sort(key=lambda item: item.get_closest_marker("slow") is None)
