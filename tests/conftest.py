import pytest
from flax import nnx

import jaxrestore.models as jm
from jaxrestore import checkpoints
from jaxrestore.config_defaults import base_config


@pytest.fixture(scope="session")
def data_cache(tmp_path_factory):
  """One prepared-dataset cache for the whole session."""
  return tmp_path_factory.mktemp("tfds_cache")


@pytest.fixture
def tiny_config(data_cache):
  """A DnCNN small enough to train a few steps in seconds, on the embedded data."""
  c = base_config()
  c.model = "dncnn"
  c.model_kwargs.depth = 3
  c.model_kwargs.features = 8
  c.data.cache_dir = str(data_cache)
  c.data.batch_size = 4
  c.data.crop = 24
  c.optimizer.lr = 1e-3
  c.num_steps = 6
  c.log_every = 2
  c.eval_every = 6
  c.checkpoint_every = 3
  c.eval.num_grids = 1
  return c


@pytest.fixture
def model_dir(tmp_path):
  """A small gray DnCNN saved as a model dir (what the CLIs load)."""
  model = jm.create("dncnn", depth=4, features=8, rngs=nnx.Rngs(0))
  return checkpoints.save_model(tmp_path / "model", model, "dncnn", depth=4, features=8)
