"""Name -> constructor registry: ``create("kair_dncnn17", rngs=nnx.Rngs(0))``.

A registered name may carry preset keyword arguments; the caller's kwargs
override them. ``torch_ref.models`` has the same names and kwargs.
"""
from typing import Any, Callable, Protocol, runtime_checkable

from jaxrestore import errors


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


def create(name: str, **kwargs):
  """Builds the model registered as ``name``."""
  try:
    ctor = _REGISTRY[name]
  except KeyError:
    raise errors.ConfigError(
        f"unknown model {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None
  return ctor(**kwargs)


def names() -> list[str]:
  return sorted(_REGISTRY)
