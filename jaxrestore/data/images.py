"""Reading and writing image files with Pillow; every failure is a clear error.

Images are returned as float32 HWC in [0, 1] (``read_image``) or uint8 HWC. An
image of more than ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (about 89 million) is
refused before it is decoded: a small file can declare a huge image (a
decompression bomb). Pillow only warns up to twice that limit; here both are an
``ImageError``. Raise or remove the limit (``None``) through that same variable.
"""
import io
import os
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from jaxrestore import errors, metrics

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class ImageError(errors.UserError, ValueError):
  """An image file that is missing, unreadable or of the wrong kind."""


def list_images(folder: str | os.PathLike) -> list[Path]:
  """Image files directly in ``folder``, sorted by name; an error if there are none."""
  folder = Path(folder)
  if not folder.is_dir():
    raise ImageError(f"image folder not found: {folder}")
  files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
  if not files:
    raise ImageError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
  return files


def read_uint8(path: str | os.PathLike, channels: int | None = None) -> np.ndarray:
  """Reads an 8-bit gray or RGB image as uint8 HWC.

  Args:
    path: the file.
    channels: 1 or 3 to require that many channels (a gray file for an RGB model
      is an error, never silently converted); None keeps the file's own.
  """
  path = Path(path)
  if not path.is_file():
    raise ImageError(f"image not found: {path}")
  return decode_uint8(path.read_bytes(), str(path), channels)


def decode_uint8(data: bytes, name: str, channels: int | None = None) -> np.ndarray:
  """``read_uint8`` of an image file's bytes; errors start with ``name`` (the file)."""
  if not data:
    raise ImageError(f"{name}: not a readable image: the file is empty")
  try:
    with _open_within_limit(io.BytesIO(data), name) as im:
      im.load()
      mode = im.mode
      if mode in ("L", "RGB"):
        arr = np.asarray(im)
      elif mode in ("P", "RGBA", "LA", "CMYK", "YCbCr"):
        arr = np.asarray(im.convert("RGB" if mode != "LA" else "L"))
      else:
        raise ImageError(f"{name}: unsupported image mode {mode!r} (expected 8-bit gray or RGB)")
  except ImageError:
    raise
  except UnidentifiedImageError:
    raise ImageError(f"{name}: not a readable image (not a format Pillow knows)") from None
  except (OSError, SyntaxError, ValueError) as e:  # Pillow's kinds for damaged data
    raise ImageError(f"{name}: not a readable image: damaged or truncated ({e})") from None
  if arr.ndim == 2:
    arr = arr[:, :, None]
  if channels is not None and arr.shape[-1] != channels:
    raise ImageError(f"{name}: image has {arr.shape[-1]} channel(s), expected {channels}")
  return arr


def luma(rgb: np.ndarray) -> np.ndarray:
  """uint8 (H, W, 3) -> (H, W, 1): ITU-R 601-2 luma with Pillow's integer rounding
  (bit-identical to ``Image.convert("L")``); a gray image stored as RGB comes back unchanged."""
  r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
  return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)[..., None]


def _too_many_pixels(name: str, pixels: int | None) -> ImageError:
  limit = Image.MAX_IMAGE_PIXELS
  size = f"{pixels:,} pixels" if pixels else f"more than {2 * limit:,} pixels"
  return ImageError(f"{name}: {size}, over the limit of {limit:,} (PIL.Image.MAX_IMAGE_PIXELS): "
                    "refused as a possible decompression bomb")


def _open_within_limit(file: io.BytesIO, name: str) -> Image.Image:
  """``Image.open`` (which reads the header only), refusing images over the pixel limit."""
  try:
    with warnings.catch_warnings():  # Pillow's warning below twice the limit: an error here
      warnings.simplefilter("ignore", Image.DecompressionBombWarning)
      im = Image.open(file)
  except Image.DecompressionBombError as e:  # over twice the limit; its size is in the message
    found = re.search(r"\((\d+) pixels\)", str(e))
    raise _too_many_pixels(name, int(found.group(1)) if found else None) from None
  limit = Image.MAX_IMAGE_PIXELS
  if limit is not None and im.width * im.height > limit:
    im.close()
    raise _too_many_pixels(name, im.width * im.height)
  return im


def read_image(path: str | os.PathLike, channels: int | None = None) -> np.ndarray:
  """float32 HWC in [0, 1]: float32(uint8 / 255.) as KAIR's ``uint2single``."""
  return (read_uint8(path, channels) / 255.0).astype(np.float32)


def write_image(path: str | os.PathLike, img: np.ndarray) -> None:
  """Writes uint8 HWC, or float [0, 1] cast as ``metrics.to_uint8`` (the cast every
  uint8 metric uses: a restored image read back from its file gives the PSNR that
  evaluation reports), as PNG/JPEG by suffix."""
  img = np.asarray(img)
  if img.dtype != np.uint8:
    img = metrics.to_uint8(img)
  if img.ndim == 3 and img.shape[-1] == 1:
    img = img[:, :, 0]
  Path(path).parent.mkdir(parents=True, exist_ok=True)
  Image.fromarray(img).save(path)


def center_crop(img: np.ndarray, size: int) -> np.ndarray:
  """The centred ``size`` x ``size`` window of an HW[C] image (a side shorter than
  ``size`` is kept whole)."""
  h, w = img.shape[:2]
  top, left = (h - min(size, h)) // 2, (w - min(size, w)) // 2
  return img[top:top + size, left:left + size]


def grid(*images: np.ndarray, pad: int = 4) -> np.ndarray:
  """Places same-height HWC images side by side (e.g. input | output | target)."""
  h = images[0].shape[0]
  c = max(im.shape[-1] for im in images)
  parts = []
  for im in images:
    if im.shape[0] != h:
      raise ValueError("grid needs images of the same height")
    parts += [np.broadcast_to(im, im.shape[:2] + (c,)), np.ones((h, pad, c), im.dtype)]
  return np.concatenate(parts[:-1], axis=1)
