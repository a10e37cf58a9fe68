"""Sweeps over any config key, in stages, with repeats: configurations that share their
shapes train together as one program.

A sweep config (``config_defaults.base_sweep_config``) lists ``sweep.axes``: each axis
is a config key (``"optimizer.lr"``, ``"data.batch_size"``, ``"model_kwargs.channels"``)
or a tuple of keys varied together (one row of a source's table), with its values; the
grid is their product. Each setting is a copy of the config with those keys set.

Engines (``sweep.engine``). ``"autodiff"`` (the default) trains the registry's NNX twin
of the net (``jaxrestore/models/course_nets.py``: XLA's convolutions, course net B's
up-sampling sub-pixel) with gradients from ``jax.value_and_grad``; ``"explicit"`` trains the
explicit-backward framework's net (``jaxrestore/explicit``: unfold + matmul, hand-written
backward), as the course projects did. Both compute the same function and gradients (to
float32 rounding; tests/test_sweep.py trains both from one init) and the same SGD; the
autodiff engine is 2.3-11x faster per configuration-step on course net B on a 2-core
CPU, which put the whole network-B schedule under an hour (47 min), and 9x slower on net
A's dilated row (docs/performance.md, Sweeps). Their inits draw other random numbers,
so a seed gives other nets in each.

Grouping. The optimiser values in ``TRACED`` (lr, momentum, weight decay, dampening,
Nesterov) and the repeat's seed are traced: every setting that agrees on all other axes
(net, batch size, ...) is one *group*, trained as one jitted program over stacked (params, SGD
state, hyper-parameters, batch indices): ``jax.vmap`` over the lanes, or a ``lax.map``
loop over them in the same program (``sweep.lanes``; faster on XLA CPU, see
docs/performance.md). Groups run one after another. The loop calls the jitted step once
per batch: a ``lax.scan`` over steps ran ~10x slower on XLA CPU (docs/performance.md).
``sweep.max_lanes`` > 0 trains a bigger group's lanes in chunks of that many, one after
another, each recorded when done: a lane's result does not depend on which lanes train
beside it (its seed and batches are its own), so only how much a kill loses changes.

Before a group trains, the net's geometry is checked on the crop sizes
(``course_nets.check_shapes``) and its step and validation are traced abstractly
(``jax.eval_shape``): a setting whose shapes do not fit (an output that is not the
input's size, e.g. net B with a kernel-4 down-sampling without padding) is a row marked
``incompatible shapes``; one whose net cannot be built from its arguments is ``invalid
setting``; a non-finite loss or PSNR is ``diverged``. None of these stops the sweep.

Stages (``sweep.stages``: training pairs, epochs, how many to keep) train every
setting of the first stage, then the best ``keep`` of each stage from scratch in the
next. Repeats (``sweep.repeats``) train each setting with seeds ``seed + r``: init and
data order differ per repeat (the settings of one repeat see the same batches), and
rows report mean and standard deviation over them.

Data (``course_pairs``): a fixed pool of crops of colour images with two independent
noise draws each, stored as uint8 (as the EE-559 projects' 32x32 pairs were); stage k
trains on its first n pairs. Validation: held-out images (never a training image),
several crops of each, fixed seeded noise, ranked by PSNR against the clean crops.

Outputs in the workdir: ``stage{k}.csv`` (ranked), ``table.md`` / ``table.csv`` (the
first stage's top rows with their PSNR in every stage), ``sweep.png``, and
``sweep_state.json``: after every group (and every chunk of one), so a killed sweep
resumes at the stage, group and chunk it was in; a finished sweep is refused, never
overwritten. The state holds the sweep's config: a resume with another value of any key is
refused, naming the keys; a key the saved config lacks is no change when it holds
``base_config()``'s default (an option added to the code since, which keeps the old
behaviour by default).
"""
import csv
import functools
import itertools
import json
import logging
import math
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from flax import nnx, traverse_util
from tqdm import tqdm

from jaxrestore import config_defaults, errors, explicit, files, losses
from jaxrestore.data import datasets, images
from jaxrestore.models import course_nets, registry

TRACED = ("optimizer.lr", "optimizer.momentum", "optimizer.weight_decay",
          "optimizer.dampening", "optimizer.nesterov")
