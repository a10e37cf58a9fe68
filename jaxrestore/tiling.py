"""Inference on images of any size: padding to a model's size multiple, and tiles.

``pad_to_multiple`` serves models that need H, W divisible by a number (U-Nets).

Tiles of ``tile`` x ``tile`` overlap by at least ``overlap`` pixels; each output
pixel is taken from the tile whose centre part covers it (the boundary between
two tiles sits in the middle of their overlap), so no pixel comes from within
``overlap // 2`` of an inner tile edge. For a convolutional net whose receptive
field radius is at most ``overlap // 2`` the result equals whole-image inference;
``receptive_overlap`` gives that overlap for a model that computes its radius.
"""
from typing import Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

from jaxrestore import errors


def pad_to_multiple(apply, multiple: int):
  """Wraps ``apply`` for models that need H, W divisible by ``multiple`` (U-Nets).

  The input is reflect-padded at the bottom/right (as NVlabs' Noise2Noise
  validation) and the output cropped back, so any size works. Outputs may be a
  pytree (a dict of maps, some at 1/s of the size): each is cropped at its scale.
  """
  if multiple <= 1:
    return apply

  def run(x):
    h, w = x.shape[1:3]
    ph, pw = -h % multiple, -w % multiple
    if ph == 0 and pw == 0:
      return apply(x)
    mode = "reflect" if ph < h and pw < w else "symmetric"
    padded = jnp.pad(jnp.asarray(x), ((0, 0), (0, ph), (0, pw), (0, 0)), mode=mode)
    ph_total = h + ph

    def crop(y):
      s = ph_total // y.shape[1]
      return y[:, :-(-h // s), :-(-w // s)]

    return jax.tree.map(crop, apply(padded))

  return run


@runtime_checkable
class ReceptiveField(Protocol):
  """A model that computes how far (pixels) an output pixel sees from its own layers."""

  def receptive_field_radius(self) -> int: ...


def receptive_overlap(model) -> int:
  """The tile overlap that makes tiled inference exact: twice the receptive-field radius."""
  if not isinstance(model, ReceptiveField):
    raise errors.ConfigError(f"{type(model).__name__} does not compute its receptive field: "
                             "set the tile overlap (config.overlap >= 0) yourself")
  return 2 * model.receptive_field_radius()


def _starts(size: int, tile: int, overlap: int) -> list[int]:
  if size <= tile:
    return [0]
  stride = tile - overlap
  starts = list(range(0, size - tile, stride)) + [size - tile]
  return sorted(set(starts))


def _owners(size: int, tile: int, starts: list[int]) -> list[tuple[int, int, int]]:
  """(start, out_from, out_to) per tile: the rows each tile writes."""
  bounds = [0] + [(a + tile + b) // 2 for a, b in zip(starts[:-1], starts[1:])] + [size]
  return [(s, bounds[i], bounds[i + 1]) for i, s in enumerate(starts)]


def tiled_apply(apply, image: np.ndarray, tile: int, overlap: int) -> np.ndarray:
  """Runs ``apply`` (NHWC -> NHWC, same size) over ``image`` (HWC) tile by tile."""
  h, w = image.shape[:2]
  if tile <= 0 or (h <= tile and w <= tile):
    return np.asarray(apply(image[None]))[0]
  if overlap >= tile:
    raise errors.ConfigError(f"overlap {overlap} must be smaller than the tile {tile}")
  th, tw = min(tile, h), min(tile, w)
  out = None
  for y, y0, y1 in _owners(h, th, _starts(h, th, overlap)):
    for x, x0, x1 in _owners(w, tw, _starts(w, tw, overlap)):
      res = np.asarray(apply(image[None, y:y + th, x:x + tw]))[0]
      if out is None:
        out = np.zeros((h, w, res.shape[-1]), res.dtype)
      out[y0:y1, x0:x1] = res[y0 - y:y1 - y, x0 - x:x1 - x]
  return out
