"""PyTorch <-> NNX weight porting (the only JAX-side package that imports torch).

    model = models.create("kair_dncnn17_merged", rngs=nnx.Rngs(0))
    porting.load_torch(model, "dncnn_25.pth")      # strict: names and shapes
    state = porting.to_torch_state_dict(model)     # for torch_ref's load_state_dict
"""
import os
from pathlib import Path

import torch
from flax import nnx

from jaxrestore import checkpoints, models
from jaxrestore.porting import course_nets, desnownet, dncnn, n2n_unet  # noqa: F401  (registers the mappings)
from jaxrestore.porting import attentive_gan, vgg  # noqa: F401  (registers the mappings)
from jaxrestore.porting.mapping import PortingError, adapt_file_state, nnx_to_torch, torch_to_nnx
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
  """Any checkpoint the project reads: a model directory, a training workdir (its best
  checkpoint), or a torch ``.pth``, which needs ``model_name`` (and kwargs). A
  published file's known extras are dropped first where the model registers an
  adapter (torchvision VGG16's ``classifier.*``); porting is strict after that.
  """
  if checkpoints.is_model_dir(path):
    return checkpoints.load_model(path, seed=seed)[0]
  if checkpoints.is_workdir(path):
    return checkpoints.load_from_workdir(path, seed=seed)[0]
  if not model_name:
    raise CheckpointError(f"{path}: a torch checkpoint needs the model name (config.model)")
  model = models.create(model_name, rngs=nnx.Rngs(seed), **(model_kwargs or {}))
  return torch_to_nnx(adapt_file_state(model, load_torch_state_dict(path, key=key)), model)


def convert(src, dst, model_name: str | None = None, model_kwargs: dict | None = None,
            key: str | None = None) -> Path:
  """torch ``.pth`` -> model directory, or model directory / workdir -> torch ``.pth``."""
  src, dst = Path(src), Path(dst)
  if dst.exists():
    raise FileExistsError(f"refusing to overwrite {dst}")
  if checkpoints.is_model_dir(src) or checkpoints.is_workdir(src):
    model = load_checkpoint(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(to_torch_state_dict(model), dst)
    return dst
  if not model_name:
    raise CheckpointError(f"{src}: a torch checkpoint needs the model name (config.model)")
  model = load_checkpoint(src, model_name, model_kwargs, key=key)
  return checkpoints.save_model(dst, model, model_name, **(model_kwargs or {}))


def to_torch_state_dict(model: nnx.Module) -> dict[str, torch.Tensor]:
  """``model``'s weights as a state dict for its torch_ref twin."""
  return to_torch(nnx_to_torch(model))


__all__ = ["CheckpointError", "PortingError", "convert", "load_checkpoint", "load_torch", "load_torch_state_dict",
           "to_torch_state_dict", "torch_to_nnx", "nnx_to_torch"]
