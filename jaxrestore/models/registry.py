"""Name -> constructor registry: ``create("kair_dncnn17", rngs=nnx.Rngs(0))``.

A registered name may carry preset keyword arguments; the caller's kwargs
override them. ``torch_ref.models`` has the same names and kwargs.

``precision`` (``config.precision``) is the compute precision: 'float32' builds the
model as it always was; 'bfloat16' passes ``dtype=jnp.bfloat16``, which a model
takes as its compute dtype (parameters, BN statistics and outputs stay float32).
The precision is not one of the model's kwargs: it is not saved with a model, so a
checkpoint loads under either.
"""
from typing import Any, Callable, Protocol, runtime_checkable

import jax.numpy as jnp

from jaxrestore import errors

PRECISIONS = {"float32": None, "bfloat16": jnp.bfloat16}  # precision -> the models' dtype


@runtime_checkable
class RestorationModel(Protocol):
  """What the training loop, evaluation and restoration read from a model besides calling it.

  Every registered restoration model declares both as class attributes.
  """

  size_multiple: int  # H and W must be multiples of it (U-Nets); inputs are padded to it
  output_key: str | None  # None: returns the image; else the image's key in the dict it returns

  def __call__(self, x) -> Any:
    ...

_REGISTRY: dict[str, Callable] = {}


def register(name: str, **preset):
  """Registers the decorated constructor under ``name`` with default kwargs ``preset``."""

  def deco(fn):
    if name in _REGISTRY:
      raise ValueError(f"model {name!r} is already registered")
    _REGISTRY[name] = lambda **kw: fn(**{**preset, **kw})
    return fn

  return deco


def compute_dtype(precision: str):
  """The models' ``dtype`` for ``config.precision`` (None for float32: nothing is cast)."""
  try:
    return PRECISIONS[precision]
  except KeyError:
    raise errors.ConfigError(f"config.precision must be one of {sorted(PRECISIONS)}, "
                             f"got {precision!r}") from None


def create(name: str, precision: str = "float32", **kwargs):
  """Builds the model registered as ``name``, computing in ``precision``."""
  try:
    ctor = _REGISTRY[name]
  except KeyError:
    raise errors.ConfigError(
        f"unknown model {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None
  dtype = compute_dtype(precision)
  if dtype is None:
    return ctor(**kwargs)
  try:
    return ctor(dtype=dtype, **kwargs)
  except TypeError as e:
    if "dtype" not in str(e):
      raise
    raise errors.ConfigError(f"model {name!r} has no compute dtype yet: config.precision="
                             f"{precision!r} is not available for it (use 'float32')") from None


def names() -> list[str]:
  return sorted(_REGISTRY)
