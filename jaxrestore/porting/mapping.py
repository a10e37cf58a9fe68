"""Explicit torch-key <-> NNX-variable mapping.

Each model class registers a function listing its leaf modules with the torch
prefix they have in the twin (``model.3``, ``conv.0``, ...). Each leaf module type
knows its torch parameter names and layout conversion. Porting is strict: every
key is used, every shape checked, anything else is a ``PortingError`` naming keys.
"""
from typing import Callable, Iterator

import numpy as np
from flax import nnx

from jaxrestore import errors
from jaxrestore.models.layers import BatchNorm2d, Conv, PReLU


class PortingError(errors.UserError, ValueError):
  """A state dict that does not fit the model."""


# Leaf converters: (torch suffix, nnx attribute, torch->jax, jax->torch).
_ident = (lambda a: a, lambda a: a)
_conv_kernel = (lambda w: np.transpose(w, (2, 3, 1, 0)),  # OIHW -> HWIO
                lambda k: np.transpose(k, (3, 2, 0, 1)))
_counter = (lambda a: a.astype(np.int32), lambda a: a.astype(np.int64))


def _conv_leaves(m: nnx.Conv):
  yield "weight", "kernel", _conv_kernel
  if m.bias is not None:
    yield "bias", "bias", _ident


def _bn_leaves(m: BatchNorm2d):
  yield "weight", "scale", _ident
  yield "bias", "bias", _ident
  yield "running_mean", "mean", _ident
  yield "running_var", "var", _ident
  yield "num_batches_tracked", "num_batches_tracked", _counter


def _prelu_leaves(m: PReLU):
  yield "weight", "weight", _ident


_LEAVES: dict[type, Callable] = {nnx.Conv: _conv_leaves, Conv: _conv_leaves,
                                 BatchNorm2d: _bn_leaves, PReLU: _prelu_leaves}
_MODELS: dict[type, Callable[[nnx.Module], Iterator[tuple[str, nnx.Module]]]] = {}


def register_leaf(cls):
  def deco(fn):
    _LEAVES[cls] = fn
    return fn
  return deco


def register_model(cls):
  """Registers ``fn(model) -> iterator of (torch prefix, leaf module)`` for ``cls``."""
  def deco(fn):
    _MODELS[cls] = fn
    return fn
  return deco


_FILE_ADAPTERS: dict[type, Callable[[dict], dict]] = {}


def register_file_adapter(cls):
  """Registers ``fn(state) -> state``, applied to a torch *file* read for a ``cls`` model
  (e.g. dropping a published checkpoint's parts the model does not have)."""
  def deco(fn):
    _FILE_ADAPTERS[cls] = fn
    return fn
  return deco


def adapt_file_state(model: nnx.Module, state: dict) -> dict:
  return _FILE_ADAPTERS.get(type(model), lambda s: s)(state)


def leaves_by_attribute_path(model: nnx.Module):
  """Every leaf module under its attribute path (``a.b.0.c``): for twins whose torch
  module tree has the same attribute names (``nnx.List`` <-> ``nn.ModuleList``)."""
  def walk(module, prefix):
    if type(module) in _LEAVES:
      yield prefix, module
      return
    children = (enumerate(module) if isinstance(module, nnx.List)
                else vars(module).items())  # definition order, as torch's state_dict
    for name, child in children:
      if isinstance(child, (nnx.Module, nnx.List)):
        yield from walk(child, f"{prefix}.{name}" if prefix else str(name))
  yield from walk(model, "")


def _table(model: nnx.Module):
  """{torch key: (variable, torch->jax, jax->torch)} in the twin's state-dict order."""
  try:
    modules = _MODELS[type(model)]
  except KeyError:
    raise PortingError(f"no torch mapping registered for {type(model).__name__}") from None
  table = {}
  for prefix, leaf in modules(model):
    for suffix, attr, conv in _LEAVES[type(leaf)](leaf):
      table[f"{prefix}.{suffix}"] = (getattr(leaf, attr), *conv)
  return table


COUNTER = ".num_batches_tracked"


def _with_legacy_counters(state: dict, table: dict) -> dict:
  """Adds a BatchNorm's missing ``num_batches_tracked`` as torch does for files saved
  before torch 0.4.1.

  torch's rule (``torch/nn/modules/batchnorm.py``, ``_NormBase._load_from_state_dict``:
  "at version 2: added num_batches_tracked buffer; this should have a default value
  of 0"): when the module's ``_metadata`` version is missing or below 2, an absent
  counter is taken from the module itself, 0 for a freshly built one. Any other
  missing key stays an error.
  """
  versions = getattr(state, "versions", {})
  filled = {}
  for key, (var, _, to_torch) in table.items():
    module = key[:-len(COUNTER)]
    if (key.endswith(COUNTER) and key not in state and f"{module}.running_mean" in state
        and versions.get(module, 1) < 2):
      filled[key] = to_torch(np.asarray(var.get_value()))
  return {**state, **filled} if filled else state


def torch_to_nnx(state: dict[str, np.ndarray], model: nnx.Module) -> nnx.Module:
  """Writes a torch state dict (numpy arrays) into ``model`` in place and returns it."""
  table = _table(model)
  state = _with_legacy_counters(state, table)
  missing = [k for k in table if k not in state]
  unexpected = [k for k in state if k not in table]
  if missing or unexpected:
    raise PortingError(f"state dict does not match {type(model).__name__}: "
                       f"missing keys {missing}, unexpected keys {unexpected}")
  new = {}
  for key, (var, to_jax, _) in table.items():
    value = to_jax(np.asarray(state[key]))
    if value.shape != var.get_value().shape:
      expected = np.shape(table[key][2](np.zeros(var.get_value().shape)))
      raise PortingError(f"shape mismatch for {key!r}: checkpoint has "
                         f"{tuple(state[key].shape)}, {type(model).__name__} expects {expected}")
    new[key] = value.astype(var.get_value().dtype)
  for key, (var, _, _) in table.items():
    var.set_value(new[key])
  return model


def nnx_to_torch(model: nnx.Module) -> dict[str, np.ndarray]:
  """The twin's state dict of ``model`` as numpy arrays (see ``torch_io.to_torch``)."""
  return {k: to_torch(np.asarray(var.get_value())) for k, (var, _, to_torch) in _table(model).items()}


def torch_shapes(model: nnx.Module) -> dict[str, tuple[int, ...]]:
  """The twin's state-dict keys of ``model`` with their torch shapes, in its order."""
  return {k: np.shape(to_torch(np.empty(var.get_value().shape, var.get_value().dtype)))
          for k, (var, _, to_torch) in _table(model).items()}
