"""Reading PyTorch checkpoints safely.

Always ``torch.load(..., weights_only=True)``: a pickle that would run code is
refused, never executed.
"""
import os
import pickle

import numpy as np
import torch


class CheckpointError(ValueError):
  """A file that cannot be read as a checkpoint."""


def load_torch_state_dict(path: str | os.PathLike, key: str | None = None) -> dict[str, np.ndarray]:
  """Loads a ``.pth`` state dict as ``{name: numpy array}``.

  Args:
    path: the file written by ``torch.save``.
    key: when the file holds a dict wrapping the state dict (``{'state_dict': ...}``,
      ``{'Net': ...}``), the entry to take. Nested keys are separated by '/'.
  """
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise CheckpointError(f"checkpoint not found: {path}")
  try:
    obj = torch.load(path, map_location="cpu", weights_only=True)
  except pickle.UnpicklingError as e:
    raise CheckpointError(
        f"{path}: refused to load: it is not a plain tensor checkpoint (loading it would need "
        f"arbitrary pickled objects, which weights_only=True forbids). Details: {e}") from None
  except Exception as e:  # torch.load raises many types (IndexError, RuntimeError, ...)
    raise CheckpointError(f"{path}: not a PyTorch checkpoint ({type(e).__name__}: {e})") from None
  for part in (key.split("/") if key else []):
    if not isinstance(obj, dict) or part not in obj:
      keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
      raise CheckpointError(f"{path}: no entry {part!r} (found {keys})")
    obj = obj[part]
  if not isinstance(obj, dict) or not obj:
    raise CheckpointError(f"{path}: expected a non-empty state dict, got {type(obj).__name__}")
  bad = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
  if bad:
    raise CheckpointError(
        f"{path}: entries {bad[:5]} are not tensors; if the state dict is wrapped, pass key= "
        f"one of {sorted(obj)[:10]}")
  return {k: v.detach().cpu().numpy() for k, v in obj.items()}


def to_torch(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
  """numpy state dict -> torch state dict (int32 counters widened to torch's int64)."""
  out = {}
  for k, v in state.items():
    t = torch.from_numpy(np.array(v, copy=True))
    out[k] = t.long() if t.dtype == torch.int32 else t
  return out
