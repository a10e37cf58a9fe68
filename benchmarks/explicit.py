"""The explicit-backward framework vs autodiff, and vs its torch twin (no autograd).

One SGD step (momentum 0.9) on MSE of an EE-559 course net, five ways:
``jax explicit`` (hand-written backward), ``jax.grad`` (autodiff of the same
unfold + matmul forward), ``jax nnx`` (autodiff of the NNX model on
``lax.conv``), ``torch explicit`` (the twin's hand-written backward) and
``torch autograd`` (``torch.nn`` + ``torch.optim.SGD``, eager). Goal of the
framework: ``jax explicit`` <= 1.2x ``jax.grad``.
"""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch
from flax import nnx

import torch_ref.models as tm
from jaxrestore import explicit as JE
from jaxrestore import models, porting
from benchmarks.core import rows_for_case, section
from jaxrestore.sweep import ExplicitNet, hyper, make_step
from torch_ref import explicit as TE

LR, MOMENTUM = 0.01, 0.9


def _autodiff_step(net):
  def step(params, opt, x, t):
    loss, grads = jax.value_and_grad(lambda p: jnp.mean((net(p, x) - t) ** 2))(params)
    params, opt = JE.sgd_step(params, grads, opt, LR, MOMENTUM)
    return params, opt, loss
  return step


def _nnx_step(graphdef, tx):
  def step(state, opt, x, t):
    model = nnx.merge(graphdef, state)
    loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - t) ** 2))(model)
    updates, opt = tx.update(nnx.state(grads), opt, state)
    return optax.apply_updates(state, updates), opt, loss
  return step


def _jax_runner(step, params, opt, x, t):
  step = jax.jit(step, donate_argnums=(0, 1))
  box = [params, opt]

  def run():
    box[0], box[1], loss = step(box[0], box[1], x, t)
    loss.block_until_ready()
  return run


def _torch_explicit_runner(net, x, t):
  opt = TE.SGD(net.param(), lr=LR, momentum=MOMENTUM)
  mse = TE.MSE()

  def run():
    opt.zero_grad()
    mse.forward(net(x), t)
    net.backward(mse.backward())
    opt.step()
  return run


def _torch_autograd_runner(net, x, t):
  opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

  def run():
    opt.zero_grad()
    torch.nn.functional.mse_loss(net(x), t).backward()
    opt.step()
  return run


def case_runners(name: str, batch: int, size: int, seed: int = 0):
  """{impl: zero-arg step runner}, all five starting from one torch state dict."""
  torch.manual_seed(seed)
  ref = tm.create(name)
  sd = ref.state_dict()
  rng = np.random.RandomState(seed)
  x = rng.rand(batch, 3, size, size).astype(np.float32)
  t = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
  xj, tj = jnp.asarray(x.transpose(0, 2, 3, 1)), jnp.asarray(t.transpose(0, 2, 3, 1))
  xt, tt = torch.from_numpy(x), torch.from_numpy(t)

  explicit_net = ExplicitNet(name, {})  # the sweep's explicit engine
  net = explicit_net.net
  params = JE.load_state_dict(net.init(jax.random.PRNGKey(0)),
                              {k: v.numpy() for k, v in sd.items()})
  hp = hyper(dict(lr=LR, momentum=MOMENTUM, weight_decay=0.0, dampening=0.0, nesterov=False))
  explicit_step = make_step(explicit_net)
  model = porting.load_torch(models.create(name, rngs=nnx.Rngs(0)), sd)
  graphdef, state = nnx.split(model)
  tx = optax.sgd(LR, MOMENTUM)
  texp = TE.NETS[name]()
  texp.load_state_dict(sd)
  copy = lambda tree: jax.tree.map(jnp.array, tree)  # noqa: E731  (donation consumes inputs)
  return {
      "jax explicit": _jax_runner(lambda p, o, x, t: explicit_step(p, o, hp, x, t),
                                  copy(params), JE.sgd_init(params), xj, tj),
      "jax.grad": _jax_runner(_autodiff_step(net), copy(params), JE.sgd_init(params), xj, tj),
      "jax nnx": _jax_runner(_nnx_step(graphdef, tx), state, tx.init(state), xj, tj),
      "torch explicit": _torch_explicit_runner(texp, xt, tt),
      "torch autograd": _torch_autograd_runner(ref, xt, tt),
  }


BASELINES = {"jax explicit": ("jax.grad", "torch explicit"),
             "jax nnx": ("torch autograd",)}


@section("explicit")
def explicit_section(*, quick: bool, warmup: int, repeats: int):
  shapes = [(4, 32)] if quick else [(4, 32), (64, 32)]
  rows = []
  for name in ("course_net_a", "course_net_b"):
    for batch, size in shapes:
      rows += rows_for_case("explicit", f"{name} b{batch} {size}x{size} train", batch,
                            case_runners(name, batch, size), BASELINES, warmup=warmup,
                            repeats=repeats)
  return rows
