"""Small files written whole or not at all (metrics.jsonl, config.json, the sweep state)."""
from pathlib import Path

import pytest

from jaxrestore import files


def test_write_text_atomically_replaces_the_file_whole_or_not_at_all(tmp_path, monkeypatch):
  path = tmp_path / "state.json"
  files.write_text_atomically(path, "old")
  files.write_text_atomically(path, "new")
  assert path.read_text() == "new"
  assert list(tmp_path.iterdir()) == [path]  # no temporary file left

  def disk_full(self, text):  # writes part of the text, then fails
    with open(self, "w") as f:
      f.write(text[:2])
    raise OSError("No space left on device")

  monkeypatch.setattr(Path, "write_text", disk_full)
  with pytest.raises(OSError, match="No space left"):
    files.write_text_atomically(path, "newer")
  monkeypatch.undo()
  assert path.read_text() == "new"
