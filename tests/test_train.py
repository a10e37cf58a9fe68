"""Training loop: artefacts, resume, NaN handling, bad workdirs, optimisers; no process of
a run outlives it (normal exit, SIGKILL, SIGTERM, SIGINT)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import orbax.checkpoint as ocp
import pytest
import torch

import processes
from jaxrestore import config_defaults, errors, optim, steps, train
from jaxrestore.metric_writers import MetricWriter

REPO = Path(__file__).resolve().parents[1]


def test_train_writes_everything_and_resume_is_a_no_op(tiny_config, tmp_path, capsys):
  state, summary = train.train_and_evaluate(tiny_config, tmp_path)
  assert int(state.step) == 6
  assert 5 < summary["psnr"] < 60
  lines = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert [l["step"] for l in lines if "train/loss" in l] == [2, 3, 4, 6]
  assert all(abs(l["time"] - time.time()) < 600 for l in lines)  # wall clock, for curves
  assert any("eval/psnr" in l for l in lines)
  assert json.loads((tmp_path / "config.json").read_text())["model"] == "dncnn"
  assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
  assert (tmp_path / "images" / "step0000006_camera.png").is_file()
  assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["3", "6"]
  assert [p.name for p in (tmp_path / "best").iterdir()] == ["6"]
  capsys.readouterr()
  again, _ = train.train_and_evaluate(tiny_config, tmp_path)  # already done: resumes at 6
  assert f"resumed from {tmp_path / 'checkpoints'} at step 6" in capsys.readouterr().out
  after = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert [l["step"] for l in after if "train/loss" in l] == [2, 3, 4, 6]  # no step trained again
  for a, b in zip(jax.tree.leaves(state.params), jax.tree.leaves(again.params)):
    np.testing.assert_array_equal(a, b)


def test_workdir_of_another_model_is_refused_and_kept(tiny_config, tmp_path):
  train.train_and_evaluate(tiny_config, tmp_path)
  before = (tmp_path / "config.json").read_text()
  tiny_config.model_kwargs.features = 16
  with pytest.raises(train.TrainingError, match="different model.*model_kwargs"):
    train.train_and_evaluate(tiny_config, tmp_path)
  assert (tmp_path / "config.json").read_text() == before
  assert (tmp_path / "checkpoints" / "6").is_dir()


def test_workdir_of_another_optimizer_is_a_clear_error(tiny_config, tmp_path):
  train.train_and_evaluate(tiny_config, tmp_path)
  before = (tmp_path / "config.json").read_text()
  tiny_config.num_steps = 9
  tiny_config.optimizer.name = "sgd"
  with pytest.raises(train.TrainingError, match="cannot resume.*optimizer"):
    train.train_and_evaluate(tiny_config, tmp_path)
  assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["3", "6"]
  assert (tmp_path / "config.json").read_text() == before  # still the run that is there


def test_workdir_of_another_task_is_refused(tmp_path):
  """Another task stores another state (a GAN's two models): evaluation would misread it."""
  c = config_defaults.base_config()
  train.write_config(c, tmp_path)
  c.task = "desnow"
  with pytest.raises(train.TrainingError, match="task: 'denoise' there, 'desnow' now"):
    train.check_workdir(c, tmp_path)


def test_a_resumed_run_logs_every_step_once(tmp_path):
  writer = MetricWriter(tmp_path)
  for step in range(1, 6):  # the run is stopped at 5; its last checkpoint is 3
    writer.write(step, {"loss": float(step)})
  writer.close()
  writer = MetricWriter(tmp_path, start_step=3)
  writer.write(4, {"loss": 40.0})
  writer.close()
  rows = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert [(r["step"], r["loss"]) for r in rows] == [(1, 1.0), (2, 2.0), (3, 3.0), (4, 40.0)]


@pytest.mark.filterwarnings("ignore:overflow encountered in cast")
def test_nan_stops_training_and_keeps_the_last_good_checkpoint(tiny_config, tmp_path):
  tiny_config.num_steps = 3
  train.train_and_evaluate(tiny_config, tmp_path)
  tiny_config.num_steps = 9
  tiny_config.optimizer.lr = 1e39  # float32 inf: the first update is non-finite
  # no log or checkpoint step before the eval at 5: the check runs before that eval, too
  tiny_config.log_every = tiny_config.checkpoint_every = 100
  tiny_config.eval_every = 5
  with pytest.raises(train.TrainingError, match="NaN/inf at step 4.*step 3"):
    train.train_and_evaluate(tiny_config, tmp_path)
  assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["3"]
  assert [p.name for p in (tmp_path / "best").iterdir()] == ["3"]


def _params(workdir, step):
  with ocp.StandardCheckpointer() as ckptr:
    tree = ckptr.restore(Path(workdir) / "checkpoints" / str(step) / "state")
  return tree["params"]


def _train_cmd(workdir, cache, *extra):
  return [sys.executable, str(REPO / "scripts" / "train.py"),
          f"--config={REPO / 'configs' / 'smoke.py'}", f"--workdir={workdir}",
          f"--config.data.cache_dir={cache}", "--config.model_kwargs.depth=4",
          "--config.model_kwargs.features=16", "--config.data.batch_size=8",
          "--config.data.crop=32", "--config.num_steps=60", "--config.checkpoint_every=30",
          "--config.eval_every=1000", "--config.log_every=10", "--config.data.num_workers=1",
          *extra]


def _has_data_worker(pgid):
  return any("multiprocessing.spawn" in cmd for cmd in processes.in_group(pgid).values())


@pytest.mark.slow(seconds=30)
def test_resume_after_sigkill_is_bit_identical(tmp_path, data_cache):
  """Also: the killed run's data worker (and every other process of it) ends by itself,
  as after a normal exit."""
  straight, killed = tmp_path / "straight", tmp_path / "killed"
  run = subprocess.Popen(_train_cmd(straight, data_cache), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
  assert run.wait() == 0
  assert not processes.left_after(run.pid)
  proc = subprocess.Popen(_train_cmd(killed, data_cache), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True)
  try:
    deadline = time.time() + 300
    while not (killed / "checkpoints" / "30").is_dir():
      assert proc.poll() is None and time.time() < deadline, "run ended before its checkpoint"
      time.sleep(0.01)
    assert _has_data_worker(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
  finally:
    left = processes.left_after(proc.pid)
  assert not left
  assert not (killed / "checkpoints" / "60").exists(), "killed too late to test resuming"
  subprocess.run(_train_cmd(killed, data_cache), check=True, capture_output=True)
  a, b = _params(straight, 60), _params(killed, 60)
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
    np.testing.assert_array_equal(x, y)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_stopped_by_a_signal_leaves_no_process(tmp_path, data_cache, sig):
  """SIGTERM or one SIGINT (to the training process alone, not its group as Ctrl-C would)
  during training: the run ends, and its data worker with it.

  One SIGINT is enough: the loop stops between two steps
  (``train.stop_between_steps_on_sigint``); before, a KeyboardInterrupt raised inside a
  destructor (grain's SharedMemoryArray's) was lost about one run in 30.
  """
  proc = subprocess.Popen(_train_cmd(tmp_path, data_cache, "--config.num_steps=100000"),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          start_new_session=True)
  try:
    deadline = time.time() + 300
    metrics = tmp_path / "metrics.jsonl"
    while not (metrics.is_file() and metrics.read_text()):  # step 10's line
      assert proc.poll() is None and time.time() < deadline, "run ended before training"
      time.sleep(0.01)
    assert _has_data_worker(proc.pid)
    proc.send_signal(sig)
    assert proc.wait(timeout=120) == -sig
  finally:
    left = processes.left_after(proc.pid)
  assert not left


def test_first_sigint_asks_the_loop_to_stop_a_second_interrupts():
  before = signal.getsignal(signal.SIGINT)
  with train.stop_between_steps_on_sigint() as stop_asked:
    assert not stop_asked()
    os.kill(os.getpid(), signal.SIGINT)
    assert stop_asked()  # no KeyboardInterrupt raised where the signal landed
    with pytest.raises(KeyboardInterrupt):
      os.kill(os.getpid(), signal.SIGINT)
      time.sleep(1)  # the handler runs between bytecodes; it is not reached
  assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize("momentum,dampening,nesterov,wd", [
    (0.0, 0.0, False, 0.0), (0.9, 0.0, False, 0.0), (0.9, 0.5, False, 1e-2),
    (0.9, 0.0, True, 0.0), (0.9, 0.0, True, 1e-2)])
def test_sgd_matches_torch(momentum, dampening, nesterov, wd):
  cfg = config_defaults.optimizer_config()
  cfg.update(name="sgd", lr=0.1, momentum=momentum, dampening=dampening, nesterov=nesterov,
             weight_decay=wd)
  tx = optim.make_optimizer(cfg)
  p0 = np.random.RandomState(0).randn(5).astype(np.float32)
  grads = np.random.RandomState(1).randn(10, 5).astype(np.float32)
  p = jnp.asarray(p0)
  s = tx.init(p)
  tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
  topt = torch.optim.SGD([tp], lr=0.1, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=wd)
  for g in grads:
    u, s = tx.update(jnp.asarray(g), s, p)
    p = optax.apply_updates(p, u)
    tp.grad = torch.from_numpy(g.copy())
    topt.step()
  np.testing.assert_allclose(np.asarray(p), tp.detach().numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("momentum,dampening", [(0.0, 0.0), (0.9, 0.5)])
def test_sgd_refuses_nesterov_where_torch_does(momentum, dampening):
  cfg = config_defaults.optimizer_config()
  cfg.update(name="sgd", momentum=momentum, dampening=dampening, nesterov=True)
  with pytest.raises(ValueError, match="Nesterov"):
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=momentum,
                    dampening=dampening, nesterov=True)
  with pytest.raises(errors.ConfigError, match="nesterov momentum needs momentum > 0"):
    optim.make_optimizer(cfg)


def test_adam_weight_decay_is_torch_coupled_l2():
  cfg = config_defaults.optimizer_config()
  cfg.update(name="adam", lr=0.01, weight_decay=0.1)
  tx = optim.make_optimizer(cfg)
  p0 = np.random.RandomState(0).randn(5).astype(np.float32)
  p, s = jnp.asarray(p0), tx.init(jnp.asarray(p0))
  tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
  topt = torch.optim.Adam([tp], lr=0.01, weight_decay=0.1)
  for g in np.random.RandomState(1).randn(10, 5).astype(np.float32):
    u, s = tx.update(jnp.asarray(g), s, p)
    p = optax.apply_updates(p, u)
    tp.grad = torch.from_numpy(g.copy())
    topt.step()
  np.testing.assert_allclose(np.asarray(p), tp.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_trained_workdir_loads_for_inference(tiny_config, tmp_path):
  from jaxrestore import checkpoints, evaluate
  state, _ = train.train_and_evaluate(tiny_config, tmp_path)
  model, name, _, step = checkpoints.load_from_workdir(tmp_path)
  assert name == "dncnn" and step == 6
  loaded = evaluate.make_model_apply(model)  # splits the model in eval mode before it is reused
  _, eval_graphdef, _ = steps.create_train_state(model, optax.adam(1e-3), 0)
  x = np.random.RandomState(0).rand(1, 24, 24, 1).astype(np.float32)
  np.testing.assert_array_equal(np.asarray(loaded(x)),
                                np.asarray(steps.make_state_apply(eval_graphdef)(state, x)))


def test_noise2noise_trains_on_noisy_targets_and_evaluates_on_clean(tiny_config, tmp_path):
  from jaxrestore.data import datasets, pipeline
  tiny_config.data.mode = "noise2noise"
  src = datasets.load(tiny_config.data.train.to_dict(), "train", tiny_config.data.cache_dir)
  b = next(iter(pipeline.train_dataset(src, batch_size=2, crop=24, channels=1, seed=0,
                                       mode="noise2noise", noise=pipeline.NoiseSpec())))
  assert set(b) == {"input", "target", "clean"}
  n1, n2 = b["input"] - b["clean"], b["target"] - b["clean"]
  assert abs(n1.std() - 25 / 255) < 0.02 and abs(n2.std() - 25 / 255) < 0.02
  assert abs(np.corrcoef(n1.ravel(), n2.ravel())[0, 1]) < 0.1  # independent draws
  tiny_config.model = "n2n_unet"
  tiny_config.model_kwargs = {"in_channels": 1, "out_channels": 1, "enc_features": 8,
                              "dec_features": 8}
  tiny_config.data.crop = 32
  state, summary = train.train_and_evaluate(tiny_config, tmp_path)  # camera: 512x512
  lines = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert all("train/psnr" in l for l in lines if "train/loss" in l)
  assert 5 < summary["psnr"] < 60
  # scored against the clean image: camera's noisy input at sigma 25 is 20.6 dB against
  # it, and about 3 dB less against a second noisy draw
  assert 20.3 < summary["psnr_input"] < 20.9


def test_num_epochs_sets_num_steps_from_the_training_set():
  c = config_defaults.base_config()
  c.num_steps, c.data.batch_size = 123, 5
  assert train.resolve_num_steps(c, 68) is c  # num_epochs = 0: num_steps as given
  c.num_epochs = 50
  resolved = train.resolve_num_steps(c, 68)
  assert resolved.num_steps == 680  # 50 * 68 / 5
  assert train.resolve_num_steps(c, 69).num_steps == 690  # 690 batches hold 50 * 69 images
  c.num_epochs = 3
  assert train.resolve_num_steps(c, 7).num_steps == 5  # ceil(21 / 5): the last epoch complete
  assert c.num_steps == 123  # the caller's config is left as it is
  assert train.resolve_num_steps(ml_collections.FrozenConfigDict(c), 10).num_steps == 6
