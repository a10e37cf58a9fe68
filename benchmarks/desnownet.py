"""DesnowNet inference: one 256x256 RGB image, JAX jit vs PyTorch eager (same weights), once
per ``config.precisions`` (bfloat16: ``precision='bfloat16'`` against ``torch.autocast``)."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import torch
from flax import nnx

import torch_ref.models as tm
from jaxrestore import models, porting
from benchmarks.core import rows_for_case, section
from benchmarks.denoisers import PRECISION_TAGS, autocast


def case_runners(kwargs: dict, size: int, batch: int = 1, seed: int = 0,
                 precision: str = "float32"):
  torch.manual_seed(seed)
  net = tm.create("desnownet", **kwargs).eval()
  model = porting.load_torch(models.create("desnownet", rngs=nnx.Rngs(0), precision=precision,
                                           **kwargs), net.state_dict())
  model.eval()
  graphdef, state = nnx.split(model)
  apply = jax.jit(lambda state, x: nnx.merge(graphdef, state)(x)["y_hat"])
  x = np.random.RandomState(seed).rand(batch, 3, size, size).astype(np.float32)
  xj, xt = jnp.asarray(x.transpose(0, 2, 3, 1)), torch.from_numpy(x)

  def torch_run():
    with torch.no_grad(), autocast(xt, precision):
      net(xt)

  return {"jax jit": lambda: apply(state, xj).block_until_ready(), "torch eager": torch_run}


@section("desnownet", precisions=True)
def desnownet_section(*, quick: bool, warmup: int, repeats: int,
                      precisions: tuple[str, ...] = ("float32",)):
  variants = ([("w16 pool", dict(width_factor=16, blocks=(1, 1, 1), pool="pool",
                                      pyramid_channels=12), 64)] if quick
              else [("w4 conv-pools", dict(width_factor=4), 256),
                    ("w4 pooling", dict(width_factor=4, pool="pool"), 256)])
  rows = []
  for (name, kwargs, size), precision in itertools.product(variants, precisions):
    rows += rows_for_case("desnownet",
                          f"desnownet {name} {size}x{size}{PRECISION_TAGS[precision]} infer", 1,
                          case_runners(kwargs, size, precision=precision),
                          {"jax jit": ("torch eager",)}, warmup=warmup, repeats=repeats,
                          precision=precision)
  return rows
