"""Reading the PyTorch checkpoints people have, safely, as ``{name: numpy array}``.

What a file may be, and what ``read_state_dict`` does with it:

* ``.pth`` / ``.pt`` in torch's zip format or its legacy (pre-1.6) format, tensors
  saved on the CPU or on CUDA: always ``torch.load(..., weights_only=True,
  map_location="cpu")``. A pickle that would run code (a whole pickled
  ``nn.Module``, say) is refused, never executed, with how to re-save it.
* ``.safetensors``: read without pickle (and without torch), any dtype.
* A state dict wrapped in a training checkpoint (``{'state_dict': ..., 'epoch': ...}``,
  ``{'params': ...}``, ``{'model': ...}``, ``{'net': ...}``): when exactly one entry is
  a non-empty dict of tensors it is taken, and a log line says which; otherwise the
  error lists the entries. ``key`` names one explicitly (nested with '/').
* Keys saved through a wrapper: when *every* key starts with ``module.``
  (``nn.DataParallel``, DDP) or ``_orig_mod.`` (``torch.compile``), the prefix is
  removed (repeatedly, for a compiled model in DataParallel) and a log line says so.

Then the caller's rename rules (``apply_renames``), and strict matching
(``mapping.torch_to_nnx``). The returned ``StateDict`` keeps torch's per-module
version numbers (``_metadata``), which decide whether a BatchNorm may lack its
``num_batches_tracked`` counter (saved before torch 0.4.1; see ``mapping``).
"""
import logging
import os
import pickle
import re
import sys
from pathlib import Path

import numpy as np

from jaxrestore import errors

_log = logging.getLogger(__name__)

TORCH_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".safetensors")
WRAPPER_PREFIXES = ("module.", "_orig_mod.")

RenameRules = list[tuple[str, str]] | tuple[tuple[str, str], ...]


class CheckpointError(errors.UserError, ValueError):
  """A file that cannot be read as a checkpoint."""


class StateDict(dict):
  """``{key: numpy array}`` plus ``versions``: torch's ``_metadata`` version of each module
  prefix that had one (``{'model.3': 2, ...}``); empty for files that carry none."""

  def __init__(self, items=(), versions: dict[str, int] | None = None):
    super().__init__(items)
    self.versions = dict(versions or {})


def is_torch_file(path: str | os.PathLike) -> bool:
  """A checkpoint file (by suffix) rather than a jaxrestore model directory or workdir."""
  return Path(path).suffix.lower() in TORCH_SUFFIXES


def import_torch():
  """torch, which only ``.pth`` / ``.pt`` files need; it comes with the ``[torch]`` extra."""
  try:
    import torch  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise CheckpointError("reading or writing .pth / .pt files needs PyTorch: "
                          "pip install 'jaxrestore[torch]' (.safetensors files do not)") from None
  return torch


def _torch_load(path: str):
  torch = import_torch()
  try:
    return torch.load(path, map_location="cpu", weights_only=True)
  except pickle.UnpicklingError as e:
    found = re.search(r"GLOBAL ([\w.]+)", str(e))
    what = f"the Python object {found.group(1)}" if found else "arbitrary Python objects"
    raise CheckpointError(
        f"{path}: refused to load: the file pickles {what}, not only tensors (a whole "
        f"model saved with torch.save(model, ...)?), and unpickling it could run code. Its "
        f"owner can re-save the weights alone: torch.save(model.state_dict(), 'weights.pth')"
    ) from None
  except Exception as e:  # torch.load raises many types (IndexError, RuntimeError, ...)
    raise CheckpointError(f"{path}: not a PyTorch checkpoint ({type(e).__name__}: {e})") from None


