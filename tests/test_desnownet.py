"""DesnowNet unit tests: NaN-free recovery at z = 1, full-resolution shapes, loss levels."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxrestore import losses, models
from jaxrestore.models.desnownet import recover


def test_recovery_value_and_gradient_are_finite_at_z_equal_1():
  x = jnp.array([0.3, 0.7, 0.9])
  a = jnp.array([0.95, 0.9, 1.0])
  z = jnp.array([1.0, 0.5, 0.0])
  y = recover(x, z, a)
  np.testing.assert_allclose(y, [0.3, (0.7 - 0.45) / 0.5, 0.9], rtol=1e-6)
  grads = jax.grad(lambda x, z, a: jnp.sum(recover(x, z, a)), argnums=(0, 1, 2))(x, z, a)
  for g in grads:
    assert np.all(np.isfinite(g))
  gx, gz, ga = grads
  np.testing.assert_allclose(gx, [1.0, 2.0, 1.0], rtol=1e-6)  # z = 1: y' = x, d/dx = 1
  assert gz[0] == 0 and ga[0] == 0


@pytest.mark.slow
def test_model_gradient_is_finite_when_the_mask_saturates():
  model = models.create("desnownet", rngs=nnx.Rngs(0), width_factor=32, blocks=(1, 1, 1),
                        pool="pool", use_bn=False, gamma=1)
  bias = model.mask_maxout.convs.conv1.bias
  bias[...] = bias[...] + 10.0  # z_raw >> 1 everywhere: z clipped to exactly 1
  x = jnp.asarray(np.random.RandomState(0).random_sample((1, 9, 11, 3)), jnp.float32)

  def loss(m):
    out = m(x)
    return jnp.sum(out["y_hat"]), out

  (_, out), g = nnx.jit(nnx.value_and_grad(loss, has_aux=True))(model)  # one compilation
  assert float(out["z"].min()) == 1.0
  np.testing.assert_allclose(out["y_prime"], x)  # nothing to recover through an opaque mask
  assert all(np.all(np.isfinite(v)) for v in jax.tree.leaves(g))


@pytest.mark.parametrize("pool", ["conv", "pool"])
def test_same_size_output_on_odd_sizes(pool):
  model = models.create("desnownet", rngs=nnx.Rngs(0), width_factor=32, blocks=(1, 1, 1),
                        pool=pool)
  out = nnx.eval_shape(lambda m: m(jnp.zeros((1, 67, 45, 3))), model)  # shapes only
  for k, v in out.items():
    assert v.shape == (1, 67, 45, 1 if k in ("z", "z_raw") else 3), k


def test_gray_input_is_refused():
  with pytest.raises(ValueError, match="RGB"):
    models.create("desnownet", rngs=nnx.Rngs(0), in_channels=1)


def test_pyramid_loss_levels_are_each_a_mean_squared_error():
  x = jnp.zeros((2, 16, 16, 1))
  y = x.at[:, 0, 0, 0].set(1.0)  # one differing pixel: it survives every max-pool level
  # the paper's form: level i is the MSE over its (16 / 2^i)^2 pixels, so every level counts
  mses = [1 / (16 // 2 ** i) ** 2 for i in range(5)]
  assert float(losses.pyramid_loss(x, y, tau=4)) == pytest.approx(sum(mses), rel=1e-6)
  assert float(losses.pyramid_loss(x, y, tau=0)) == pytest.approx(1 / 256, rel=1e-6)
  small = jnp.zeros((1, 5, 7, 1))  # levels 8 and 16 are coarser than the image: skipped
  assert float(losses.pyramid_loss(small, small.at[0, 0, 0, 0].set(1.0))) == pytest.approx(
      1 / 35 + 1 / 6 + 1, rel=1e-6)


def test_pyramid_loss_sum_reduction_is_the_reimplementations():
  x = jnp.zeros((2, 16, 16, 1))
  y = x.at[:, 0, 0, 0].set(1.0)
  # summed over pixels and channels, / batch 2: one per level, so level 0 weighs 4^i more
  assert float(losses.pyramid_loss(x, y, tau=4, reduction="sum")) == pytest.approx(5.0)
  with pytest.raises(ValueError, match="reduction"):
    losses.pyramid_loss(x, y, reduction="max")


def test_a_mask_of_another_shape_is_refused_not_broadcast():
  out = {k: jnp.zeros((1, 8, 8, 3)) for k in ("y_prime", "y_hat")}
  out["z_raw"] = jnp.zeros((1, 8, 8, 1))
  with pytest.raises(ValueError, match=r"mask has shape \(1, 8, 8, 3\), expected \(1, 8, 8, 1\)"):
    losses.desnow_loss(out, jnp.zeros((1, 8, 8, 3)), jnp.zeros((1, 8, 8, 3)))


@pytest.mark.slow
def test_identity_init_returns_the_input_and_still_learns():
  model = models.create("desnownet", rngs=nnx.Rngs(0), width_factor=32, blocks=(1, 1, 1),
                        pool="pool", identity_init=True)
  x = jnp.asarray(np.random.RandomState(1).random_sample((2, 12, 10, 3)), jnp.float32)

  def loss(m):
    out = m(x)
    return jnp.sum((out["y_hat"] - 0.5) ** 2), out

  (_, out), g = nnx.jit(nnx.value_and_grad(loss, has_aux=True))(model)  # one compilation
  assert float(jnp.abs(out["z"]).max()) == 0.0 and float(jnp.abs(out["r"]).max()) == 0.0
  np.testing.assert_array_equal(out["a"], jnp.ones_like(out["a"]))  # white, as snow
  np.testing.assert_array_equal(out["y_hat"], x)
  # the zeroed heads still receive a gradient, so training moves away from the identity
  assert float(jnp.abs(g.residual_sumout.convs.conv3.kernel[...]).max()) > 0
  assert float(jnp.abs(g.mask_maxout.convs.conv1.kernel[...]).max()) > 0
