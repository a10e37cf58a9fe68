"""Small files that are written whole or not at all."""
import os
from pathlib import Path


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
  """Writes ``text`` to ``path`` through a hidden temporary file beside it, renamed over
  ``path``: a kill in between, or another process reading ``path`` (one of a
  multi-process run), finds the old file or the new one, never part of one."""
  path = Path(path)
  tmp = path.with_name(f".{path.name}.tmp")
  tmp.write_text(text)
  tmp.replace(path)
