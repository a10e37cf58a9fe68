"""Hyper-parameter sweeps as one compiled program: N configurations trained at once.

The EE-559 projects grid-searched (learning rate, momentum, batch, ...) one run
at a time. Here the parameter sets of all configurations with the same batch
size are stacked on a leading axis and trained together: the explicit-backward
step (``jaxrestore.explicit``) is ``jax.vmap``-ed over (params, SGD state,
hyper-parameters), where learning rate, momentum and weight decay are traced
values, and ``lax.scan``-ed over a chunk of batches, all under one ``jax.jit``.
Every configuration sees the same batches. Batch size changes shapes, so each
distinct batch size is one more compiled program.

A configuration that diverges (non-finite loss) is a result, not an error: it is
ranked last and marked ``diverged``; the others are unaffected (vmapped lanes
never mix).
"""
import csv
import dataclasses
import itertools
import json
import math
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from tqdm import tqdm

from jaxrestore import errors, explicit
from jaxrestore.data import datasets, images, pipeline
from jaxrestore.data.noise import gaussian_noise_seeded

HYPER = ("lr", "momentum", "weight_decay")  # traced: vmapped, one program for all values


@dataclasses.dataclass
class Result:
  batch_size: int
  seed: int
  lr: float
  momentum: float
  weight_decay: float
  final_loss: float
  psnr: float
  diverged: bool
  rank: int = 0


def grid(sweep: ml_collections.ConfigDict) -> list[dict]:
  """Every combination of ``sweep``'s lists (batch_size, seed, lr, momentum, weight_decay)."""
  keys = ("batch_size", "seed") + HYPER
  return [dict(zip(keys, v)) for v in itertools.product(*(list(sweep[k]) for k in keys))]


def make_step(net: explicit.Module, dampening: float = 0.0, nesterov: bool = False):
  """One configuration's SGD step on MSE: ``(params, opt, hp, x, t) -> (params, opt, loss)``."""
  mse = explicit.MSE()

  def step(params, opt, hp, x, t):
    y, cache = net.forward(params, x)
    loss, d = mse.forward(y, t)
    _, grads = net.backward(params, cache, mse.backward(d))
    params, opt = explicit.sgd_step(params, grads, opt, hp["lr"], hp["momentum"], dampening,
                                    hp["weight_decay"], nesterov)
    return params, opt, loss

  return step


def make_train_chunk(net: explicit.Module, dampening: float = 0.0, nesterov: bool = False):
  """``(params[N], opt[N], hp[N], xs[K], ts[K]) -> (params, opt, losses[K, N])``, one jit."""
  vstep = jax.vmap(make_step(net, dampening, nesterov), in_axes=(0, 0, 0, None, None))

  def chunk(params, opt, hp, xs, ts):
    def body(carry, batch):
      params, opt, loss = vstep(*carry, hp, *batch)
      return (params, opt), loss
    (params, opt), losses = jax.lax.scan(body, (params, opt), (xs, ts))
    return params, opt, losses

  return jax.jit(chunk, donate_argnums=(0, 1))


def init_stacked(net: explicit.Module, seeds) -> tuple[dict, explicit.SGDState]:
  params = jax.vmap(net.init)(jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds)))
  return params, jax.vmap(explicit.sgd_init)(params)


def make_evaluate(net: explicit.Module):
  """``(params[N], noisy, clean) -> mean PSNR[N]`` (outputs clipped to [0, 1])."""
  def one(params, noisy, clean):
    out = jnp.clip(net(params, noisy), 0.0, 1.0)
    mse = jnp.mean((out - clean) ** 2, axis=(1, 2, 3))
    return jnp.mean(-10.0 * jnp.log10(mse))
  return jax.jit(jax.vmap(one, in_axes=(0, None, None)))