HYPER = tuple(k.split(".")[1] for k in TRACED)  # make_step's hp, explicit.sgd_step's names
_HYPER_DTYPE = {"nesterov": jnp.bool_}  # the others float32
OK, DIVERGED, INCOMPATIBLE, INVALID = "ok", "diverged", "incompatible shapes", "invalid setting"
_STATUS_ORDER = {OK: 0, DIVERGED: 1, INCOMPATIBLE: 2, INVALID: 3}
STATE = "sweep_state.json"


# --- the nets ---------------------------------------------------------------------------------


class ExplicitNet:
  """``sweep.engine="explicit"``: a net of the explicit-backward framework; params are its
  nested dicts (torch's state-dict layout)."""

  def __init__(self, name: str, kwargs: dict):
    self.net = explicit.NETS[name](**kwargs)
    self.mse = explicit.MSE()

  def init(self, key):
    return self.net.init(key)

  def __call__(self, params, x):
    return self.net(params, x)

  def loss_and_grads(self, params, x, t):
    y, cache = self.net.forward(params, x)
    loss, d = self.mse.forward(y, t)
    _, grads = self.net.backward(params, cache, self.mse.backward(d))
    return loss, grads


class AutodiffNet:
  """``sweep.engine="autodiff"``: the registry's NNX model of the same name and arguments,
  its parameters an ``nnx.State``, its MSE gradients from ``jax.value_and_grad``. Nets
  with state other than parameters (batch norm) are refused: a sweep's step is SGD on
  parameters alone."""

  def __init__(self, name: str, kwargs: dict):
    self._create = functools.partial(registry.create, name, **kwargs)
    self.graphdef, _, self.rest = nnx.split(
        nnx.eval_shape(lambda: self._create(rngs=nnx.Rngs(0))), nnx.Param, ...)
    if jax.tree.leaves(self.rest):
      raise errors.ConfigError(f"sweep.engine='autodiff': {name} has state besides its "
                               "parameters (batch norm), which a sweep's SGD step does not update")

  def init(self, key):
    return nnx.state(self._create(rngs=nnx.Rngs(key)), nnx.Param)

  def __call__(self, params, x):
    return nnx.merge(self.graphdef, params, self.rest)(x)

  def loss_and_grads(self, params, x, t):
    return jax.value_and_grad(lambda p: losses.mse(self(p, x), t))(params)


ENGINES = {"autodiff": AutodiffNet, "explicit": ExplicitNet}


# --- the step -------------------------------------------------------------------------------


def hyper(optimizers) -> dict:
  """``hp`` for ``make_step`` (one ``config.optimizer``, or any mapping with the ``HYPER``
  keys) or, given a list of them, for ``make_group_step`` (stacked, one per lane)."""
  if isinstance(optimizers, (list, tuple)):
    return {h: jnp.asarray([o[h] for o in optimizers], _HYPER_DTYPE.get(h, jnp.float32))
            for h in HYPER}
  return {h: jnp.asarray(optimizers[h], _HYPER_DTYPE.get(h, jnp.float32)) for h in HYPER}


def make_step(net):
  """One configuration's SGD step on MSE: ``(params, opt, hp, x, t) -> (params, opt, loss)``;
  ``hp`` from ``hyper``."""

  def step(params, opt, hp, x, t):
    loss, grads = net.loss_and_grads(params, x, t)
    params, opt = explicit.sgd_step(params, grads, opt, **hp)
    return params, opt, loss

  return step


def gather_pairs(pool, idx):
  """``pool[idx]`` (uint8 (n, 2, H, W, C)) as float32 in [0, 1]: (input, target)."""
  pairs = pool[idx].astype(jnp.float32) / 255.0
  return pairs[..., 0, :, :, :], pairs[..., 1, :, :, :]


def make_group_step(net, lanes: str = "vmap"):
  """``(params[N], opt[N], hp[N], pool, idx[N, B]) -> (params, opt, loss[N])``, one jit:
  lane i trains on ``pool[idx[i]]``. ``lanes``: ``"vmap"`` batches the lanes' operations
  (one batched matmul per layer); ``"map"`` loops over them inside the program
  (``lax.map``), which XLA CPU runs faster for these small nets (``sweep.lanes``)."""
  one = make_step(net)
  if lanes == "vmap":
    step = jax.vmap(one)
  elif lanes == "map":
    step = lambda *a: jax.lax.map(lambda b: one(*b), a)  # noqa: E731
  else:
    raise errors.ConfigError(f"sweep.lanes must be 'vmap' or 'map', got {lanes!r}")

  def group_step(params, opt, hp, pool, idx):
    x, t = gather_pairs(pool, idx)
    return step(params, opt, hp, x, t)

  return jax.jit(group_step, donate_argnums=(0, 1))


