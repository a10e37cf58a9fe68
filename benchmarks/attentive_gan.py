"""The Attentive GAN: generator inference and the full GAN step, JAX jit vs PyTorch eager.

``jax jit`` is the ``derain`` task's own setup (``tasks.get("derain").make_setup``:
one jitted program, state donated, for the D step then the G step; and the
eval-mode generator ``apply``); ``torch eager`` is ``torch_ref.gan.train_step``
and the twin generator under ``no_grad``. The torch generator and discriminator
load the setup's initial weights; the perceptual loss's VGG16 is random but the
same on both sides (saved as a model directory for ``config.gan.vgg``). Crops of 64
as the CPU recipe (``configs/attentive_gan.py:cpu``), batch 4 (the recipes train at 1),
4 recurrent steps; the paper recipe's losses and Adam (constant 1e-4) for G and D; once per
``config.precisions`` (bfloat16: the setup with ``config.precision='bfloat16'``
against the torch step and generator under ``torch.autocast``).
"""
import copy
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import torch
from flax import nnx

import torch_ref.models as tm
from jaxrestore import checkpoints, models, porting, steps, tasks
from benchmarks.core import rows_for_case, section
from benchmarks.denoisers import PRECISION_TAGS, autocast, torch_adam
from recipes import load_config
from torch_ref import gan as torch_gan


def _torch_twin(name: str, kwargs: dict, state: steps.TrainState) -> torch.nn.Module:
  """The torch twin of ``name`` holding ``state``'s weights."""
  model = models.create(name, rngs=nnx.Rngs(0), **kwargs)
  nnx.update(model, state.params, state.buffers)
  net = tm.create(name, **kwargs)
  net.load_state_dict(porting.to_torch_state_dict(model))
  return net


def case_runners(crop: int, batch: int, iterations: int, seed: int = 0,
                 precision: str = "float32"):
  """({impl: GAN step runner}, {impl: generator inference runner}) of one shape."""
  config = load_config("attentive_gan.py")
  config.precision = precision
  config.model_kwargs.iterations = iterations
  config.data.crop, config.data.batch_size, config.seed = crop, batch, seed
  vgg = models.create("vgg16", rngs=nnx.Rngs(seed))
  with tempfile.TemporaryDirectory() as tmp:
    config.gan.vgg = str(checkpoints.save_model(Path(tmp) / "vgg16", vgg, "vgg16"))
    setup = tasks.get("derain").make_setup(config)
  g_cfg = config.gan
  d_kwargs = {"input_size": crop, **g_cfg.discriminator_kwargs.to_dict()}
  g = _torch_twin(config.model, config.model_kwargs.to_dict(), setup.state.g).train()
  d = _torch_twin(g_cfg.discriminator, d_kwargs, setup.state.d).train()
  t_vgg = tm.create("vgg16").eval()
  t_vgg.load_state_dict(porting.to_torch_state_dict(vgg))
  g_eval = copy.deepcopy(g).eval()
  g_opt = torch_adam(g.parameters(), config.optimizer)
  d_opt = torch_adam(d.parameters(), g_cfg.d_optimizer)

  rng = np.random.RandomState(seed)
  clean = rng.rand(batch, 3, crop, crop).astype(np.float32)
  rain = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1).astype(np.float32)
  rain_t, clean_t = torch.from_numpy(rain), torch.from_numpy(clean)
  batch_j = {"input": jnp.asarray(rain.transpose(0, 2, 3, 1)),
             "clean": jnp.asarray(clean.transpose(0, 2, 3, 1))}
  infer_state = jax.tree.map(jnp.copy, setup.state)  # the train step donates ``setup.state``
  box = [setup.state]

  def jax_train():
    box[0], metrics = setup.train_step(box[0], batch_j)
    jax.block_until_ready((box[0], metrics))

  def torch_train():
    with autocast(rain_t, precision):
      torch_gan.train_step(g, d, t_vgg, g_opt, d_opt, rain_t, clean_t,
                           gan_weight=g_cfg.gan_weight, map_weight=g_cfg.map_weight,
                           theta=g_cfg.theta, gan_loss=g_cfg.gan_loss)

  def torch_infer():
    with torch.no_grad(), autocast(rain_t, precision):
      g_eval(rain_t)

  train = {"jax jit": jax_train, "torch eager": torch_train}
  infer = {"jax jit": lambda: jax.block_until_ready(setup.apply(infer_state, batch_j["input"])),
           "torch eager": torch_infer}
  return train, infer


@section("attentive_gan", precisions=True)
def attentive_gan_section(*, quick: bool, warmup: int, repeats: int,
                          precisions: tuple[str, ...] = ("float32",)):
  crop, batch, iterations = (32, 1, 1) if quick else (64, 4, 4)
  baselines = {"jax jit": ("torch eager",)}
  rows = []
  for precision in precisions:
    train, infer = case_runners(crop, batch, iterations, precision=precision)
    case = f"attgan it{iterations} b{batch} {crop}x{crop}{PRECISION_TAGS[precision]}"
    for kind, fns in (("gan step", train), ("g infer", infer)):
      rows += rows_for_case("attentive_gan", f"{case} {kind}", batch, fns, baselines,
                            warmup=warmup, repeats=repeats, precision=precision)
  return rows
