"""Name -> constructor registry: ``create("kair_dncnn17", rngs=nnx.Rngs(0))``.

A registered name may carry preset keyword arguments; the caller's kwargs
override them. ``torch_ref.models`` has the same names and kwargs.
"""
from typing import Callable

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
    raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None
  return ctor(**kwargs)


def names() -> list[str]:
  return sorted(_REGISTRY)