def init_stacked(net, seeds) -> tuple[dict, explicit.SGDState]:
  params = jax.vmap(net.init)(jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds)))
  return params, jax.vmap(explicit.sgd_init)(params)


def psnr_both(out, clean):
  """Both PSNRs the sources use, over the whole set (one MSE, as the EE-559 code):
  ``psnr_float`` on outputs clipped to [0, 1], ``-10 log10(mse + 1e-8)``; ``psnr_uint8``
  on outputs rounded to uint8 against the uint8 clean crops, peak 255."""
  out = jnp.clip(out, 0.0, 1.0)
  psnr_float = -10.0 * jnp.log10(jnp.mean((out - clean) ** 2) + 1e-8)
  mse8 = jnp.mean((jnp.round(out * 255.0) - jnp.round(clean * 255.0)) ** 2)
  return psnr_float, 10.0 * jnp.log10(255.0 ** 2 / mse8)


def make_evaluate(net):
  """``(params[N], noisy, clean) -> (psnr_float[N], psnr_uint8[N])``."""
  return jax.jit(jax.vmap(lambda p, noisy, clean: psnr_both(net(p, noisy), clean),
                          in_axes=(0, None, None)))


def epoch_order(seed: int, repeat: int, epoch: int, n: int, batch: int) -> np.ndarray:
  """The batches of one epoch, (n // batch, batch) indices: a permutation seeded by
  (seed, repeat, epoch); the last partial batch is dropped (one shape per group)."""
  perm = np.random.default_rng((seed, repeat, epoch)).permutation(n)
  steps = n // batch
  return perm[:steps * batch].reshape(steps, batch)


# --- data -----------------------------------------------------------------------------------


def _images(sweep: ml_collections.ConfigDict) -> tuple[str, list[tuple[str, np.ndarray]]]:
  folder = Path(sweep.images) if sweep.images else None
  if folder is not None and folder.is_dir():
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in images.IMAGE_SUFFIXES)
    if paths:
      return str(folder), [(str(p.relative_to(folder)), images.read_uint8(p, 3)) for p in paths]
  out = datasets.embedded_rgb("train") + datasets.embedded_rgb("validation")
  return "embedded scikit-image images", out


def split_images(sweep: ml_collections.ConfigDict, seed: int):
  """(source, train images, validation images): a seeded shuffle of the names, the first
  ``val_images`` held out for validation; no image is in both."""
  source, imgs = _images(sweep)
  order = np.random.default_rng(seed).permutation(len(imgs))
  if len(imgs) <= sweep.val_images:
    raise errors.ConfigError(f"sweep.images: {source} has {len(imgs)} images, need more than "
                             f"sweep.val_images={sweep.val_images} (the rest train)")
  val = [imgs[i] for i in order[:sweep.val_images]]
  return source, [imgs[i] for i in order[sweep.val_images:]], val


