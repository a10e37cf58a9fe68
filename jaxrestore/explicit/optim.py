"""``torch.optim.SGD`` as a pure function with traced hyper-parameters.

Every hyper-parameter may be a traced array (so a ``jax.vmap`` can sweep them),
``nesterov`` included (a bool: both updates are formed and one selected, which
costs two element-wise passes and lets Nesterov and plain momentum share a
program). As torch, the first momentum step stores the (decayed) gradient itself,
undampened.
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp


class SGDState(NamedTuple):
  count: jax.Array
  buf: dict


def sgd_init(params) -> SGDState:
  return SGDState(jnp.zeros((), jnp.int32), jax.tree.map(jnp.zeros_like, params))


def sgd_step(params, grads, state: SGDState, lr, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False):
  """One step; returns (params, state)."""
  d = jax.tree.map(lambda g, p: g + weight_decay * p, grads, params)
  first = state.count == 0
  buf = jax.tree.map(lambda b, x: jnp.where(first, x, momentum * b + (1 - dampening) * x),
                     state.buf, d)
  # Nesterov: d + momentum * buf; plain: buf, or d where momentum is 0 (torch keeps no
  # buffer, and ignores dampening, then)
  step = jax.tree.map(lambda x, b: jnp.where(nesterov, x + momentum * b,
                                             jnp.where(momentum == 0, x, b)), d, buf)
  params = jax.tree.map(lambda p, s: p - lr * s, params, step)
  return params, SGDState(state.count + 1, buf)


def state_dict(params, prefix: str = "") -> dict:
  """Nested params -> flat ``{"0.weight": array}`` as torch's state_dict."""
  out = {}
  for k, v in params.items():
    if isinstance(v, dict):
      out.update(state_dict(v, f"{prefix}{k}."))
    else:
      out[prefix + k] = v
  return out


def param(params, grads) -> list:
  """[(parameter, gradient)] in ``state_dict`` order: the torch twin's ``param()``."""
  flat_g = state_dict(grads)
  return [(v, flat_g[k]) for k, v in state_dict(params).items()]


def load_state_dict(params, state: dict):
  """The inverse of ``state_dict``: same keys and shapes as ``params``, strictly."""
  flat = state_dict(params)
  if set(flat) != set(state):
    raise KeyError(f"missing {sorted(set(flat) - set(state))}, "
                   f"unexpected {sorted(set(state) - set(flat))}")
  def rebuild(tree, prefix=""):
    out = {}
    for k, v in tree.items():
      if isinstance(v, dict):
        out[k] = rebuild(v, f"{prefix}{k}.")
      else:
        new = jnp.asarray(state[prefix + k], v.dtype)
        if new.shape != v.shape:
          raise ValueError(f"{prefix + k}: shape {new.shape}, expected {v.shape}")
        out[k] = new
    return out
  return rebuild(params)
