"""Name -> constructor registry (the twin of jaxrestore.models.registry)."""
from typing import Callable

_REGISTRY: dict[str, Callable] = {}


def register(name: str, **preset):
  """Registers ``fn`` under ``name``; ``preset`` kwargs are defaults callers may override."""

  def deco(fn):
    if name in _REGISTRY:
      raise ValueError(f"model {name!r} is already registered")
    _REGISTRY[name] = lambda **kw: fn(**{**preset, **kw})
    return fn

  return deco


def create(name: str, **kwargs):
  try:
    ctor = _REGISTRY[name]
  except KeyError:
    raise ValueError(f"unknown model {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None
  return ctor(**kwargs)


def names() -> list[str]:
  return sorted(_REGISTRY)