def _safetensors_load(path: str) -> dict[str, np.ndarray]:
  import ml_dtypes  # pylint: disable=g-import-not-at-top
  from safetensors import SafetensorError, safe_open  # pylint: disable=g-import-not-at-top

  extra = {"BF16": ml_dtypes.bfloat16, "F8_E4M3": ml_dtypes.float8_e4m3fn,
           "F8_E5M2": ml_dtypes.float8_e5m2}  # dtypes numpy lacks, read as raw bytes
  try:
    out = {}
    with safe_open(path, framework="numpy") as f:
      for name in f.keys():
        sl = f.get_slice(name)
        dtype = sl.get_dtype()
        if dtype in extra:
          raw = np.frombuffer(_tensor_bytes(path, name), extra[dtype])
          out[name] = raw.reshape(sl.get_shape())
        else:
          out[name] = f.get_tensor(name)
    return out
  except (SafetensorError, OSError, ValueError) as e:
    raise CheckpointError(f"{path}: not a safetensors file ({e})") from None


def _tensor_bytes(path: str, name: str) -> bytes:
  """The raw little-endian bytes of one tensor (safetensors: 8-byte header size, JSON
  header with byte offsets relative to the end of the header, then the data)."""
  import json  # pylint: disable=g-import-not-at-top
  with open(path, "rb") as f:
    n = int.from_bytes(f.read(8), "little")
    begin, end = json.loads(f.read(n))[name]["data_offsets"]
    f.seek(8 + n + begin)
    return f.read(end - begin)


def _is_tensor(v) -> bool:
  torch = sys.modules.get("torch")  # a torch tensor means torch is imported already
  return isinstance(v, np.ndarray) or (torch is not None and isinstance(v, torch.Tensor))


def _is_state_dict(obj) -> bool:
  return isinstance(obj, dict) and bool(obj) and all(_is_tensor(v) for v in obj.values())


def select_state_dict(obj, path: str, key: str | None):
  """The state dict inside ``obj``: ``key`` ('a/b'), ``obj`` itself, or its one candidate."""
  for part in (key.split("/") if key else []):
    if not isinstance(obj, dict) or part not in obj:
      keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
      raise CheckpointError(f"{path}: no entry {part!r} (found {keys})")
    obj = obj[part]
  if not isinstance(obj, dict) or not obj:
    raise CheckpointError(f"{path}: expected a non-empty state dict, got {type(obj).__name__}")
  if _is_state_dict(obj) or key:
    return obj
  candidates = [k for k, v in obj.items() if _is_state_dict(v)]
  if len(candidates) == 1:
    _log.warning("%s: using its entry %r as the state dict (the others: %s)", path,
                 candidates[0], sorted(str(k) for k in obj if k != candidates[0]))
    return obj[candidates[0]]
  listing = {str(k): (f"dict of {len(v)}" if isinstance(v, dict) else type(v).__name__)
             for k, v in obj.items()}
  which = (f"{len(candidates)} entries are state dicts ({candidates})" if candidates
           else "no entry is a dict of tensors")
  raise CheckpointError(f"{path}: the file wraps its weights and {which}; entries: {listing}. "
                        f"Choose one with the checkpoint key (e.g. key='{(candidates or ['state_dict'])[0]}')")


def strip_wrapper_prefixes(state: StateDict, where: str = "state dict") -> StateDict:
  """Removes ``module.`` / ``_orig_mod.`` while every key starts with it."""
  while state:
    prefix = next((p for p in WRAPPER_PREFIXES if all(k.startswith(p) for k in state)), None)
    if prefix is None:
      return state
    _log.warning("%s: every key starts with %r (saved through %s); removed it", where, prefix,
                 "nn.DataParallel / DDP" if prefix == "module." else "torch.compile")
    state = StateDict({k[len(prefix):]: v for k, v in state.items()},
                      {m[len(prefix):]: v for m, v in state.versions.items()
                       if m.startswith(prefix)})
  return state


