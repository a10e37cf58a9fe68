"""Multi-process training with JAX's own runtime (``jax.distributed``), and a local launcher.

Every process runs the same ``scripts/train.py``; ``initialize`` joins them, from
``config.distributed`` or the environment:

* explicit: ``coordinator`` (``host:port`` of process 0), ``num_processes`` and
  ``process_id``, each from the config or else ``$JAX_COORDINATOR_ADDRESS``,
  ``$JAX_NUM_PROCESSES``, ``$JAX_PROCESS_ID`` (what ``launch_local`` sets);
* ``cluster='auto'``: JAX's detection (SLURM, Open MPI, Cloud TPU, Kubernetes), or
  ``cluster='slurm'`` etc. to name one; explicit values still take precedence.

One process and no cluster: nothing happens, the run is the single-process one.
In a multi-process run an uncaught error ends its process at once (exit code 1)
instead of after JAX's shutdown barrier, which waits minutes for the processes
that wait for this one; the launcher (``launch_local``, ``srun
--kill-on-bad-exit``) then stops the others.
On CPU the processes exchange data with gloo collectives over TCP: in jax 0.10
``jax_cpu_collectives_implementation`` already defaults to ``'gloo'``, so nothing
needs setting (``JAX_CPU_COLLECTIVES_IMPLEMENTATION=mpi`` would choose MPI).
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

import jax
import ml_collections
from jax.experimental import multihost_utils

from jaxrestore import errors, process_lifetime


def initialize(cfg: ml_collections.ConfigDict) -> bool:
  """Starts ``jax.distributed`` if ``cfg`` (``config.distributed``) or the environment
  asks for several processes; a no-op otherwise or when already started.

  Must run before anything touches a JAX device. Returns whether the runtime is on.
  Starting it installs ``exit_on_error`` as ``sys.excepthook``.
  """
  if jax.distributed.is_initialized():
    return True
  env = os.environ
  coordinator = cfg.coordinator or env.get("JAX_COORDINATOR_ADDRESS") or None
  num_processes = cfg.num_processes or int(env.get("JAX_NUM_PROCESSES", "0"))
  process_id = cfg.process_id if cfg.process_id >= 0 else int(env.get("JAX_PROCESS_ID", "-1"))
  if not cfg.cluster:
    if num_processes <= 1:
      return False
    if coordinator is None or process_id < 0:
      raise errors.ConfigError(
          f"{num_processes} processes need a coordinator address (host:port of process 0) "
          "and this process's id: set config.distributed.coordinator and .process_id, or "
          "JAX_COORDINATOR_ADDRESS and JAX_PROCESS_ID")
  jax.distributed.initialize(
      coordinator, num_processes or None, process_id if process_id >= 0 else None,
      cluster_detection_method={"": "deactivate", "auto": None}.get(cfg.cluster, cfg.cluster),
      initialization_timeout=cfg.initialization_timeout)
  sys.excepthook = exit_on_error
  return True


def exit_on_error(exc_type, exc, tb):
  """``sys.excepthook`` of a multi-process run: prints the error, exits with 1 right away."""
  traceback.print_exception(exc_type, exc, tb)
  sys.stdout.flush()
  sys.stderr.flush()
  os._exit(1)


def barrier(name: str):
  """Waits until every process gets here (nothing to wait for in a single process)."""
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices(name)


# --- Several processes on one machine ---------------------------------------------------------


def free_port() -> int:
  """A TCP port on 127.0.0.1 that nothing listens on now."""
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def process_env(process_id: int, num_processes: int, port: int, cpu_devices: int = 0) -> dict:
  """The environment of local process ``process_id``: the coordinator on 127.0.0.1:``port``
  (bound there only) and, with ``cpu_devices > 0``, that many CPU devices of its own."""
  env = dict(os.environ)
  address = f"127.0.0.1:{port}"
  env.update(JAX_COORDINATOR_ADDRESS=address, JAX_COORDINATOR_BIND_ADDRESS=address,
             JAX_NUM_PROCESSES=str(num_processes), JAX_PROCESS_ID=str(process_id),
             PYTHONUNBUFFERED="1")
  if cpu_devices:
    flags = [f for f in env.get("XLA_FLAGS", "").split()
             if not f.startswith("--xla_force_host_platform_device_count")]
    env["XLA_FLAGS"] = " ".join(flags + [f"--xla_force_host_platform_device_count={cpu_devices}"])
    env["JAX_PLATFORMS"] = "cpu"
  return env


def _stream(proc: subprocess.Popen, prefix: str, out):
  for line in proc.stdout:  # text mode: '\r' (progress bars) ends a line too
    out.write(f"{prefix}{line.rstrip()}\n")
    out.flush()


def _stop(proc: subprocess.Popen, grace_s: float):
  """Stops ``proc``'s process group (it and its data workers): SIGTERM, then SIGKILL."""
  for sig in (signal.SIGTERM, signal.SIGKILL):
    if proc.poll() is not None:
      return
    try:
      os.killpg(proc.pid, sig)
    except ProcessLookupError:
      return
    try:
      proc.wait(grace_s)
    except subprocess.TimeoutExpired:
      pass


def launch_local(command: list[str], num_processes: int, cpu_devices: int = 0,
                 port: int | None = None, grace_s: float = 10.0, out=None) -> int:
  """Runs ``num_processes`` copies of ``command`` on this machine as one JAX job.

  Each copy gets its process id and the coordinator's address in its environment
  (``process_env``), and its output lines are written to ``out`` (stdout) prefixed
  ``[p<id>] ``, after a line ``[launch] p<id>: pid <pid>`` (the process and its
  process group). When a process fails, the others are stopped. Returns 0 when all
  succeed, else the first failure's exit code (128 + signal for a signal).
  The processes are killed if the launcher dies, even by SIGKILL
  (``process_lifetime.die_with_parent``; this thread waits for them).
  """
  out = out or sys.stdout
  port = port or free_port()
  procs, threads = [], []
  try:
    for i in range(num_processes):
      procs.append(subprocess.Popen(
          command, env=process_env(i, num_processes, port, cpu_devices),
          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
          start_new_session=True, preexec_fn=process_lifetime.die_with_parent()))
      out.write(f"[launch] p{i}: pid {procs[-1].pid}\n")
      out.flush()
      threads.append(threading.Thread(target=_stream, args=(procs[-1], f"[p{i}] ", out),
                                      daemon=True))
      threads[-1].start()
    while True:
      codes = [p.poll() for p in procs]
      failed = sorted((c for c in codes if c not in (None, 0)), key=lambda c: c < 0)
      if failed:  # an error exit rather than a process the runtime aborted after it
        code = failed[0]
        break
      if all(c == 0 for c in codes):
        code = 0
        break
      time.sleep(0.1)
  finally:
    for p in procs:
      _stop(p, grace_s)
    for t in threads:
      t.join(timeout=grace_s)
  if code:
    out.write(f"[launch] a process exited with {code}; stopped all {num_processes}\n")
  return 128 - code if code < 0 else code
