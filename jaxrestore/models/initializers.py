"""Random initialisers that compile a handful of programs instead of one per shape.

``jax.random.normal(key, shape)`` and ``jax.random.uniform`` compile a program per
shape when called outside ``jit``, as a model's constructor calls them: about 0.2 s
each on CPU (threefry and the float transform), so a model with a hundred parameter
shapes (DesnowNet) took 20 s to build, most of it compiling random draws.
Compiling the whole constructor as one program is no faster.

JAX's threefry is counter-based and partitionable (``jax_threefry_partitionable``,
the default): element ``i`` of a draw depends only on the key and ``i``, so the first
``n`` numbers of a draw of size ``N >= n`` are the numbers of a draw of size ``n``,
and the elementwise transforms (scale, shift, clamp to ``minval``) keep that. The
functions below draw a block of a few fixed sizes (``_block_size``) and keep its first
``n`` numbers, in the shape asked for: the same numbers, bit for bit, as ``jax.random``
and flax's initialisers give (tests/test_models.py checks it), from a handful of
compiled programs for every shape a model can have (one for a small model): DesnowNet's
test model builds in 3 s instead of 22. Without the partitionable threefry, or in a
dtype other than float32, they are ``jax.random``'s own calls.
"""
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np


_MIN_BLOCK = 1 << 16  # 65536 numbers: a draw takes about 1 ms, its compilation 0.15 s


def _block_size(n: int) -> int:
  """The size drawn for ``n`` numbers: ``_MIN_BLOCK`` or the next power of 4 above it, so
  that a model's shapes share a handful of programs and a large draw keeps at least 1/4."""
  size = _MIN_BLOCK
  while size < n:
    size *= 4
  return size


# The scaling stays outside the draw (optimization_barrier): fused into it, XLA computed
# a quarter of the numbers one ulp away from jax.random's own program times the scale.
@functools.partial(jax.jit, static_argnums=1)
def _normal_block(key, size, scale):
  return jax.lax.optimization_barrier(jax.random.normal(key, (size,), jnp.float32)) * scale


@functools.partial(jax.jit, static_argnums=1)
def _uniform_block(key, size, minval, maxval, scale):
  draw = jax.random.uniform(key, (size,), jnp.float32, minval, maxval)
  return jax.lax.optimization_barrier(draw) * scale


def _bucketed(dtype) -> bool:
  return jnp.dtype(dtype) == jnp.float32 and jax.config.jax_threefry_partitionable


def _first(block, shape):
  """The block's first numbers in ``shape``: sliced on the host (in a traced function, by
  the program), as slicing eagerly would compile a program per shape again."""
  n = math.prod(shape)
  if isinstance(block, jax.core.Tracer):
    return block[:n].reshape(shape)
  return jax.device_put(np.asarray(block)[:n].reshape(shape))


def normal(key, shape, dtype=jnp.float32, scale=1.0):
  """``jax.random.normal(key, shape, dtype) * scale``."""
  scale = jnp.asarray(scale, dtype)
  if not _bucketed(dtype):
    return jax.random.normal(key, shape, dtype) * scale
  return _first(_normal_block(key, _block_size(math.prod(shape)), scale), shape)


def uniform(key, shape, dtype=jnp.float32, minval=0.0, maxval=1.0, scale=1.0):
  """``jax.random.uniform(key, shape, dtype, minval, maxval) * scale``."""
  scale = jnp.asarray(scale, dtype)
  if not _bucketed(dtype):
    return jax.random.uniform(key, shape, dtype, minval, maxval) * scale
  return _first(_uniform_block(key, _block_size(math.prod(shape)), minval, maxval, scale),
                shape)


def variance_scaling(scale: float, mode: str, distribution: str):
  """``jax.nn.initializers.variance_scaling(scale, mode, distribution)`` for kernels whose
  last two axes are (in, out), as flax's conv and dense kernels; ``distribution`` is
  "normal" (not truncated) or "uniform"."""
  if mode not in ("fan_in", "fan_out", "fan_avg") or distribution not in ("normal", "uniform"):
    raise ValueError(f"unsupported variance_scaling({mode!r}, {distribution!r})")

  def init(key, shape, dtype=jnp.float32):
    receptive = math.prod(shape[:-2])
    fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    denominator = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = jnp.array(scale / denominator, dtype)
    if distribution == "normal":
      return normal(key, shape, dtype, jnp.sqrt(variance))
    return uniform(key, shape, dtype, -1, 1, jnp.sqrt(3 * variance))

  return init


def orthogonal(scale: float = 1.0):
  """``torch.nn.init.orthogonal_(w, gain=scale)`` for kernels whose last axis is out (flax's
  layout): the (out, everything else) matrix has orthonormal rows, or columns where it is
  taller than wide, times ``scale``. Drawn as ``jax.nn.initializers.orthogonal`` draws it,
  the QR of a normal matrix with the signs of R's diagonal, but with the QR on the host in
  float64 (no program per shape); under a trace (``nnx.eval_shape``, ``jit``) it is
  ``jnp.linalg.qr``'s: the same distribution, not the same bits."""

  def init(key, shape, dtype=jnp.float32):
    n_out, n_rest = shape[-1], math.prod(shape[:-1])
    a = normal(key, (max(n_out, n_rest), min(n_out, n_rest)))
    if isinstance(a, jax.core.Tracer):
      q, r = jnp.linalg.qr(a)
      q = q * jnp.sign(jnp.diag(r))
    else:
      q, r = np.linalg.qr(np.asarray(a, np.float64))
      q = q * np.sign(np.diag(r))
    if n_rest < n_out:
      q = q.T  # (n_rest, n_out) with orthonormal rows
    return jnp.asarray(scale * q, dtype).reshape(shape)

  return init
