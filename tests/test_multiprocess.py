"""Multi-process training: 2 processes x 2 CPU devices on 127.0.0.1 (jax.distributed, gloo).

The same scripts/train.py as a single process, started by scripts/launch_local.py:
2 x 2 devices give the parameters of 1 x 4, and a 2-process run stopped after a
checkpoint and resumed ends where an uninterrupted one does. The launcher's processes
never outlive it: stopped when one fails, killed with it when it is killed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import filelock
import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

import processes
from jaxrestore.data import datasets, pipeline

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 240


def _launch(num_processes, cpu_devices, *command, timeout=TIMEOUT, env=None):
  return subprocess.run(
      [sys.executable, str(REPO / "scripts" / "launch_local.py"),
       f"--num_processes={num_processes}", f"--cpu_devices={cpu_devices}", "--", *command],
      check=False, capture_output=True, text=True, timeout=timeout, env=env)


def _pids(launcher_output: str) -> list[int]:
  """The pids the launcher reports (each also its process's group)."""
  return [int(pid) for pid in re.findall(r"^\[launch\] p\d+: pid (\d+)$", launcher_output, re.M)]


def _train(num_processes, cpu_devices, workdir, cache, num_steps):
  """A tiny DnCNN, SGD (Adam's first steps amplify float reduction-order noise, see
  test_data_parallel.py), global batch 8, checkpoints every 3 steps. The runs share
  JAX's compilation cache (the 2-process ones compile the same programs)."""
  env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(Path(cache) / "jax_cache"),
         "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
  out = _launch(
      num_processes, cpu_devices, sys.executable, str(REPO / "scripts" / "train.py"),
      f"--config={REPO / 'configs' / 'smoke.py'}", f"--workdir={workdir}",
      f"--config.data.cache_dir={cache}", "--config.model_kwargs.depth=4",
      "--config.model_kwargs.features=8", "--config.data.batch_size=8", "--config.data.crop=24",
      "--config.optimizer.name=sgd", "--config.optimizer.momentum=0.9",
      "--config.optimizer.lr=0.05", f"--config.num_steps={num_steps}",
      "--config.checkpoint_every=3", "--config.log_every=3", "--config.eval_every=1000",
      "--config.eval.max_images=1", "--config.eval.num_grids=1", env=env)
  assert out.returncode == 0, out.stdout[-4000:]
  return out.stdout


def _params(workdir, step):
  """Parameters and BN statistics of a checkpoint, as numpy (it was saved over 4 devices)."""
  path = Path(workdir) / "checkpoints" / str(step) / "state"
  with ocp.PyTreeCheckpointer() as ckptr:
    as_numpy = jax.tree.map(lambda _: ocp.RestoreArgs(restore_type=np.ndarray),
                            ckptr.metadata(path).item_metadata.tree)
    tree = ckptr.restore(path, args=ocp.args.PyTreeRestore(restore_args=as_numpy))
  return jax.tree.leaves((tree["params"], tree["buffers"]))


@pytest.fixture(scope="module")
def runs(tmp_path_factory, worker_id, data_cache):
  """Uninterrupted 6-step runs: 1 process x 4 devices (prepares the cache) and 2 x 2.

  Made once per session: under pytest-xdist the two tests that read them may run on
  different workers, and the second then waits for the first's runs (a file lock in
  the session's temporary folder, which the workers share) instead of making its own.
  """
  session_tmp = tmp_path_factory.getbasetemp()
  if worker_id != "master":
    session_tmp = session_tmp.parent  # the workers' folders sit in the session's
  root = session_tmp / "multiprocess_runs"
  with filelock.FileLock(f"{root}.lock"):
    if not (root / "done").is_file():
      shutil.rmtree(root, ignore_errors=True)  # what a failed attempt left
      root.mkdir()
      for name, n, d in (("1x4", 1, 4), ("2x2", 2, 2)):
        start = time.time()
        log = _train(n, d, root / name, data_cache, 6)
        print(f"{name}: {time.time() - start:.1f} s")
        (root / f"{name}.log").write_text(log)
      (root / "done").touch()
  return root


def test_shards_read_their_block_of_the_global_batch(data_cache):
  src = datasets.load({"kind": "skimage", "config": "gray"}, "train", data_cache)
  kw = {"batch_size": 8, "crop": 16, "channels": 1, "seed": 3, "noise": pipeline.NoiseSpec()}
  whole = iter(pipeline.train_dataset(src, **kw))
  shards = [iter(pipeline.train_dataset(src, **kw, shard_index=i, shard_count=2))
            for i in range(2)]
  for _ in range(3):
    local = [next(s) for s in shards]
    assert local[0]["input"].shape == (4, 16, 16, 1)
    for key, value in next(whole).items():
      np.testing.assert_array_equal(value, np.concatenate([b[key] for b in local]))
  with pytest.raises(ValueError, match="not divisible by the 3 processes"):
    pipeline.train_dataset(src, **kw, shard_index=0, shard_count=3)


@pytest.mark.slow(seconds=25)  # with the runs it shares with the next test
def test_two_processes_of_two_devices_match_one_of_four(runs):
  for a, b in zip(_params(runs / "1x4", 6), _params(runs / "2x2", 6)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
  log = (runs / "2x2.log").read_text()
  assert "[p0] final eval" in log and "[p1] final eval" in log
  # one writer: every step once in metrics.jsonl, one event file, the grid of the final eval
  lines = [json.loads(l) for l in (runs / "2x2" / "metrics.jsonl").read_text().splitlines()]
  assert [l["step"] for l in lines] == [3, 6, 6]
  assert len(list((runs / "2x2" / "tensorboard").iterdir())) == 1
  assert [p.name for p in (runs / "2x2" / "images").iterdir()] == ["step0000006_camera.png"]
  data = runs / "2x2" / "checkpoints" / "6" / "data"
  assert json.loads((data / "metadata").read_text()) == {"next_index": 6}
  assert json.loads((data / "metadata.process1").read_text()) == {"next_index": 6}


@pytest.mark.slow(seconds=25)
def test_resumed_two_process_run_matches_an_uninterrupted_one(runs, tmp_path, data_cache):
  _train(2, 2, tmp_path, data_cache, 3)  # stops after its checkpoint at step 3
  log = _train(2, 2, tmp_path, data_cache, 6)
  assert "[p0] resumed from" in log and "[p1] resumed from" in log and "at step 3" in log
  for a, b in zip(_params(runs / "2x2", 6), _params(tmp_path, 6)):
    np.testing.assert_array_equal(a, b)


def test_one_failing_process_stops_all():
  script = ("import jax; from jaxrestore import distributed; "
            "from jaxrestore.config_defaults import base_config; "
            "from jax.experimental import multihost_utils; "
            "assert distributed.initialize(base_config().distributed); "
            "assert jax.process_index() != 1, 'process 1 fails'; "
            "multihost_utils.sync_global_devices('never reached by process 1')")
  start = time.time()
  out = _launch(2, 1, sys.executable, "-c", script, timeout=120)
  assert out.returncode == 1, out.stdout[-3000:]
  assert "[p1] AssertionError: process 1 fails" in out.stdout
  assert "stopped all 2" in out.stdout
  assert time.time() - start < 60  # not JAX's 5-minute shutdown barrier
  pids = _pids(out.stdout)
  assert len(pids) == 2
  left = {pid: processes.left_after(pid) for pid in pids}
  assert not any(left.values()), left


def test_killed_launcher_takes_its_processes_with_it():
  """SIGKILL of the launcher (no cleanup runs in it): its processes die with it."""
  script = "import time; print('started', flush=True); time.sleep(60)"
  with subprocess.Popen(
      [sys.executable, str(REPO / "scripts" / "launch_local.py"), "--num_processes=2", "--",
       sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as launcher:
    lines = []
    while sum("] started" in line for line in lines) < 2:
      lines.append(launcher.stdout.readline())
      assert lines[-1], "the launcher ended before its processes started: " + "".join(lines)
    launcher.kill()
  pids = _pids("".join(lines))
  assert len(pids) == 2
  left = {pid: processes.left_after(pid) for pid in pids}
  assert not any(left.values()), left
