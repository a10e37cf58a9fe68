"""Denoiser training steps and inference: JAX jit vs PyTorch eager and ``torch.compile``.

Models, shapes and optimisers are the recipes' (``config_defaults.base_config()``,
``configs/ece285.py``, ``configs/n2n_unet.py``):
DnCNN-17 (KAIR, with BN; gray, batch 128 of 40x40, and batch 16), the ECE285
DnCNN / UDnCNN / DUDnCNN (RGB, batch 4 of 180x180) and the N2N U-Net (gray, batch
8 of 128x128). Every case is timed for:

* ``train``: MSE, the recipe's Adam, BN in train mode. ``jax jit`` is the
  project's own ``steps.make_train_step`` (the state is donated; each call takes
  the state the previous one returned); ``torch eager`` is the plain loop
  (``zero_grad``, MSE, ``backward``, ``Adam.step``); ``torch compile`` the same
  loop around ``torch.compile(model)`` (forward and backward compiled, the
  optimiser eager).
* ``infer``: eval mode, no gradients; ``jax jit`` is ``steps.make_state_apply``.

Both sides start from torch's init (ported into JAX) and see the same float32
data. ``torch.compile`` uses static shapes and starts each case from a reset
dynamo cache; where it fails on the machine, the row is skipped with the reason.
DnCNN rows carry their counted FLOPs (``flops.dncnn_flops``) for the MFU.

Precision (``config.precisions``): every case runs once per precision; a bfloat16 case
(``... bf16 train``) is the model built with ``precision='bfloat16'`` on the JAX side and
the same loop under ``torch.autocast(dtype=torch.bfloat16)`` (forward and loss) on the
torch side; parameters and the optimiser stay float32 on both.

Device: JAX runs on its default backend. The torch side runs on CUDA when torch has it
(a CUDA build on a GPU machine), else on the CPU; on CUDA each torch runner ends with
``torch.cuda.synchronize()`` so that it is timed to the end of its work, as the JAX
runners are by ``block_until_ready``.
"""
import copy
import itertools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import torch
from flax import nnx

import torch_ref.models as tm
from jaxrestore import config_defaults, losses, models, optim, porting, steps, tasks
from benchmarks import flops
from benchmarks.core import Skipped, rows_for_case, section
from jaxrestore.models import dncnn
from recipes import load_config

BASELINES = {"jax jit": ("torch eager", "torch compile")}
# not run with quick=True: torch.compile's first compile (about 40 s of a quick run's 100 on a
# cold cache, 2 cores) would be most of a run that checks the format, not the speed
QUICK_SKIPS = {"torch compile": "not run with quick=True (its first compile would be most of "
                                "the run)"}


def torch_device() -> torch.device:
  """CUDA when this torch has it (a GPU machine with a CUDA build), else the CPU."""
  return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _sync(device: torch.device):
  if device.type == "cuda":
    torch.cuda.synchronize()


def torch_adam(params, cfg: ml_collections.ConfigDict) -> torch.optim.Adam:
  """``torch.optim.Adam`` of a recipe's optimizer config (what ``optim.make_optimizer`` builds)."""
  if cfg.name != "adam" or cfg.schedule.name != "constant":
    raise ValueError(f"the bench's torch side has constant-lr Adam only, got {cfg}")
  return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.b1, cfg.b2), eps=cfg.eps,
                          weight_decay=cfg.weight_decay)


def autocast(x: torch.Tensor, precision: str):
  """``torch.autocast`` on ``x``'s device for bfloat16; a no-op context for float32."""
  return torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")


def _torch_train(net, opt_cfg, x, t, compiled: bool, precision: str = "float32"):
  forward = torch.compile(net, dynamic=False) if compiled else net
  opt = torch_adam(net.parameters(), opt_cfg)

  def run():
    opt.zero_grad()
    with autocast(x, precision):
      loss = torch.nn.functional.mse_loss(forward(x).float(), t)
    loss.backward()
    opt.step()
    _sync(x.device)
  return run


def _torch_infer(net, x, compiled: bool, precision: str = "float32"):
  forward = torch.compile(net, dynamic=False) if compiled else net

  def run():
    with torch.no_grad(), autocast(x, precision):
      forward(x)
    _sync(x.device)
  return run


