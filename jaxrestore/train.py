"""The training loop: input pipeline, jitted steps, orbax checkpoints, metrics, evaluation.

``train_and_evaluate(config, workdir)`` builds the task's ``steps.Setup`` (one
model and optimiser, or the GAN's two), runs ``train_step`` with the state
donated, logs (tqdm bar, it/s, ETA, metrics.jsonl, TensorBoard), evaluates,
checkpoints, and resumes from the same workdir. A non-finite step stops the run
with a clear error before anything is saved; the last checkpoint stays as it is.
"""
import contextlib
import datetime
import json
import math
import os
import signal
import threading
import time
from pathlib import Path

import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P
from tqdm import tqdm

from jaxrestore import distributed, errors, evaluate, files, porting, steps, tasks
from jaxrestore.data import datasets, images, pipeline
from jaxrestore.metric_writers import MetricWriter


class TrainingError(errors.UserError, RuntimeError):
  """Training cannot go on (non-finite loss, incompatible workdir, ...)."""


@contextlib.contextmanager
def stop_between_steps_on_sigint():
  """Ctrl-C (SIGINT) stops training between two steps, with a ``KeyboardInterrupt``
  raised by the loop; a second Ctrl-C interrupts at once.

  Python raises the interrupt wherever the main thread is, and one raised inside a
  destructor (grain's shared-memory arrays are freed all the time) is printed as
  "Exception ignored" and lost, so training went on. Yields a function that tells
  whether a stop was asked. Outside the main thread signals are not ours: a no-op.
  """
  asked = threading.Event()
  if threading.current_thread() is not threading.main_thread():
    yield asked.is_set
    return

  def handler(signum, frame):
    if asked.is_set():
      signal.default_int_handler(signum, frame)
    asked.set()

  previous = signal.signal(signal.SIGINT, handler)
  try:
    yield asked.is_set
  finally:
    signal.signal(signal.SIGINT, previous)


# --- The loop --------------------------------------------------------------------------------

# what a workdir's checkpoints are: another task stores another state (a GAN's two models)
_MODEL_KEYS = ("task", "model", "model_kwargs", "data.channels")


def _lookup(cfg: dict, dotted: str):
  for part in dotted.split("."):
    cfg = cfg.get(part, {}) if isinstance(cfg, dict) else {}
  return cfg


def check_workdir(config: ml_collections.ConfigDict, workdir: Path):
  """Creates ``workdir``, or checks that its config.json describes the same model."""
  workdir.mkdir(parents=True, exist_ok=True)
  path = workdir / "config.json"
  if path.exists():
    old, new = json.loads(path.read_text()), json.loads(config.to_json_best_effort())
    diff = [k for k in _MODEL_KEYS if _lookup(old, k) != _lookup(new, k)]
    if diff:
      raise TrainingError(
          f"workdir {workdir} holds a run of a different model ("
          + "; ".join(f"{k}: {_lookup(old, k)!r} there, {_lookup(new, k)!r} now" for k in diff)
          + "). Use a new --workdir; the run there was not changed.")


def write_config(config: ml_collections.ConfigDict, workdir: Path):
  """config.json, atomically: other processes of a multi-process run may be reading it."""
  files.write_text_atomically(workdir / "config.json",
                              json.dumps(json.loads(config.to_json_best_effort()), indent=2))


def _noise_spec(cfg) -> pipeline.NoiseSpec:
  return pipeline.NoiseSpec(**cfg.to_dict())


def _sharding(num_devices: int | None = None):
  """The 1-D ``data`` mesh, the batch sharding over it and the replicated sharding.

  All devices of all processes, in process order (process ``i`` feeds the ``i``-th
  block of the global batch), or the first ``num_devices`` of a single process.
  """
  if num_devices and jax.process_count() > 1 and num_devices != jax.device_count():
    raise errors.ConfigError(f"num_devices={num_devices} in a run of {jax.process_count()} "
                             "processes; use 0 (all devices)")
  devices = sorted(jax.devices(), key=lambda d: d.process_index)[:num_devices or None]
  mesh = jax.sharding.Mesh(np.array(devices), ("data",))
  return mesh, NamedSharding(mesh, P("data")), NamedSharding(mesh, P())


def _checkpoint_managers(workdir: Path, config):
  """Latest and best checkpoints, saved by all processes together. ``data``: each process
  writes its own data-iterator state in it (``metadata``, ``metadata.process<i>`` for i > 0)."""
  opts = dict(create=True, enable_async_checkpointing=False)
  i = jax.process_index()
  data = ocp.JsonCheckpointHandler(
      f"metadata.process{i}" if i else "metadata",
      multiprocessing_options=ocp.options.MultiprocessingOptions(primary_host=None))
  latest = ocp.CheckpointManager(
      workdir / "checkpoints",
      item_handlers={"state": ocp.StandardCheckpointHandler(), "data": data},
      options=ocp.CheckpointManagerOptions(max_to_keep=config.keep_checkpoints, **opts))
  best = ocp.CheckpointManager(
      workdir / "best", item_names=("state",),
      options=ocp.CheckpointManagerOptions(max_to_keep=1, best_fn=lambda m: m["psnr"],
                                           best_mode="max", **opts))
  return latest, best