def validation_set(config) -> tuple[np.ndarray, np.ndarray]:
  """Centre crops of the validation images, seeded Gaussian noise at ``config.eval.sigma``."""
  d, s = config.data, config.sweep
  src = datasets.load(d.val.to_dict(), d.val_split, d.cache_dir or None)
  n = len(src) if not s.val_images else min(s.val_images, len(src))
  clean = []
  for i in range(n):
    img = datasets.decode(src[i], "clean", d.channels)
    h, w = img.shape[:2]
    if min(h, w) < s.val_crop:
      raise errors.ConfigError(f"validation image {i} is {h}x{w}, smaller than "
                               f"val_crop={s.val_crop}")
    clean.append(images.center_crop(img, s.val_crop) / 255.0)
  clean = np.stack(clean).astype(np.float32)
  noisy = np.stack([gaussian_noise_seeded(c, config.eval.sigma, seed=i)
                    for i, c in enumerate(clean)])
  return noisy, clean


def _train_group(config, net, configs, train_src, noisy, clean):
  """Trains the configurations of one batch size together; returns their Results."""
  d, s = config.data, config.sweep
  batch = configs[0]["batch_size"]
  ds = pipeline.train_dataset(
      train_src, batch_size=batch, crop=d.crop, channels=d.channels, seed=config.seed,
      mode=d.mode, noise=pipeline.NoiseSpec(**d.noise.to_dict()), augment=d.augment)
  it = iter(ds)
  params, opt = init_stacked(net, [c["seed"] for c in configs])
  hp = {k: jnp.asarray([c[k] for c in configs], jnp.float32) for k in HYPER}
  chunk = make_train_chunk(net, config.optimizer.dampening, config.optimizer.nesterov)
  k = s.steps_per_call
  if config.num_steps % k:
    raise errors.ConfigError(f"num_steps={config.num_steps} is not a multiple of "
                             f"sweep.steps_per_call={k}")
  losses = []
  for _ in tqdm(range(config.num_steps // k), desc=f"sweep batch={batch} x{len(configs)}",
                unit="chunk", dynamic_ncols=True):
    batches = [next(it) for _ in range(k)]
    xs = jnp.stack([b["input"] for b in batches])
    ts = jnp.stack([b["target"] for b in batches])
    params, opt, chunk_losses = chunk(params, opt, hp, xs, ts)
    losses.append(np.asarray(chunk_losses))
  losses = np.concatenate(losses)  # (steps, N)
  psnr = np.asarray(make_evaluate(net)(params, jnp.asarray(noisy), jnp.asarray(clean)))
  results = []
  for i, c in enumerate(configs):
    diverged = not (np.all(np.isfinite(losses[:, i])) and np.isfinite(psnr[i]))
    results.append(Result(**c, final_loss=float(losses[-1, i]),
                          psnr=math.nan if diverged else float(psnr[i]), diverged=diverged))
  return results, losses


def rank(results: list[Result]) -> list[Result]:
  """Best PSNR first; diverged configurations last."""
  ordered = sorted(results, key=lambda r: (r.diverged, -r.psnr if not r.diverged else 0.0))
  for i, r in enumerate(ordered, 1):
    r.rank = i
  return ordered


def write_csv(path: os.PathLike, results: list[Result]) -> None:
  fields = ["rank"] + [f.name for f in dataclasses.fields(Result) if f.name != "rank"]
  with open(path, "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields)
    w.writeheader()
    for r in results:
      w.writerow(dataclasses.asdict(r))


def _label(r: Result) -> str:
  return f"lr={r.lr:g} m={r.momentum:g} wd={r.weight_decay:g} b={r.batch_size} s={r.seed}"


def plot(path: os.PathLike, results: list[Result], curves: dict[int, np.ndarray],
         configs: list[dict], noisy_psnr: float) -> None:
  """Ranked final PSNR per configuration and the training-loss curves."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(14, max(4, 0.28 * len(results) + 1.5)))
  ok = [r for r in results if not r.diverged]
  ax0.barh([_label(r) for r in ok][::-1], [r.psnr for r in ok][::-1], color="tab:blue")
  ax0.axvline(noisy_psnr, color="tab:red", ls="--", label=f"noisy input {noisy_psnr:.2f} dB")
  if ok:
    psnrs = [r.psnr for r in ok] + [noisy_psnr]
    ax0.set_xlim(min(psnrs) - 0.5, max(psnrs) + 0.5)
  ax0.set_xlabel("validation PSNR (dB)")
  ax0.set_title(f"{len(ok)} of {len(results)} configurations (diverged ones omitted)")
  ax0.legend(loc="lower right")
  ax0.tick_params(axis="y", labelsize=7)
  window = max(1, min(50, len(curves[0]) // 10))
  for i in range(len(configs)):  # moving average: batch-to-batch noise hides the trend
    curve = np.convolve(curves[i], np.ones(window) / window, mode="valid")
    ax1.plot(np.arange(window, len(curve) + window), curve, lw=0.8)
  ax1.set_yscale("log")
  ax1.set_xlabel("step")
  ax1.set_ylabel(f"training loss (MSE, moving mean of {window})")
  ax1.set_title("training loss of every configuration")
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def run_sweep(config: ml_collections.ConfigDict, workdir: str | os.PathLike) -> list[Result]:
  """Runs the whole grid; writes sweep.csv (ranked), sweep.png and sweep.json to ``workdir``."""
  workdir = Path(workdir)
  if (workdir / "sweep.csv").exists():
    raise errors.OutputExistsError(f"{workdir / 'sweep.csv'} exists: a finished sweep is not "
                                   "overwritten; use another --workdir")
  if config.model not in explicit.NETS:
    raise errors.ConfigError(f"sweeps train explicit-backward nets: model must be one of "
                             f"{sorted(explicit.NETS)}, got {config.model!r}")
  if config.optimizer.name != "sgd":
    raise errors.ConfigError("sweeps use the explicit framework's SGD: set optimizer.name='sgd'")
  workdir.mkdir(parents=True, exist_ok=True)
  net = explicit.NETS[config.model](**config.model_kwargs.to_dict())
  d = config.data
  train_src = datasets.load(d.train.to_dict(), d.train_split, d.cache_dir or None)
  noisy, clean = validation_set(config)
  noisy_psnr = float(np.mean(-10 * np.log10(np.mean((np.clip(noisy, 0, 1) - clean) ** 2,
                                                    axis=(1, 2, 3)))))
  configs = grid(config.sweep)
  results, curves = [], {}
  t0 = time.time()
  for batch in sorted({c["batch_size"] for c in configs}):
    index = [i for i, c in enumerate(configs) if c["batch_size"] == batch]
    group, losses = _train_group(config, net, [configs[i] for i in index], train_src, noisy,
                                 clean)
    results += group
    curves.update({i: losses[:, j] for j, i in enumerate(index)})
  seconds = time.time() - t0
  ordered = rank(list(results))
  write_csv(workdir / "sweep.csv", ordered)
  plot(workdir / "sweep.png", ordered, curves, configs, noisy_psnr)
  (workdir / "sweep.json").write_text(json.dumps({
      "config": config.to_dict(), "seconds": seconds, "noisy_psnr": noisy_psnr,
      "results": [dataclasses.asdict(r) for r in ordered]}, indent=1, default=str))
  return ordered


def format_table(results: list[Result]) -> str:
  lines = [f"{'rank':>4} {'batch':>5} {'seed':>4} {'lr':>8} {'momentum':>8} {'wd':>8} "
           f"{'loss':>9} {'psnr':>7}"]
  for r in results:
    psnr = "diverged" if r.diverged else f"{r.psnr:7.3f}"
    lines.append(f"{r.rank:4d} {r.batch_size:5d} {r.seed:4d} {r.lr:8.4g} {r.momentum:8.3g} "
                 f"{r.weight_decay:8.3g} {r.final_loss:9.5f} {psnr:>7}")
  return "\n".join(lines)
