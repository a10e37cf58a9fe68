"""PyTorch <-> NNX weight porting (the only JAX-side package that imports torch).

    model = models.create("kair_dncnn17_merged", rngs=nnx.Rngs(0))
    porting.load_torch(model, "dncnn_25.pth")      # strict: names and shapes
    porting.load_torch(model, "net.pth", rename=[(r"^dncnn\\.", "model.")])
    state = porting.to_torch_state_dict(model)     # for torch_ref's load_state_dict

A file goes through ``torch_io.read_state_dict`` (safe load, unwrapping, wrapper
prefixes, then the caller's rename rules in order) and ``mapping.torch_to_nnx``
(every key used, every shape checked). ``inspect_checkpoint`` shows the file
beside the model when they do not fit.
"""
import os
from pathlib import Path

from flax import nnx

from jaxrestore import checkpoints, errors, models, tasks
from jaxrestore.porting import course_nets, desnownet, dncnn, n2n_unet  # noqa: F401  (registers the mappings)
from jaxrestore.porting import attentive_gan, vgg  # noqa: F401  (registers the mappings)
from jaxrestore.porting.dncnn import merge_bn, merged_spec
from jaxrestore.porting.inspection import inspect, suggest_renames
from jaxrestore.porting.mapping import PortingError, adapt_file_state, nnx_to_torch, torch_to_nnx
from jaxrestore.porting.torch_io import (CheckpointError, RenameRules, StateDict, apply_renames,
                                         is_torch_file, read_state_dict, select_state_dict,
                                         strip_wrapper_prefixes,
                                         to_numpy_state, to_torch, write_state_dict)


def _state(path_or_state, key: str | None, rename: RenameRules) -> StateDict:
  if isinstance(path_or_state, (str, os.PathLike)):
    return read_state_dict(path_or_state, key=key, rename=rename)
  state = to_numpy_state(select_state_dict(path_or_state, "state dict", key))
  return apply_renames(strip_wrapper_prefixes(state), rename)


def load_torch(model: nnx.Module, path_or_state, key: str | None = None,
               rename: RenameRules = ()) -> nnx.Module:
  """Loads a torch file (``.pth``, ``.safetensors``) or state dict into ``model`` (in place).

  ``key``: the entry of a wrapped file ('a/b' nested); ``rename``: ``(regex,
  replacement)`` rules applied in order to every key (``re.sub``) before the
  strict match.
  """
  return torch_to_nnx(_state(path_or_state, key, rename), model)


def _create(path, model_name, model_kwargs, seed, precision="float32"):
  if not model_name:
    raise CheckpointError(f"{path}: a torch checkpoint needs the model name (config.model)")
  return models.create(model_name, rngs=nnx.Rngs(seed), precision=precision,
                       **(model_kwargs or {}))


def load_checkpoint(path, model_name: str | None = None, model_kwargs: dict | None = None,
                    key: str | None = None, seed: int = 0,
                    rename: RenameRules = (), precision: str = "float32") -> nnx.Module:
  """Any checkpoint the project reads: a model directory, a training workdir (its best
  checkpoint), or a torch file, which needs ``model_name`` (and kwargs). A published
  file's known extras are dropped first where the model registers an adapter
  (torchvision VGG16's ``classifier.*``); porting is strict after that. ``precision``:
  the model's compute precision (the weights are float32 for any).
  """
  own = checkpoints.is_model_dir(path) or checkpoints.is_workdir(path)
  if own and (key or rename):
    raise CheckpointError(f"{path} is a jaxrestore checkpoint: the checkpoint key and rename "
                          "rules apply to torch files only")
  if checkpoints.is_model_dir(path):
    return checkpoints.load_model(path, seed=seed, precision=precision)[0]
  if checkpoints.is_workdir(path):
    return tasks.load_trained_model(path, seed=seed, precision=precision)[0]
  model = _create(path, model_name, model_kwargs, seed, precision)
  state = read_state_dict(path, key=key, rename=rename)
  try:
    return torch_to_nnx(adapt_file_state(model, state), model)
  except PortingError as e:
    raise PortingError(f"{path}: {e} (scripts/port.py with --config.inspect=True shows the "
                       "file beside the model)") from None


def inspect_checkpoint(path, model_name: str, model_kwargs: dict | None = None,
                       key: str | None = None, rename: RenameRules = ()) -> str:
  """The report of ``inspection.inspect`` for a torch file and a registry model."""
  model = _create(path, model_name, model_kwargs, 0)
  return inspect(model, adapt_file_state(model, read_state_dict(path, key=key)), rename)


def convert(src, dst, model_name: str | None = None, model_kwargs: dict | None = None,
            key: str | None = None, rename: RenameRules = (), merge_bn: bool = False) -> Path:
  """Any checkpoint -> a torch file (``dst`` ending ``.pth``/``.pt``/``.safetensors``, the
  twin's layout) or a new jaxrestore model directory (any other ``dst``).

  ``merge_bn``: fold the BatchNorm into the convs first (DnCNN family; a model
  directory then names the merged preset, e.g. ``kair_dncnn17_merged``).
  """
  src, dst = Path(src), Path(dst)
  if dst.exists():
    raise errors.OutputExistsError(f"refusing to overwrite {dst}")
  model = load_checkpoint(src, model_name, model_kwargs, key=key, rename=rename)
  if merge_bn:
    model = dncnn.merge_bn(model)
  if is_torch_file(dst):
    return write_state_dict(dst, nnx_to_torch(model))
  if checkpoints.is_model_dir(src):
    model_name, model_kwargs = checkpoints.model_spec(src)
  elif checkpoints.is_workdir(src):
    model_name, model_kwargs = checkpoints.workdir_model_spec(src)
  if merge_bn:
    model_name, model_kwargs = merged_spec(model_name, model_kwargs or {})
  return checkpoints.save_model(dst, model, model_name, **(model_kwargs or {}))


def to_torch_state_dict(model: nnx.Module):
  """``model``'s weights as a state dict for its torch_ref twin."""
  return to_torch(nnx_to_torch(model))


__all__ = ["CheckpointError", "PortingError", "apply_renames", "convert", "inspect",
           "inspect_checkpoint", "is_torch_file", "load_checkpoint", "load_torch", "merge_bn",
           "merged_spec", "nnx_to_torch", "read_state_dict", "suggest_renames",
           "to_numpy_state", "to_torch_state_dict", "torch_to_nnx", "write_state_dict"]
