"""PyTorch <-> NNX weight porting (the only JAX-side package that imports torch).

    model = models.create("kair_dncnn17_merged", rngs=nnx.Rngs(0))
    porting.load_torch(model, "dncnn_25.pth")      # strict: names and shapes
    state = porting.to_torch_state_dict(model)     # for torch_ref's load_state_dict
"""
import os

import torch
from flax import nnx

from jaxrestore import checkpoints, models
from jaxrestore.porting import dncnn  # noqa: F401  (registers the mappings)
from jaxrestore.porting.mapping import PortingError, nnx_to_torch, torch_to_nnx
from jaxrestore.porting.torch_io import CheckpointError, load_torch_state_dict, to_torch


def load_torch(model: nnx.Module, path_or_state, key: str | None = None) -> nnx.Module:
  """Loads a torch ``.pth`` path or state dict into ``model`` (in place, strict)."""
  if isinstance(path_or_state, (str, os.PathLike)):
    state = load_torch_state_dict(path_or_state, key=key)
  else:
    state = {k: v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else v
             for k, v in path_or_state.items()}
  return torch_to_nnx(state, model)


def load_checkpoint(path, model_name: str | None = None, model_kwargs: dict | None = None,
                    key: str | None = None, seed: int = 0) -> nnx.Module:
  """Any checkpoint the project reads: its own model directory, or a torch ``.pth``.

  A ``.pth`` needs ``model_name`` (and kwargs) to know which model it holds.
  """
  if checkpoints.is_model_dir(path):
    return checkpoints.load_model(path, seed=seed)[0]
  if not model_name:
    raise CheckpointError(f"{path}: a torch checkpoint needs the model name (config.model)")
  model = models.create(model_name, rngs=nnx.Rngs(seed), **(model_kwargs or {}))
  return load_torch(model, path, key=key)


def to_torch_state_dict(model: nnx.Module) -> dict[str, torch.Tensor]:
  """``model``'s weights as a state dict for its torch_ref twin."""
  return to_torch(nnx_to_torch(model))


__all__ = ["CheckpointError", "PortingError", "load_checkpoint", "load_torch", "load_torch_state_dict",
           "to_torch_state_dict", "torch_to_nnx", "nnx_to_torch"]