def evaluate_state(apply, state, val_source, config, step: int, workdir: Path, writer):
  """The task's evaluation on the validation set: mean PSNR/SSIM, image grids."""
  task = tasks.get(config.task)
  ev = config.eval
  opts = tasks.EvalOptions(channels=config.data.channels, sigma=ev.sigma, seed=ev.seed,
                           uint8_cast=ev.uint8_cast, value_range=config.data.value_range,
                           random_crop=ev.random_crop)
  results = []
  n = min(len(val_source), ev.max_images) if ev.max_images else len(val_source)
  for i in range(n):
    result, grid = task.evaluate_record(lambda x: apply(state, x), val_source[i], opts)
    results.append(result)
    if i < ev.num_grids and jax.process_index() == 0:
      images.write_image(workdir / "images" / f"step{step:07d}_{Path(result.name).stem}.png",
                         grid)
      writer.write_image(step, f"eval/{result.name}", grid)
  summary = {"psnr": float(np.mean([r.psnr for r in results])),
             "ssim": float(np.mean([r.ssim for r in results])),
             "psnr_input": float(np.mean([r.psnr_input for r in results])),
             **evaluate.mean_metrics(results)}
  writer.write(step, summary, prefix="eval/")
  return summary


def resolve_num_steps(config: ml_collections.ConfigDict, train_size: int):
  """``config`` with ``num_steps`` set from ``num_epochs`` when that is > 0: enough global
  batches of ``data.batch_size`` to see ``num_epochs`` times the ``train_size`` training
  images (rounded up); a config without ``num_epochs`` is returned as it is."""
  if config.num_epochs <= 0:
    return config
  resolved = (config.as_configdict() if isinstance(config, ml_collections.FrozenConfigDict)
              else config.copy_and_resolve_references())
  resolved.num_steps = math.ceil(config.num_epochs * train_size / config.data.batch_size)
  return resolved


def build_data(config):
  """This process's training stream (its block of every global batch), the validation
  source and the number of training images. Process 0 prepares the dataset cache while
  the others wait (it may be shared)."""
  d = config.data
  cache = d.cache_dir or None
  if jax.process_index() > 0:
    distributed.barrier("jaxrestore: datasets prepared")
  train_src = datasets.load(d.train.to_dict(), d.train_split, cache)
  val_src = datasets.load(d.val.to_dict(), d.val_split, cache) if d.val else None
  if jax.process_index() == 0:
    distributed.barrier("jaxrestore: datasets prepared")
  if val_src is not None:
    pipeline.check_source(val_src, crop=None, channels=d.channels, where="validation data")
  ds = pipeline.train_dataset(
      train_src, batch_size=d.batch_size, crop=d.crop, channels=d.channels,
      seed=config.seed, mode=d.mode, noise=_noise_spec(d.noise), keys=tuple(d.image_keys),
      augment=d.augment, num_workers=d.num_workers, read_threads=d.read_threads,
      prefetch=d.prefetch, pad_small=d.pad_small,
      shard_index=jax.process_index(), shard_count=jax.process_count())
  return ds, val_src, len(train_src)


