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


def pytest_configure(config):
  if "JAX_COMPILATION_CACHE_DIR" in os.environ:  # the user's, or set by the xdist controller
    return
  config.jit_cache_dir = tempfile.mkdtemp(prefix="jaxrestore-tests-jit-")
  os.environ["JAX_COMPILATION_CACHE_DIR"] = config.jit_cache_dir
  for k, v in _CACHE_ENV.items():
    os.environ.setdefault(k, v)


def pytest_unconfigure(config):
  if getattr(config, "jit_cache_dir", None):
    shutil.rmtree(config.jit_cache_dir, ignore_errors=True)
