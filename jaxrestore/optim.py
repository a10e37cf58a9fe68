"""optax optimisers and schedules that reproduce torch.optim step for step.

* ``adam``: ``torch.optim.Adam``; its ``weight_decay`` is coupled L2 (added to the
  gradient before the moments), i.e. ``add_decayed_weights`` *before* ``adam``.
  ``adamw`` is the decoupled variant.
* ``sgd``: ``torch.optim.SGD`` with momentum, dampening, nesterov and weight
  decay. torch's first momentum step stores the raw gradient (no dampening);
  ``torch_momentum`` reproduces that, which ``optax.trace`` does not.
* schedules: constant, multistep (``MultiStepLR``), cosine, exponential; all
  indexed by optimiser step.
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxrestore import errors


class _MomentumState(NamedTuple):
  count: jax.Array
  buf: optax.Updates


def torch_momentum(momentum: float, dampening: float = 0.0,
                   nesterov: bool = False) -> optax.GradientTransformation:
  """The momentum buffer of ``torch.optim.SGD``."""
  if nesterov and (momentum <= 0 or dampening != 0):
    raise errors.ConfigError("nesterov momentum needs momentum > 0 and zero dampening (as torch)")

  def init(params):
    return _MomentumState(jnp.zeros((), jnp.int32), jax.tree.map(jnp.zeros_like, params))

  def update(grads, state, params=None):
    del params
    first = state.count == 0
    buf = jax.tree.map(lambda b, g: jnp.where(first, g, momentum * b + (1 - dampening) * g),
                       state.buf, grads)
    out = jax.tree.map(lambda g, b: g + momentum * b, grads, buf) if nesterov else buf
    return out, _MomentumState(state.count + 1, buf)

  return optax.GradientTransformation(init, update)


def make_schedule(cfg, base_lr: float):
  """The lr schedule of ``cfg`` (``config_defaults.optimizer_config().schedule``)."""
  name = cfg.name
  if name == "constant":
    return optax.constant_schedule(base_lr)
  if name == "multistep":
    return optax.piecewise_constant_schedule(
        base_lr, {int(m): float(cfg.gamma) for m in cfg.milestones})
  if name == "cosine":
    return optax.cosine_decay_schedule(base_lr, _positive(cfg, "decay_steps"), float(cfg.alpha))
  if name == "exponential":
    return optax.exponential_decay(base_lr, _positive(cfg, "transition_steps"), float(cfg.gamma))
  raise errors.ConfigError(f"unknown schedule {name!r} (constant, multistep, cosine, "
                           "exponential)")


def _positive(cfg, key: str) -> int:
  if cfg[key] <= 0:
    raise errors.ConfigError(f"the {cfg.name} schedule needs optimizer.schedule.{key} > 0")
  return int(cfg[key])


def make_optimizer(cfg) -> optax.GradientTransformation:
  """The optimiser of ``cfg`` (``config_defaults.optimizer_config()``)."""
  lr = make_schedule(cfg.schedule, float(cfg.lr))
  wd = float(cfg.weight_decay)
  name = cfg.name
  if name == "adam":
    adam = optax.adam(lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps)
    return optax.chain(optax.add_decayed_weights(wd), adam) if wd else adam
  if name == "adamw":
    return optax.adamw(lr, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps, weight_decay=wd)
  if name == "sgd":
    parts = [optax.add_decayed_weights(wd)] if wd else []
    if cfg.momentum or cfg.nesterov:  # nesterov without momentum: torch_momentum refuses it
      parts.append(torch_momentum(cfg.momentum, cfg.dampening, cfg.nesterov))
    parts.append(optax.scale_by_learning_rate(lr))
    return optax.chain(*parts)
  raise errors.ConfigError(f"unknown optimizer {name!r} (adam, adamw, sgd)")
