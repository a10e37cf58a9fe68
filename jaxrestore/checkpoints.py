"""The project's own checkpoint formats, and loading a model from either.

* A model directory (``save_model``): ``model.json`` (registry name + kwargs) and
  ``state/``, an orbax checkpoint of ``{"params": ..., "buffers": ...}`` (parameters,
  and the other variables such as BatchNorm statistics; directories written before
  the rename hold ``rest`` instead of ``buffers`` and still load).
* A training workdir (``train.train_and_evaluate``): ``config.json`` plus orbax
  checkpoints in ``best/`` and ``checkpoints/``, whose ``state`` item holds the
  same ``params`` / ``buffers`` next to the optimiser state, at the place of the
  trained model in the task's state (``tasks.Task.model_state_path``: the
  generator of a GAN).

Loading is strict, as porting is: every variable of the freshly built model is
found by path with the same shape, and nothing is left over.
"""
import json
import os
from pathlib import Path

import jax
import numpy as np
import orbax.checkpoint as ocp
from flax import nnx

from jaxrestore import errors, models


class CheckpointFormatError(errors.UserError, ValueError):
  """A checkpoint that does not fit the model it names."""


def save_model(path: str | os.PathLike, model: nnx.Module, name: str, **kwargs) -> Path:
  """Writes ``model`` (parameters and BN statistics) to the new directory ``path``."""
  path = Path(path).absolute()
  if path.exists():
    raise errors.OutputExistsError(f"refusing to overwrite existing checkpoint {path}")
  path.mkdir(parents=True)
  (path / "model.json").write_text(json.dumps({"name": name, "kwargs": kwargs}, indent=2))
  _, params, buffers = nnx.split(model, nnx.Param, ...)
  with ocp.StandardCheckpointer() as ckptr:
    ckptr.save(path / "state", {"params": params, "buffers": buffers})
  return path


def _key(entry) -> str:
  return str(getattr(entry, "key", getattr(entry, "name", getattr(entry, "idx", entry))))


def _fill(model: nnx.Module, raw: dict, where: Path) -> nnx.Module:
  """Writes the restored ``{"params", "buffers"}`` tree into ``model`` (strict)."""
  if "rest" in raw and "buffers" not in raw:  # the name before buffers
    raw = {"params": raw.get("params", {}), "buffers": raw["rest"]}
  _, params, buffers = nnx.split(model, nnx.Param, ...)
  ours = {}
  for group, tree in (("params", params), ("buffers", buffers)):
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
      ours[(group,) + tuple(_key(p) for p in path)] = leaf
  theirs = {}
  for path, leaf in jax.tree_util.tree_flatten_with_path(
      {k: raw.get(k, {}) for k in ("params", "buffers")})[0]:
    theirs[tuple(_key(p) for p in path)] = leaf
  missing, extra = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
  if missing or extra:
    fmt = lambda ks: [".".join(k) for k in ks[:5]]  # noqa: E731
    raise CheckpointFormatError(f"{where} does not fit {type(model).__name__}: missing "
                                f"{fmt(missing)}, unexpected {fmt(extra)}")
  for k, leaf in ours.items():
    if np.shape(theirs[k]) != np.shape(leaf):
      raise CheckpointFormatError(f"{where}: {'.'.join(k)} has shape {np.shape(theirs[k])}, "
                                  f"the model expects {np.shape(leaf)}")
  leaves = [np.asarray(theirs[k]).astype(np.asarray(leaf).dtype) for k, leaf in ours.items()]
  treedef = jax.tree.structure((params, buffers))
  new_params, new_buffers = jax.tree.unflatten(treedef, leaves)
  nnx.update(model, new_params, new_buffers)
  return model


def _restore_raw(state_dir: Path) -> dict:
  with ocp.StandardCheckpointer() as ckptr:
    return ckptr.restore(state_dir)


def is_model_dir(path: str | os.PathLike) -> bool:
  return (Path(path) / "model.json").is_file()


def is_workdir(path: str | os.PathLike) -> bool:
  return (Path(path) / "config.json").is_file() and (
      (Path(path) / "checkpoints").is_dir() or (Path(path) / "best").is_dir())


def model_spec(path: str | os.PathLike) -> tuple[str, dict]:
  """(registry name, kwargs) of the model saved by ``save_model`` in ``path``."""
  path = Path(path).absolute()
  if not is_model_dir(path):
    raise errors.NotFoundError(f"{path}: not a jaxrestore model directory (no model.json)")
  spec = json.loads((path / "model.json").read_text())
  return spec["name"], spec["kwargs"]


def workdir_config(workdir: str | os.PathLike) -> dict:
  """The config a training workdir was trained with (its ``config.json``)."""
  return json.loads((Path(workdir) / "config.json").read_text())


def workdir_model_spec(workdir: str | os.PathLike) -> tuple[str, dict]:
  """(registry name, kwargs) of the model a training workdir trains."""
  config = workdir_config(workdir)
  return config["model"], config["model_kwargs"]


def load_model(path: str | os.PathLike, seed: int = 0,
               precision: str = "float32") -> tuple[nnx.Module, str, dict]:
  """Rebuilds the model saved by ``save_model`` (computing in ``precision``: the saved
  weights are the same for any); returns (model, name, kwargs)."""
  name, kwargs = model_spec(path)
  model = models.create(name, rngs=nnx.Rngs(seed), precision=precision, **kwargs)
  path = Path(path).absolute()
  return _fill(model, _restore_raw(path / "state"), path), name, kwargs


def _steps(d: Path) -> list[int]:
  return sorted(int(p.name) for p in d.iterdir() if p.name.isdigit()) if d.is_dir() else []


def load_from_workdir(workdir: str | os.PathLike, which: str = "best", seed: int = 0,
                      state_path: tuple[str, ...] = (),
                      precision: str = "float32") -> tuple[nnx.Module, str, dict, int]:
  """The model of a training workdir: ``which`` = 'best' (by eval PSNR) or 'latest'.

  ``state_path``: where the model's ``params`` / ``buffers`` sit in the saved training
  state (the task's ``model_state_path``; ``()`` for a one-model state). Falls back
  to the latest checkpoint when the run has no evaluated one. Returns (model, name,
  kwargs, step). ``precision``: the model's compute precision, whatever the run's was.
  """
  workdir = Path(workdir).absolute()
  name, kwargs = workdir_model_spec(workdir)
  model = models.create(name, rngs=nnx.Rngs(seed), precision=precision, **kwargs)
  steps = _steps(workdir / "best") if which == "best" else []
  sub = "best"
  if not steps:
    steps, sub = _steps(workdir / "checkpoints"), "checkpoints"
  if not steps:
    raise errors.NotFoundError(f"{workdir}: no finished checkpoint")
  state_dir = workdir / sub / str(steps[-1]) / "state"
  raw = _restore_raw(state_dir)
  for key in state_path:
    raw = raw[key]
  return _fill(model, raw, state_dir), name, kwargs, steps[-1]