def _crops(imgs, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
  small = [name for name, img in imgs if min(img.shape[:2]) < size]
  if small:
    raise errors.ConfigError(f"images smaller than the crop {size}: {small[:3]}")
  which = rng.integers(len(imgs), size=n)
  out = np.empty((n, size, size, 3), np.uint8)
  for j, i in enumerate(which):
    img = imgs[i][1]
    y = rng.integers(img.shape[0] - size + 1)
    x = rng.integers(img.shape[1] - size + 1)
    out[j] = img[y:y + size, x:x + size]
  return out


def _noisy_uint8(clean: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
  noisy = clean + rng.normal(size=clean.shape) * sigma.reshape(-1, 1, 1, 1)
  return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def course_pairs(config: ml_collections.ConfigDict, train_imgs) -> np.ndarray:
  """``sweep.train_pairs`` noisy pairs (n, 2, crop, crop, 3) uint8: random crops of the
  training images, two independent Gaussian draws each, sigma ~ U[sigma_min, sigma_max]
  (0-255 scale) per crop, rounded and clipped to uint8. Fixed by ``config.seed``."""
  rng = np.random.default_rng((config.seed, 1))
  clean = _crops(train_imgs, config.sweep.train_pairs, config.data.crop, rng)
  nz = config.data.noise
  lo = nz.sigma if nz.sigma_min is None else nz.sigma_min
  hi = nz.sigma if nz.sigma_max is None else nz.sigma_max
  sigma = rng.uniform(lo, hi, len(clean))
  return np.stack([_noisy_uint8(clean, sigma, rng), _noisy_uint8(clean, sigma, rng)], axis=1)


def validation_set(config: ml_collections.ConfigDict, val_imgs) -> tuple[np.ndarray, np.ndarray]:
  """(noisy, clean) float32: ``val_crops`` crops of each held-out image, Gaussian noise at
  ``eval.sigma`` seeded by ``eval.seed`` (the same for every setting and every run)."""
  s = config.sweep
  rng = np.random.default_rng((config.eval.seed, 2))
  clean = np.concatenate([_crops([im], s.val_crops, s.val_crop, rng) for im in val_imgs])
  clean = clean.astype(np.float32) / 255.0
  noisy = clean + rng.normal(size=clean.shape) * config.eval.sigma / 255.0
  return noisy.astype(np.float32), clean


# --- settings and groups --------------------------------------------------------------------


def axes(sweep: ml_collections.ConfigDict) -> list[tuple[tuple[str, ...], list[tuple]]]:
  """``sweep.axes`` as [(keys, [values tuple per point])]; a key alone is a 1-tuple."""
  out = []
  for axis in sweep.axes:
    if len(axis) != 2:
      raise errors.ConfigError(f"sweep.axes: {axis!r} is not (key or keys, values)")
    keys, values = axis
    if isinstance(keys, str):
      keys, values = (keys,), [(v,) for v in values]
    else:
      keys, values = tuple(keys), [tuple(v) for v in values]
      bad = [v for v in values if len(v) != len(keys)]
      if bad:
        raise errors.ConfigError(f"sweep.axes: {bad[0]!r} does not have one value for each "
                                 f"of {keys}")
    out.append((keys, values))
  return out


def axis_keys(sweep) -> list[str]:
  return [k for keys, _ in axes(sweep) for k in keys]


def grid(sweep: ml_collections.ConfigDict) -> list[dict]:
  """Every setting: ``{config key: value}`` for each point of the product of the axes."""
  ax = axes(sweep)
  return [{k: v for (keys, _), vals in zip(ax, point) for k, v in zip(keys, vals)}
          for point in itertools.product(*(values for _, values in ax))]


def apply(config: ml_collections.ConfigDict, setting: dict) -> ml_collections.ConfigDict:
  """A copy of ``config`` with the setting's keys set; a key the config does not declare
  is an error (except under ``model_kwargs``, the model's own arguments)."""
  c = config.copy_and_resolve_references()
  with c.unlocked():
    for key, value in setting.items():
      *parents, last = key.split(".")
      node = c
      for part in parents:
        if part not in node:
          raise errors.ConfigError(f"sweep.axes: {key!r} is not a config key")
        node = node[part]
      if last not in node and parents != ["model_kwargs"]:
        raise errors.ConfigError(f"sweep.axes: {key!r} is not a config key")
      node[last] = value
  return c


def _static(setting: dict) -> tuple:
  return tuple(sorted((k, repr(v)) for k, v in setting.items() if k not in TRACED))


def group_id(setting: dict) -> str:
  static = ", ".join(f"{k}={v}" for k, v in _static(setting))
  return static or "all"


def groups(settings: list[dict]) -> list[tuple[str, list[dict]]]:
  """Settings that differ only in ``TRACED`` keys, in first-seen order."""
  out: dict[str, list[dict]] = {}
  for s in settings:
    out.setdefault(group_id(s), []).append(s)
  return list(out.items())


def _engine(config):
  try:
    return ENGINES[config.sweep.engine]
  except KeyError:
    raise errors.ConfigError(f"sweep.engine must be one of {sorted(ENGINES)}, got "
                             f"{config.sweep.engine!r}") from None


def build_net(config):
  """The net ``config.sweep.engine`` trains (``ENGINES``)."""
  return _engine(config)(config.model, config.model_kwargs.to_dict())


def check_shapes(config, net, val_shape) -> str:
  """'' when the step and the validation trace; else the first line of the shape error."""
  b, crop, ch = config.data.batch_size, config.data.crop, 3
  try:  # the nets' geometry first: the same reason in either engine
    for hw in ((crop, crop), tuple(val_shape[1:3])):
      course_nets.check_shapes(config.model, hw, **config.model_kwargs.to_dict())
    params = jax.eval_shape(net.init, jax.random.PRNGKey(0))
    opt = jax.eval_shape(explicit.sgd_init, params)
    hp = hyper(config.optimizer)
    x = jax.ShapeDtypeStruct((b, crop, crop, ch), jnp.float32)
    jax.eval_shape(make_step(net), params, opt, hp, x, x)
    v = jax.ShapeDtypeStruct(val_shape, jnp.float32)
    jax.eval_shape(lambda p, n, c: psnr_both(net(p, n), c), params, v, v)
  except (TypeError, ValueError) as e:
    return str(e).strip().splitlines()[0]
  return ""


def _row(setting, status, note="", pf=(), pu=(), loss=()) -> dict:
  def stats(v):
    v = np.asarray(v, np.float64)
    return (float(v.mean()), float(v.std())) if len(v) else (math.nan, math.nan)
  (pf_m, pf_s), (pu_m, pu_s), (l_m, _) = stats(pf), stats(pu), stats(loss)
  return {"setting": setting, "status": status, "note": note, "psnr_float": list(map(float, pf)),
          "psnr_uint8": list(map(float, pu)), "psnr_float_mean": pf_m, "psnr_float_std": pf_s,
          "psnr_uint8_mean": pu_m, "psnr_uint8_std": pu_s, "final_loss": l_m}


def _prepare(cfg, members: list[dict], val_shape) -> tuple:
  """(net, []) for a group that can train; (None, rows) for an invalid or incompatible one."""
  try:
    net = build_net(cfg)
  except (TypeError, ValueError) as e:
    return None, [_row(m, INVALID, str(e).splitlines()[0]) for m in members]
  error = check_shapes(cfg, net, val_shape)
  return (None, [_row(m, INCOMPATIBLE, error) for m in members]) if error else (net, [])


def group_lanes(settings: list[dict], repeats: int) -> list[tuple[dict, int]]:
  """A group's lanes: ``(setting, repeat)``, setting i's repeats at ``i * repeats + r``."""
  return [(s, r) for s in settings for r in range(repeats)]


def train_lanes(config, net, programs, lanes, pool, n_pairs, epochs, val, desc="") -> dict:
  """Trains ``lanes`` (``group_lanes``: settings of one group) together, one program;
  returns per-lane lists: ``psnr_float``, ``psnr_uint8``, ``loss`` and ``finite``.
  ``programs``: the group's ``(make_group_step(net, ...), make_evaluate(net))``, built once
  per group, so its chunks of the same size share one compiled step.

  Lane ``(setting, r)`` starts from seed ``config.seed + r`` and sees the batches
  ``epoch_order(config.seed, r, epoch, n_pairs, batch)``, whichever lanes it trains with.
  """
  batch = config.data.batch_size
  params, opt = init_stacked(net, [config.seed + r for _, r in lanes])
  hp = hyper([apply(config, s).optimizer for s, _ in lanes])
  step, evaluate = programs
  steps_per_epoch = n_pairs // batch
  if steps_per_epoch == 0:
    raise errors.ConfigError(f"{n_pairs} training pairs make no batch of {batch}")
  lane_repeat = np.asarray([r for _, r in lanes])
  repeats = sorted(set(lane_repeat.tolist()))
  column = np.searchsorted(repeats, lane_repeat)
  last = jnp.zeros(len(lanes))
  finite = np.ones(len(lanes), bool)
  with tqdm(total=epochs * steps_per_epoch, desc=desc, unit="step", dynamic_ncols=True,
            leave=False) as bar:
    for epoch in range(epochs):
      orders = np.stack([epoch_order(config.seed, r, epoch, n_pairs, batch)
                         for r in repeats], axis=1)  # (steps, repeats, batch)
      for idx in orders:
        params, opt, last = step(params, opt, hp, pool, jnp.asarray(idx[column]))
        bar.update()
      finite &= np.isfinite(np.asarray(last))  # a NaN stays NaN: checking per epoch is enough
  pf, pu = (np.asarray(v) for v in evaluate(params, *map(jnp.asarray, val)))
  return {"psnr_float": pf.tolist(), "psnr_uint8": pu.tolist(),
          "loss": np.asarray(last).tolist(), "finite": finite.tolist()}


def group_rows(settings: list[dict], repeats: int, lanes: dict) -> list[dict]:
  """One row per setting from its lanes' results (``train_lanes``, all the group's lanes)."""
  pf, pu, last, finite = (np.asarray(lanes[k]) for k in ("psnr_float", "psnr_uint8", "loss",
                                                         "finite"))
  rows = []
  for i, s in enumerate(settings):
    lane = slice(i * repeats, (i + 1) * repeats)
    ok = finite[lane].all() and np.isfinite(pf[lane]).all() and np.isfinite(pu[lane]).all()
    rows.append(_row(s, OK if ok else DIVERGED, "" if ok else "non-finite loss or output",
                     pf[lane], pu[lane], last[lane]))
  return rows


def rank(rows: list[dict]) -> list[dict]:
  """Best mean float PSNR first; then diverged, incompatible and invalid settings."""
  def key(r):
    return (_STATUS_ORDER[r["status"]], -r["psnr_float_mean"] if r["status"] == OK else 0.0)
  ordered = sorted(rows, key=key)
  for i, r in enumerate(ordered, 1):
    r["rank"] = i
  return ordered


# --- outputs --------------------------------------------------------------------------------

COLUMNS = ("psnr_float_mean", "psnr_float_std", "psnr_uint8_mean", "psnr_uint8_std",
           "final_loss", "status", "note")


def _value_text(v) -> str:
  return repr(v) if isinstance(v, (tuple, list)) else str(v)


def write_csv(path, rows: list[dict], keys: list[str], repeats: int) -> None:
  with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["rank", *keys, "repeats", *COLUMNS])
    for r in rows:
      w.writerow([r["rank"], *(_value_text(r["setting"][k]) for k in keys), repeats,
                  *(f"{r[c]:.4f}" if isinstance(r[c], float) else r[c] for c in COLUMNS)])


def _pm(row: dict, repeats: int) -> str:
  if row["status"] != OK:
    return row["status"]
  m, s = row["psnr_float_mean"], row["psnr_float_std"]
  return f"{m:.2f} ± {s:.2f}" if repeats > 1 else f"{m:.2f}"


def final_table(stages: list[list[dict]], keys: list[str], repeats: int, n: int):
  """The first stage's top ``n`` (the source's table): every axis, then the float PSNR
  in each stage the setting reached ('' where it was not kept)."""
  later = [{json.dumps(r["setting"], sort_keys=True, default=str): r for r in st}
           for st in stages]
  header = ["rank", *keys] + [f"stage {k + 1} PSNR (dB)" for k in range(len(stages))]
  body = []
  for r in stages[0][:n]:
    sid = json.dumps(r["setting"], sort_keys=True, default=str)
    body.append([str(r["rank"]), *(_value_text(r["setting"][k]) for k in keys)]
                + [_pm(st[sid], repeats) if sid in st else "" for st in later])
  return header, body


def write_table(workdir: Path, header, body) -> str:
  with open(workdir / "table.csv", "w", newline="") as f:
    csv.writer(f).writerows([header, *body])
  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  lines += ["| " + " | ".join(row) + " |" for row in body]
  text = "\n".join(lines) + "\n"
  (workdir / "table.md").write_text(text)
  return text


def plot(path, stages: list[list[dict]], noisy_psnr: float) -> None:
  """Per stage, the ranked mean float PSNR (± std) of the settings that trained."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  fig, axs = plt.subplots(1, len(stages), figsize=(5 * len(stages), 4), squeeze=False)
  for k, (ax, rows) in enumerate(zip(axs[0], stages)):
    ok = [r for r in rows if r["status"] == OK]
    ax.errorbar(np.arange(1, len(ok) + 1), [r["psnr_float_mean"] for r in ok],
                yerr=[r["psnr_float_std"] for r in ok], fmt="o", ms=3, lw=0.8)
    ax.axhline(noisy_psnr, color="tab:red", ls="--", label=f"noisy input {noisy_psnr:.2f} dB")
    ax.set_xlabel("rank")
    ax.set_ylabel("validation PSNR (dB, float)")
    ax.set_title(f"stage {k + 1}: {len(ok)} trained of {len(rows)}")
    ax.legend(loc="lower left")
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


# --- the sweep ------------------------------------------------------------------------------


def _as_json(config: ml_collections.ConfigDict) -> dict:
  return json.loads(config.to_json_best_effort())


def config_changes(saved: dict, config: ml_collections.ConfigDict) -> list[str]:
  """``key: saved -> now`` for each key whose value differs between a sweep's saved
  config and ``config``; a key only ``config`` has at ``base_config()``'s default is
  none (the option did not exist when the sweep started, and its default keeps the
  behaviour the sweep had)."""
  before, now, defaults = (traverse_util.flatten_dict(tree, sep=".") for tree in
                           (saved, _as_json(config), _as_json(config_defaults.base_config())))
  missing = object()
  changes = []
  for key in sorted(before.keys() | now.keys()):
    was, value = before.get(key, missing), now.get(key, missing)
    if was is missing and key in defaults and value == defaults[key]:
      continue
    if was != value:
      was, value = ("(none)" if v is missing else repr(v) for v in (was, value))
      changes.append(f"{key}: {was} -> {value}")
  return changes


def _write_state(workdir: Path, state: dict) -> None:
  # a kill leaves the previous state or this one
  files.write_text_atomically(workdir / STATE, json.dumps(state, indent=1, default=str))


def _load_state(workdir: Path, config) -> dict:
  path = workdir / STATE
  if not path.exists():
    if any(workdir.glob("stage*.csv")):
      raise errors.OutputExistsError(f"{workdir} holds sweep outputs but no {STATE}: use "
                                     "another --workdir")
    return {"config": _as_json(config), "done": False, "stages": [], "seconds": 0.0}
  state = json.loads(path.read_text())
  if state["done"]:
    raise errors.OutputExistsError(f"{path}: this sweep is finished and is not overwritten; "
                                   "use another --workdir")
  changes = config_changes(state["config"], config)
  if changes:
    more = f"; and {len(changes) - 5} more" if len(changes) > 5 else ""
    raise errors.OutputExistsError(f"{path} is a sweep of another config ({'; '.join(changes[:5])}"
                                   f"{more}): resume it with its own config (config.json) or "
                                   "use another --workdir")
  for stage in state["stages"]:  # JSON made the settings' tuples lists: back, as in the grid
    for row in stage["rows"]:
      row["setting"] = {k: _tuples(v) for k, v in row["setting"].items()}
  return state


def _tuples(v):
  return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def _stage_settings(config, settings, state, k) -> list[dict]:
  if k == 0:
    return settings
  keep = config.sweep.stages[k - 1][2]
  prev = rank([dict(r) for r in state["stages"][k - 1]["rows"]])
  ok = [r["setting"] for r in prev if r["status"] == OK]
  return ok[:keep] if keep else ok


def run_sweep(config: ml_collections.ConfigDict, workdir: str | os.PathLike,
              stop_after: int = 0) -> list[list[dict]]:
  """Runs (or resumes) the sweep; returns each stage's ranked rows.

  ``stop_after`` > 0 returns once this call has recorded that many groups or chunks of a
  group (``sweep.max_lanes``): what a kill between two of them leaves; for tests.
  """
  workdir = Path(workdir)
  s = config.sweep
  if config.optimizer.name != "sgd":
    raise errors.ConfigError("sweeps train with the explicit framework's SGD: set "
                             "optimizer.name='sgd'")
  if not s.stages:
    raise errors.ConfigError("sweep.stages is empty: give (training pairs, epochs, keep)")
  if config.precision != "float32":
    raise errors.ConfigError("sweeps train in float32 (the explicit framework has no other "
                             f"precision): config.precision must be 'float32', got "
                             f"{config.precision!r}")
  if config.model not in explicit.NETS:
    raise errors.ConfigError(f"sweeps train the course nets, in either engine: model must be one "
                             f"of {sorted(explicit.NETS)}, got {config.model!r}")
  _engine(config)  # a typo is one error, not a sweep of "invalid setting" rows
  settings = grid(s)
  for st in settings:
    apply(config, st)  # every axis names a config key
  workdir.mkdir(parents=True, exist_ok=True)
  state = _load_state(workdir, config)
  (workdir / "config.json").write_text(config.to_json_best_effort(indent=1, sort_keys=True))
  source, train_imgs, val_imgs = split_images(s, config.seed)
  print(f"data: {len(train_imgs)} training and {len(val_imgs)} validation images from {source}")
  logging.info("training images: %s", [n for n, _ in train_imgs])
  logging.info("validation images: %s", [n for n, _ in val_imgs])
  pool = jnp.asarray(course_pairs(config, train_imgs))  # whole: one program for every stage
  val = validation_set(config, val_imgs)
  noisy_psnr = float(psnr_both(jnp.asarray(val[0]), jnp.asarray(val[1]))[0])
  keys = axis_keys(s)
  recorded = 0  # groups and chunks of groups this call has written to the state

  def stopped():  # where the test's "kill" comes
    return stop_after and recorded == stop_after

  for k, (n_pairs, epochs, _) in enumerate(s.stages):
    n_pairs = n_pairs or s.train_pairs
    if n_pairs > s.train_pairs:
      raise errors.ConfigError(f"sweep.stages[{k}] asks {n_pairs} training pairs, "
                               f"sweep.train_pairs is {s.train_pairs}")
    if len(state["stages"]) == k:
      state["stages"].append({"rows": [], "groups_done": []})
      _write_state(workdir, state)
    stage = state["stages"][k]
    todo = groups(_stage_settings(config, settings, state, k))
    for g, (gid, members) in enumerate(todo):
      if gid in stage["groups_done"]:
        continue
      desc = f"stage {k + 1} group {g + 1}/{len(todo)}"
      t0 = tick = time.time()
      cfg = apply(config, members[0])
      net, rows = _prepare(cfg, members, val[0].shape)
      if net is not None:  # in chunks of at most sweep.max_lanes lanes, each recorded
        lanes = group_lanes(members, s.repeats)
        size = s.max_lanes or len(lanes)
        done = stage.setdefault("partial", {}).setdefault(gid, [])  # its finished chunks
        programs = make_group_step(net, cfg.sweep.lanes), make_evaluate(net)
        for start in range(len(done) * size, len(lanes), size):
          if stopped():
            return [rank(st["rows"]) for st in state["stages"]]
          chunk = lanes[start:start + size]
          part = ("" if size >= len(lanes) else f", lane {start + 1} of {len(lanes)}" if size == 1
                  else f", lanes {start + 1}-{start + len(chunk)} of {len(lanes)}")
          done.append(train_lanes(cfg, net, programs, chunk, pool, n_pairs, epochs, val,
                                  desc + part))
          recorded += 1
          state["seconds"] += time.time() - tick
          _write_state(workdir, state)
          if part:
            print(f"{desc}{part}: {time.time() - tick:.0f} s")
          tick = time.time()
        rows = group_rows(members, s.repeats,
                          {key: sum((c[key] for c in done), []) for key in done[0]})
        del stage["partial"][gid]
      elif stopped():
        return [rank(st["rows"]) for st in state["stages"]]
      else:
        recorded += 1
      stage["rows"] += rows
      stage["groups_done"].append(gid)
      state["seconds"] += time.time() - tick
      _write_state(workdir, state)
      best = max((r["psnr_float_mean"] for r in rows if r["status"] == OK), default=math.nan)
      print(f"{desc} ({gid}): {len(rows)} settings x "
            f"{s.repeats}, {rows[0]['status'] if math.isnan(best) else f'best {best:.2f} dB'}, "
            f"{time.time() - t0:.0f} s")
    write_csv(workdir / f"stage{k + 1}.csv", rank(stage["rows"]), keys, s.repeats)
  stages = [rank(st["rows"]) for st in state["stages"]]
  write_table(workdir, *final_table(stages, keys, s.repeats, s.table_rows))
  plot(workdir / "sweep.png", stages, noisy_psnr)
  state["done"] = True
  state["noisy_psnr"] = noisy_psnr
  _write_state(workdir, state)
  return stages
