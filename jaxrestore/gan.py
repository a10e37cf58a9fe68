"""Two-optimiser (GAN) training through the shared step pieces of ``jaxrestore.steps``.

``GANState`` holds a generator and a discriminator ``TrainState`` (each with its
own optax optimiser state); the checkpoint saves and restores both together.
``make_gan_train_step`` is one jitted program (state donated) per batch:

1. D step: the generator's output ``fake = G(input)`` (no gradient to G), then
   ``d_loss_fn(d, batch, fake, rng)``, differentiated w.r.t. D only, and D's update;
2. G step: ``g_loss_fn(g, d', batch, rng)`` with the *updated* discriminator
   ``d'`` held constant, differentiated w.r.t. G only, and G's update.

Both updates go through ``steps.apply_gradients`` (non-finite guard each); the
metrics keep the generator's under their names (``loss``, ``psnr``, ...) and the
discriminator's under ``d_`` (``d_loss``, ``d_grad_norm``, ...). One program
rather than two: the batch is transferred once, G's forward for the D step and
its forward under the gradient share the input, and XLA schedules both updates
together. ``make_generator_step`` trains the generator alone (a pretraining phase),
with the same state, so a full run starts from its workdir.
"""
from typing import Any, Callable

import flax
import jax
import jax.numpy as jnp
import optax
from flax import nnx

from jaxrestore import steps


@flax.struct.dataclass
class GANState:
  step: jax.Array
  g: steps.TrainState
  d: steps.TrainState


def create_gan_state(generator: nnx.Module, discriminator: nnx.Module, g_tx, d_tx, seed: int):
  """(g graphdef, g eval graphdef, d graphdef, GANState)."""
  g_graphdef, g_eval_graphdef, g_state = steps.create_train_state(generator, g_tx, seed)
  d_graphdef, _, d_state = steps.create_train_state(discriminator, d_tx, seed + 1)
  return g_graphdef, g_eval_graphdef, d_graphdef, GANState(
      step=jnp.zeros((), jnp.int32), g=g_state, d=d_state)


DLossFn = Callable[[nnx.Module, dict, Any, jax.Array], tuple[jax.Array, dict]]
GLossFn = Callable[[nnx.Module, nnx.Module, dict, jax.Array], tuple[jax.Array, dict]]


def make_gan_train_step(g_graphdef, d_graphdef, g_tx: optax.GradientTransformation,
                        d_tx: optax.GradientTransformation, d_loss_fn: DLossFn,
                        g_loss_fn: GLossFn):
  """The jitted ``train_step(GANState, batch) -> (GANState, metrics)``: D, then G."""

  def train_step(state: GANState, batch):
    g = nnx.merge(g_graphdef, state.g.params, state.g.buffers)
    d = nnx.merge(d_graphdef, state.d.params, state.d.buffers)
    d_rng, d_step_rng = jax.random.split(state.d.rng)
    g_rng, g_step_rng = jax.random.split(state.g.rng)

    fake = jax.lax.stop_gradient(g(batch["input"]))
    (d_loss, d_aux), d_grads = nnx.value_and_grad(
        lambda m: d_loss_fn(m, batch, fake, d_step_rng), has_aux=True)(d)
    d_state, d_finite = steps.apply_gradients(state.d, d_tx, d_grads, steps.buffers_of(d), d_rng, d_loss)

    d_new = nnx.merge(d_graphdef, d_state.params, d_state.buffers)
    (g_loss, g_aux), g_grads = nnx.value_and_grad(
        lambda m, dm: g_loss_fn(m, dm, batch, g_step_rng), argnums=0, has_aux=True)(g, d_new)
    g_state, g_finite = steps.apply_gradients(state.g, g_tx, g_grads, steps.buffers_of(g), g_rng, g_loss)

    metrics = {"loss": g_loss, "grad_norm": optax.tree.norm(g_grads), **g_aux,
               "d_loss": d_loss, "d_grad_norm": optax.tree.norm(d_grads),
               **{f"d_{k}": v for k, v in d_aux.items()},
               "finite": (d_finite & g_finite).astype(jnp.float32)}
    return GANState(step=state.step + 1, g=g_state, d=d_state), metrics

  return jax.jit(train_step, donate_argnums=0)


def make_generator_step(g_graphdef, g_tx: optax.GradientTransformation, g_loss_fn):
  """The jitted ``train_step(GANState, batch) -> (GANState, metrics)`` of a phase that
  trains the generator alone on ``g_loss_fn(g, batch, rng)`` (e.g. a pretraining of its
  attention); the discriminator's state passes through unchanged."""

  def train_step(state: GANState, batch):
    g = nnx.merge(g_graphdef, state.g.params, state.g.buffers)
    g_rng, g_step_rng = jax.random.split(state.g.rng)
    (g_loss, g_aux), g_grads = nnx.value_and_grad(
        lambda m: g_loss_fn(m, batch, g_step_rng), has_aux=True)(g)
    g_state, g_finite = steps.apply_gradients(state.g, g_tx, g_grads, steps.buffers_of(g),
                                              g_rng, g_loss)
    metrics = {"loss": g_loss, "grad_norm": optax.tree.norm(g_grads), **g_aux,
               "finite": g_finite.astype(jnp.float32)}
    return state.replace(step=state.step + 1, g=g_state), metrics

  return jax.jit(train_step, donate_argnums=0)


def make_generator_apply(g_eval_graphdef, size_multiple: int = 1):
  """Eval-mode generator ``apply(GANState, x)`` for the task's evaluation."""
  apply = steps.make_state_apply(g_eval_graphdef, size_multiple)
  return lambda state, x: apply(state.g, x)
