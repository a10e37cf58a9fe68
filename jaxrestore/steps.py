"""Pure training steps: ``train_step(state, batch) -> (state, metrics)``, jitted, state donated.

NNX graphs are split once outside; inside the jitted function the model is
merged (``nnx.merge``) and differentiated with ``nnx.value_and_grad`` (merging
inside ``jax.value_and_grad`` instead trips over the BatchNorm statistics).
Pieces compose for other models:

* ``TrainState`` is one model (parameters and buffers) + one optimiser. A multi-output model only needs
  its own ``loss_fn(model, batch, rng) -> (loss, metrics)``.
* ``apply_gradients`` is the shared update (with the non-finite guard), so a GAN
  step holds two ``TrainState``s and updates each with its own optimiser
  (``jaxrestore.gan``).
* ``Setup`` is what the training loop needs from a task: the initial state (any
  pytree, checkpointed as a whole), the jitted step and an eval-mode ``apply``.

Non-finite guard: a step whose loss or gradients are NaN/inf leaves the state
unchanged and reports ``finite = 0``; the loop stops with a clear error, and
the last checkpoint (always of a finite state) stays as it is.
"""
import dataclasses
from typing import Any, Callable

import flax
import jax
import jax.numpy as jnp
import optax
from flax import nnx

from jaxrestore import errors, models, tiling


@flax.struct.dataclass
class TrainState:
  step: jax.Array
  params: Any  # nnx.State of nnx.Param: what the optimiser trains
  buffers: Any  # nnx.State of every other variable (BatchNorm statistics): torch's buffers
  opt_state: Any
  rng: jax.Array


def create_train_state(model: nnx.Module, tx: optax.GradientTransformation,
                       seed: int) -> tuple[nnx.GraphDef, nnx.GraphDef, TrainState]:
  """Splits ``model`` once: (train-mode graphdef, eval-mode graphdef, state)."""
  model.train()
  graphdef, params, buffers = nnx.split(model, nnx.Param, ...)
  model.eval()
  eval_graphdef = nnx.graphdef(model)
  model.train()
  state = TrainState(step=jnp.zeros((), jnp.int32), params=params, buffers=buffers,
                     opt_state=tx.init(params), rng=jax.random.PRNGKey(seed))
  return graphdef, eval_graphdef, state


def _all_finite(tree) -> jax.Array:
  leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)
            if jnp.issubdtype(x.dtype, jnp.floating)]
  return jnp.all(jnp.stack(leaves)) if leaves else jnp.bool_(True)


def apply_gradients(state: TrainState, tx, grads, buffers, rng,
                    loss) -> tuple[TrainState, jax.Array]:
  """One optimiser update (``buffers``: the model's after the forward pass); a non-finite
  loss or gradient leaves ``state`` as it was."""
  updates, opt_state = tx.update(grads, state.opt_state, state.params)
  new = state.replace(step=state.step + 1, params=optax.apply_updates(state.params, updates),
                      buffers=buffers, opt_state=opt_state, rng=rng)
  finite = jnp.isfinite(loss) & _all_finite(grads) & _all_finite(new.params)
  # One conditional over the whole state: a per-leaf ``where`` is the same result,
  # but with hundreds of leaves (DesnowNet) XLA CPU took minutes to compile it.
  guarded = jax.lax.cond(finite, lambda: new, lambda: state)
  return guarded.replace(step=state.step + 1), finite


def buffers_of(model: nnx.Module) -> nnx.State:
  """The model's variables other than parameters (what ``TrainState.buffers`` holds)."""
  return nnx.state(model, nnx.Not(nnx.Param))


LossFn = Callable[[nnx.Module, dict, jax.Array], tuple[jax.Array, dict]]


