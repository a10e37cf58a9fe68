"""Every config file loads and names a registered model."""
import importlib.util
from pathlib import Path

import pytest

import jaxrestore.models as jm

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.py"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_loads(path):
  spec = importlib.util.spec_from_file_location(path.stem, path)
  mod = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(mod)
  cfg = mod.get_config()
  assert mod.__doc__ and "python scripts/" in mod.__doc__
  if "model" in cfg and cfg.model:
    assert cfg.model in jm.names()
