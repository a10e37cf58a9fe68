"""The project's own model format: a directory with ``model.json`` and an orbax state.

``model.json`` holds the registry name and constructor kwargs, so the model is
rebuilt from the file alone: ``model = load_model(path)``.
"""
import json
import os
from pathlib import Path

import orbax.checkpoint as ocp
from flax import nnx

from jaxrestore import models


def save_model(path: str | os.PathLike, model: nnx.Module, name: str, **kwargs) -> Path:
  """Writes ``model`` (parameters and BN statistics) to the directory ``path``."""
  path = Path(path).absolute()
  if path.exists():
    raise FileExistsError(f"refusing to overwrite existing checkpoint {path}")
  path.mkdir(parents=True)
  (path / "model.json").write_text(json.dumps({"name": name, "kwargs": kwargs}, indent=2))
  with ocp.StandardCheckpointer() as ckptr:
    ckptr.save(path / "state", nnx.state(model))
  return path


def is_model_dir(path: str | os.PathLike) -> bool:
  return (Path(path) / "model.json").is_file()


def load_model(path: str | os.PathLike, seed: int = 0) -> tuple[nnx.Module, str, dict]:
  """Rebuilds the model saved in ``path``; returns (model, name, kwargs)."""
  path = Path(path).absolute()
  if not is_model_dir(path):
    raise FileNotFoundError(f"{path}: not a jaxrestore model directory (no model.json)")
  spec = json.loads((path / "model.json").read_text())
  model = models.create(spec["name"], rngs=nnx.Rngs(seed), **spec["kwargs"])
  abstract = nnx.state(model)
  with ocp.StandardCheckpointer() as ckptr:
    state = ckptr.restore(path / "state", abstract)
  nnx.update(model, state)
  return model, spec["name"], spec["kwargs"]