def case_runners(recipe: ml_collections.ConfigDict, batch: int, size: int, seed: int = 0,
                 precision: str = "float32"):
  """({impl: train step runner}, {impl: inference runner}, (train, infer) FLOPs per call)."""
  name, kwargs, channels = recipe.model, recipe.model_kwargs.to_dict(), recipe.data.channels
  torch.manual_seed(seed)
  net = tm.create(name, **kwargs)
  model = porting.load_torch(models.create(name, rngs=nnx.Rngs(seed), precision=precision,
                                           **kwargs), net.state_dict())
  device = torch_device()
  net = net.to(device)
  counted = ((flops.dncnn_flops(model, batch, size, size, train=True),
              flops.dncnn_flops(model, batch, size, size, train=False))
             if isinstance(model, dncnn.DnCNN) else (0.0, 0.0))
  rng = np.random.RandomState(seed)
  x = rng.rand(batch, channels, size, size).astype(np.float32)
  t = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
  xt, tt = torch.from_numpy(x).to(device), torch.from_numpy(t).to(device)
  xj = jnp.asarray(x.transpose(0, 2, 3, 1))
  batch_j = {"input": xj, "target": jnp.asarray(t.transpose(0, 2, 3, 1))}

  tx = optim.make_optimizer(recipe.optimizer)
  graphdef, eval_graphdef, state = steps.create_train_state(model, tx, seed)
  infer_state = jax.tree.map(jnp.copy, state)  # the train step donates ``state``
  train_step = steps.make_train_step(graphdef, tx, tasks.denoise.denoise_loss(losses.mse))
  apply = steps.make_state_apply(eval_graphdef, model.size_multiple)
  box = [state]

  def jax_train():
    box[0], metrics = train_step(box[0], batch_j)
    jax.block_until_ready((box[0], metrics))

  torch._dynamo.reset()  # pylint: disable=protected-access  (each case compiles afresh)
  infer_net = copy.deepcopy(net).eval()
  train = {"jax jit": jax_train,
           "torch eager": _torch_train(copy.deepcopy(net).train(), recipe.optimizer, xt, tt,
                                       compiled=False, precision=precision),
           "torch compile": _torch_train(copy.deepcopy(net).train(), recipe.optimizer, xt, tt,
                                         compiled=True, precision=precision)}
  infer = {"jax jit": lambda: apply(infer_state, xj).block_until_ready(),
           "torch eager": _torch_infer(infer_net, xt, compiled=False, precision=precision),
           "torch compile": _torch_infer(infer_net, xt, compiled=True, precision=precision)}
  return train, infer, counted


def cases(quick: bool) -> list[tuple[ml_collections.ConfigDict, int, int]]:
  """(recipe, batch, size): the recipes' shapes, plus DnCNN-17 at batch 16; quick: tiny."""
  dncnn17 = config_defaults.base_config()  # the DnCNN-17 recipe's model, data and optimiser
  if quick:
    return [(dncnn17, 2, 16)]
  recipes = [dncnn17, *(load_config(f"ece285.py:{v}") for v in ("dncnn", "udncnn", "dudncnn")),
             load_config("n2n_unet.py")]
  return [(dncnn17, 16, 40)] + [(r, r.data.batch_size, r.data.crop) for r in recipes]


PRECISION_TAGS = {"float32": "", "bfloat16": " bf16"}


@section("denoisers", precisions=True)
def denoisers_section(*, quick: bool, warmup: int, repeats: int,
                      precisions: tuple[str, ...] = ("float32",)):
  rows = []
  for (recipe, batch, size), precision in itertools.product(cases(quick), precisions):
    train, infer, (train_flops, infer_flops) = case_runners(recipe, batch, size,
                                                            precision=precision)
    case = f"{recipe.model} b{batch} {size}x{size}{PRECISION_TAGS[precision]}"
    for kind, fns, counted in (("train", train, train_flops), ("infer", infer, infer_flops)):
      skips = QUICK_SKIPS if quick else {}
      rows += rows_for_case("denoisers", f"{case} {kind}", batch,
                            {impl: fn for impl, fn in fns.items() if impl not in skips},
                            BASELINES, warmup=warmup, repeats=repeats,
                            optional=("torch compile",), flops=counted, precision=precision)
      rows += [Skipped("denoisers", f"{case} {kind}", impl, why) for impl, why in skips.items()]
  return rows