def make_train_step(graphdef: nnx.GraphDef, tx: optax.GradientTransformation, loss_fn: LossFn):
  """The pure, jitted ``train_step(state, batch) -> (state, metrics)``; state is donated."""

  def train_step(state: TrainState, batch):
    model = nnx.merge(graphdef, state.params, state.buffers)
    rng, step_rng = jax.random.split(state.rng)
    (loss, aux), grads = nnx.value_and_grad(
        lambda m: loss_fn(m, batch, step_rng), has_aux=True)(model)
    state, finite = apply_gradients(state, tx, grads, buffers_of(model), rng, loss)
    return state, {"loss": loss, "grad_norm": optax.tree.norm(grads),
                   "finite": finite.astype(jnp.float32), **aux}

  return jax.jit(train_step, donate_argnums=0)


def make_state_apply(eval_graphdef: nnx.GraphDef, size_multiple: int = 1):
  """Eval-mode ``apply(state, x) -> y`` of a ``TrainState`` (jitted; inputs padded to
  ``size_multiple``)."""

  @jax.jit
  def apply(state: TrainState, x):
    return nnx.merge(eval_graphdef, state.params, state.buffers)(x)

  return lambda state, x: tiling.pad_to_multiple(lambda y: apply(state, y), size_multiple)(x)


class WeightsMismatchError(errors.UserError, ValueError):
  """Weights of a model that is not the one being trained."""


def _dotted(path) -> str:
  """'conv.0.kernel' for a pytree key path (without nnx's trailing '.value')."""
  parts = [str(getattr(p, "key", getattr(p, "idx", getattr(p, "name", p)))) for p in path]
  return ".".join(parts[:-1] if parts and parts[-1] == "value" else parts)


def with_model_weights(state: TrainState, model: nnx.Module,
                       tx: optax.GradientTransformation) -> TrainState:
  """``state`` holding ``model``'s parameters and other variables (BatchNorm statistics)
  and a fresh optimiser state for them; ``model`` must have the same variables, shapes
  included, as the one ``state`` was made from."""
  _, params, buffers = nnx.split(model, nnx.Param, ...)
  for name, ours, theirs in (("parameters", state.params, params),
                             ("buffers", state.buffers, buffers)):
    flat_ours = dict(jax.tree_util.tree_flatten_with_path(ours)[0])
    flat_theirs = dict(jax.tree_util.tree_flatten_with_path(theirs)[0])
    if flat_ours.keys() != flat_theirs.keys():
      fmt = lambda ks: sorted(_dotted(k) for k in ks)[:5]  # noqa: E731
      raise WeightsMismatchError(
          f"the initial weights do not fit the model ({name}): missing "
          f"{fmt(flat_ours.keys() - flat_theirs.keys())}, unexpected "
          f"{fmt(flat_theirs.keys() - flat_ours.keys())}")
    for k, leaf in flat_ours.items():
      if jnp.shape(flat_theirs[k]) != jnp.shape(leaf):
        raise WeightsMismatchError(
            f"the initial weights do not fit the model: {_dotted(k)} has shape "
            f"{jnp.shape(flat_theirs[k])}, the model expects {jnp.shape(leaf)}")
  cast = lambda new, old: jnp.asarray(new, old.dtype)  # noqa: E731
  params = jax.tree.map(cast, params, state.params)
  return state.replace(params=params, buffers=jax.tree.map(cast, buffers, state.buffers),
                       opt_state=tx.init(params))


@dataclasses.dataclass(frozen=True)
class Setup:
  """What the loop trains: ``state`` (a pytree, checkpointed whole), the jitted
  ``train_step(state, batch) -> (state, metrics)``, ``apply(state, x)``, the
  eval-mode model output used by the task's evaluation, and
  ``load_weights(state, model) -> state``, which starts the trained model (the
  generator of a GAN) from ``model``'s weights (``config.init_checkpoint``)."""
  state: Any
  train_step: Callable
  apply: Callable
  load_weights: Callable


def single_model_setup(model: models.RestorationModel, tx: optax.GradientTransformation,
                       loss_fn: LossFn, seed: int) -> Setup:
  """One model, one optimiser: the setup of every task but the GAN."""
  graphdef, eval_graphdef, state = create_train_state(model, tx, seed)
  return Setup(state, make_train_step(graphdef, tx, loss_fn),
               make_state_apply(eval_graphdef, model.size_multiple),
               lambda state, init: with_model_weights(state, init, tx))
