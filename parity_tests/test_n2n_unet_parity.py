"""N2N U-Net: torch_ref vs jaxrestore (same checks as test_dncnn_parity.py)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

import jaxrestore.models as jm
import torch_ref.models as tm
from jaxrestore import porting
from parity_tests.helpers import (check_adam_steps, check_eval_forward_and_psnr, check_gradients,
                                  check_train_forward, to_float64)

CASES = [({}, 2, 64, 96), (dict(in_channels=1, out_channels=1, enc_features=16,
                                 dec_features=24), 1, 32, 64)]
IDS = ["rgb-64x96", "gray-small-32x64"]
parametrize_cases = pytest.mark.parametrize("kwargs,n,h,w", CASES, ids=IDS)


def _pair(kwargs, n, h, w, seed=0):
  torch.manual_seed(seed)
  net = tm.create("n2n_unet", **kwargs)
  c = kwargs.get("in_channels", 3)
  rng = np.random.RandomState(seed)
  x = rng.rand(n, c, h, w).astype(np.float32)
  target = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
  model = porting.load_torch(jm.create("n2n_unet", rngs=nnx.Rngs(seed + 1), **kwargs),
                             net.state_dict())
  return net, model, x, target


def _pair64(*case):
  net, model, x, target = _pair(*case)
  return net.double(), to_float64(model), x.astype(np.float64), target.astype(np.float64)


@parametrize_cases
def test_eval_forward_and_psnr(kwargs, n, h, w):
  check_eval_forward_and_psnr(*_pair(kwargs, n, h, w))


@parametrize_cases
def test_train_forward(kwargs, n, h, w):
  net, model, x, _ = _pair(kwargs, n, h, w)
  check_train_forward(net, model, x)


@pytest.mark.slow
@parametrize_cases
def test_gradients_float64(kwargs, n, h, w):
  with jax.enable_x64(True):
    check_gradients(*_pair64(kwargs, n, h, w))


@pytest.mark.slow
@parametrize_cases
def test_three_adam_steps_float64(kwargs, n, h, w):
  with jax.enable_x64(True):
    check_adam_steps(*_pair64(kwargs, n, h, w))


def test_sizes_not_divisible_by_32_are_refused():
  with pytest.raises(ValueError, match="divisible by 32"):
    jm.create("n2n_unet", rngs=nnx.Rngs(0))(jnp.zeros((1, 48, 64, 3)))
  with pytest.raises(ValueError, match="divisible by 32"):
    tm.create("n2n_unet")(torch.zeros(1, 3, 64, 48))
