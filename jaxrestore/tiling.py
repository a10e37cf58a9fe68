"""Tiled inference for images of any size.

Tiles of ``tile`` x ``tile`` overlap by at least ``overlap`` pixels; each output
pixel is taken from the tile whose centre part covers it (the boundary between
two tiles sits in the middle of their overlap), so no pixel comes from within
``overlap // 2`` of an inner tile edge. For a convolutional net whose receptive
field radius is at most ``overlap // 2`` the result equals whole-image inference.
"""
import numpy as np


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
    raise ValueError(f"overlap {overlap} must be smaller than the tile {tile}")
  th, tw = min(tile, h), min(tile, w)
  out = None
  for y, y0, y1 in _owners(h, th, _starts(h, th, overlap)):
    for x, x0, x1 in _owners(w, tw, _starts(w, tw, overlap)):
      res = np.asarray(apply(image[None, y:y + th, x:x + tw]))[0]
      if out is None:
        out = np.zeros((h, w, res.shape[-1]), res.dtype)
      out[y0:y1, x0:x1] = res[y0 - y:y1 - y, x0 - x:x1 - x]
  return out
