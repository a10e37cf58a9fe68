"""Per-pixel losses between NHWC batches; each returns a scalar."""
import jax.numpy as jnp

from jaxrestore import errors


def mse(pred, target):
  """``nn.MSELoss()``: mean over every element."""
  return jnp.mean(jnp.square(pred - target))


def l1(pred, target):
  """``nn.L1Loss()``: mean absolute error (KAIR's DnCNN default)."""
  return jnp.mean(jnp.abs(pred - target))


def sum_squared_half(pred, target):
  """The DnCNN paper's ``1/(2N) sum_i ||f(y_i) - x_i||^2`` (N: batch size)."""
  return 0.5 * jnp.sum(jnp.square(pred - target)) / pred.shape[0]


_LOSSES = {"mse": mse, "l1": l1, "sum_squared_half": sum_squared_half}


def get_pixel_loss(name: str):
  try:
    return _LOSSES[name]
  except KeyError:
    raise errors.ConfigError(f"unknown loss {name!r}; known: {sorted(_LOSSES)}") from None