def apply_renames(state: StateDict, rules: RenameRules) -> StateDict:
  """Applies ``re.sub(pattern, replacement, key)`` for each rule in order to every key.

  Strict: a rule that changes no key, or two keys renamed to one name, is a
  ``CheckpointError`` naming them. Module versions follow their keys.
  """
  if not rules:
    return state
  for rule in rules:
    if (isinstance(rule, str) or len(rule) != 2
        or not all(isinstance(part, str) for part in rule)):
      raise CheckpointError(f"rename rule {rule!r} is not a (pattern, replacement) pair of "
                            "strings; rules are a list of pairs: ((pattern, replacement), ...)")
  renamed, used = {}, [False] * len(rules)
  for key in state:
    new = key
    for i, rule in enumerate(rules):
      try:
        changed = re.sub(rule[0], rule[1], new)
      except re.error as e:
        raise CheckpointError(f"rename rule {tuple(rule)!r}: {e}") from None
      used[i] |= changed != new
      new = changed
    renamed[key] = new
  unused = [tuple(r) for r, u in zip(rules, used) if not u]
  if unused:
    raise CheckpointError(f"rename rules {unused} change no key of the checkpoint (its keys "
                          f"start {list(state)[:6]})")
  by_new = {}
  for old, new in renamed.items():
    by_new.setdefault(new, []).append(old)
  collisions = {new: olds for new, olds in by_new.items() if len(olds) > 1}
  if collisions:
    shown = {new: olds[:3] + ([f"... {len(olds) - 3} more"] if len(olds) > 3 else [])
             for new, olds in list(collisions.items())[:5]}
    raise CheckpointError(f"rename rules map several keys onto one name ({len(collisions)} "
                          f"names), e.g. {shown}")
  versions = {}
  for old, new in renamed.items():  # a module's version follows the keys it owns
    old_module, _, old_leaf = old.rpartition(".")
    new_module, _, new_leaf = new.rpartition(".")
    if old_module in state.versions and old_leaf == new_leaf:
      versions[new_module] = state.versions[old_module]
  return StateDict({renamed[k]: v for k, v in state.items()}, versions)


def to_numpy_state(obj, where: str = "state dict") -> StateDict:
  """A torch state dict (tensors, with ``_metadata``) or ``{name: array}`` as a StateDict."""
  if not obj:
    raise CheckpointError(f"{where}: the state dict is empty")
  bad = [k for k, v in obj.items() if not _is_tensor(v)]
  if bad:
    raise CheckpointError(f"{where}: entries {bad[:5]} are not tensors; if the state dict is "
                          f"wrapped, pass the checkpoint key, one of {sorted(obj)[:10]}")
  if isinstance(obj, StateDict):
    versions = obj.versions
  else:  # torch's per-module metadata of a state_dict(), kept by torch.save
    versions = {m: int(meta["version"])
                for m, meta in (getattr(obj, "_metadata", None) or {}).items()
                if isinstance(meta, dict) and "version" in meta}
  return StateDict({k: _as_numpy(v) for k, v in obj.items()}, versions)


def _as_numpy(v) -> np.ndarray:
  if isinstance(v, np.ndarray):
    return v
  v = v.detach().cpu()
  if str(v.dtype) == "torch.bfloat16":  # numpy has no bfloat16: through float32, exactly
    import ml_dtypes  # pylint: disable=g-import-not-at-top
    return v.float().numpy().astype(ml_dtypes.bfloat16)
  return v.numpy()


def read_state_dict(path: str | os.PathLike, key: str | None = None,
                    rename: RenameRules = ()) -> StateDict:
  """The state dict of a checkpoint file, unwrapped, prefix-stripped and renamed."""
  path = os.fspath(path)
  if not os.path.isfile(path):
    raise CheckpointError(f"checkpoint not found: {path}")
  if path.lower().endswith(".safetensors"):
    obj = _safetensors_load(path)
  else:
    obj = _torch_load(path)
  state = to_numpy_state(select_state_dict(obj, path, key), path)
  return apply_renames(strip_wrapper_prefixes(state, path), rename)


def write_state_dict(path: str | os.PathLike, state: dict[str, np.ndarray]) -> Path:
  """Writes a torch state dict as ``.safetensors`` (by suffix, no pickle) or ``torch.save``."""
  path = Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  if path.suffix.lower() == ".safetensors":
    from safetensors.numpy import save_file  # pylint: disable=g-import-not-at-top
    save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(path),
              metadata={"format": "pt"})
  else:
    import_torch().save(to_torch(state), path)
  return path


def to_torch(state: dict[str, np.ndarray]):
  """numpy state dict -> torch state dict (int32 counters widened to torch's int64)."""
  torch = import_torch()

  out = {}
  for k, v in state.items():
    t = torch.from_numpy(np.array(v, copy=True))
    out[k] = t.long() if t.dtype == torch.int32 else t
  return out