def initial_model(config: ml_collections.ConfigDict):
  """The model ``config.init_checkpoint`` holds (see config_defaults)."""
  return porting.load_checkpoint(
      config.init_checkpoint, config.model, config.model_kwargs.to_dict(),
      key=config.init_checkpoint_key or None, seed=config.seed,
      rename=tuple(config.init_checkpoint_rename))


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str | os.PathLike):
  """Trains ``config`` in ``workdir``, resuming from its latest checkpoint if any.

  Returns the final state (the Setup's pytree) and the summary of this call's last
  evaluation: empty when it evaluated nothing (a finished run started again).
  """
  distributed.initialize(config.distributed)
  workdir = Path(workdir).absolute()
  check_workdir(config, workdir)
  mesh, data_sharding, replicated = _sharding(config.num_devices or None)
  if config.data.batch_size % mesh.size:
    raise errors.ConfigError(f"batch size {config.data.batch_size} is not divisible by the "
                             f"{mesh.size} devices")

  ds, val_src, train_size = build_data(config)
  config = resolve_num_steps(config, train_size)
  if config.num_epochs > 0 and jax.process_index() == 0:
    print(f"{config.num_epochs} epochs of {train_size} training images at batch "
          f"{config.data.batch_size}: {config.num_steps} steps", flush=True)
  setup = tasks.get(config.task).make_setup(config)
  state, train_step, apply = setup.state, setup.train_step, setup.apply

  latest, best = _checkpoint_managers(workdir, config)
  if config.init_checkpoint and latest.latest_step() is None:
    try:  # every process reads the file: it must be readable by all (shared storage)
      state = setup.load_weights(state, initial_model(config))
    except (steps.WeightsMismatchError, porting.PortingError, porting.CheckpointError,
            FileNotFoundError) as e:
      where = "" if config.init_checkpoint in str(e) else f"{config.init_checkpoint}: "
      raise TrainingError(f"init_checkpoint {where}{e}") from None
    if jax.process_index() == 0:
      print(f"initialised {config.model} from {config.init_checkpoint}", flush=True)
  elif config.init_checkpoint and jax.process_index() == 0:  # resuming always wins
    print(f"init_checkpoint ignored: resuming from {workdir / 'checkpoints'}", flush=True)
  state = jax.device_put(state, replicated)  # also the sharding a checkpoint is restored into
  it = iter(ds)
  start = 0
  if latest.latest_step() is not None:
    start = latest.latest_step()
    try:
      restored = latest.restore(start, args=ocp.args.Composite(
          state=ocp.args.StandardRestore(state), data=ocp.args.JsonRestore()))
    except ValueError as e:
      raise TrainingError(
          f"cannot resume from {workdir / 'checkpoints' / str(start)}: its state does not fit "
          f"this config (was the optimizer or model changed?). Use a new --workdir; the "
          f"checkpoint is left as it is. Details: {str(e)[:500]}") from None
    except FileNotFoundError:
      raise TrainingError(
          f"cannot resume from {workdir / 'checkpoints' / str(start)}: it holds no data-iterator "
          f"state of process {jax.process_index()}; resume with the number of processes that "
          f"saved it.") from None
    state = restored.state
    it.set_state(restored.data)
    print(f"resumed from {workdir / 'checkpoints'} at step {start}", flush=True)
  if jax.process_index() == 0:  # only now: a refused resume leaves the workdir as it was
    write_config(config, workdir)

  writer = MetricWriter(workdir, enabled=jax.process_index() == 0, start_step=start)
  pending, summary = [], {}
  t_last, step_last = time.time(), start
  bar = tqdm(total=config.num_steps, initial=start, desc="train", unit="step",
             dynamic_ncols=True, mininterval=2.0, disable=jax.process_index() != 0)
  try:
    with stop_between_steps_on_sigint() as stop_asked:
      for step in range(start + 1, config.num_steps + 1):
        if stop_asked():
          raise KeyboardInterrupt
        batch = jax.make_array_from_process_local_data(data_sharding, next(it))
        state, step_metrics = train_step(state, batch)
        pending.append(step_metrics)
        bar.update(1)
        saving = step % config.checkpoint_every == 0 or step == config.num_steps
        evaluating = val_src is not None and (step % config.eval_every == 0
                                              or step == config.num_steps)
        # never save (latest, or best after an eval) before the NaN check
        if step % config.log_every == 0 or saving or evaluating:
          host = jax.device_get(pending)
          bad = [step - len(host) + 1 + i for i, m in enumerate(host) if m["finite"] < 1]
          if bad:
            raise TrainingError(
                f"loss or gradients became NaN/inf at step {bad[0]}; training stopped. The last "
                f"checkpoint (step {latest.latest_step()}) is kept unchanged in {workdir}.")
          now = time.time()
          mean = {k: float(np.mean([m[k] for m in host])) for k in host[0] if k != "finite"}
          rate = (step - step_last) / max(now - t_last, 1e-9)
          eta = (config.num_steps - step) / max(rate, 1e-9)
          writer.write(step, {**mean, "steps_per_sec": rate}, prefix="train/")
          psnr = {"psnr": f"{mean['psnr']:.2f}"} if "psnr" in mean else {}  # not every step has it
          bar.set_postfix(loss=f"{mean['loss']:.5f}", **psnr)
          bar.write(f"step {step}/{config.num_steps} loss {mean['loss']:.6f} "
                    + "".join(f"psnr {v} " for v in psnr.values())
                    + f" {rate:.2f} it/s  ETA {datetime.timedelta(seconds=round(eta))}")
          pending, t_last, step_last = [], now, step
        if evaluating:
          summary = evaluate_state(apply, state, val_src, config, step, workdir, writer)
          bar.write(f"eval step {step}: psnr {summary['psnr']:.3f} ssim {summary['ssim']:.4f}")
          best.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state)),
                    metrics=summary)
        if saving:
          latest.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                                    data=ocp.args.JsonSave(it.get_state())))
  finally:
    bar.close()
    writer.close()
    it.close()  # stops data workers; unlinks the batches they had prefetched into shared memory
    latest.wait_until_finished()
    best.wait_until_finished()
  return state, summary
