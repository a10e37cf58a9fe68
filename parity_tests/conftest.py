import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("JAXRESTORE_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


@pytest.fixture
def shared_path():
  """A path under ../shared/, or a skip saying what is missing."""

  def get(rel):
    p = SHARED / rel
    if not p.exists():
      pytest.skip(f"shared data not found: {p} (set JAXRESTORE_SHARED or provide ../shared)")
    return p

  return get
