"""Explicit-backward framework (JAX): every backward equals jax.grad of its forward."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxrestore import explicit as E

MODULES = [
    ("conv", lambda: E.Conv2d(3, 5, 3, stride=2, padding=1, dilation=2), (2, 11, 13, 3)),
    ("conv_k2_p1", lambda: E.Conv2d(3, 5, 2, stride=1, padding=1), (2, 8, 8, 3)),
    ("conv_nobias", lambda: E.Conv2d(3, 4, 3, padding=1, bias=False), (1, 6, 5, 3)),
    ("tconv_s2_op1", lambda: E.TransposeConv2d(3, 5, 3, stride=2, padding=1, output_padding=1),
     (2, 6, 7, 3)),
    ("tconv_k2_p1", lambda: E.TransposeConv2d(3, 5, 2, stride=1, padding=1), (2, 8, 8, 3)),
    ("tconv_dilated", lambda: E.TransposeConv2d(2, 3, 3, stride=1, dilation=2), (1, 5, 6, 2)),
    ("linear", lambda: E.Linear(4, 6), (3, 4)),
    ("nearest", lambda: E.NearestUpsampling(2), (2, 3, 4, 3)),
    ("upsampling", lambda: E.Upsampling(3, 4, 5), (2, 4, 4, 3)),
    ("relu", E.ReLU, (2, 5, 5, 3)),
    ("leaky", lambda: E.LeakyReLU(0.1), (2, 5, 5, 3)),
    ("sigmoid", E.Sigmoid, (2, 5, 5, 3)),
    ("sequential", lambda: E.Sequential(E.Conv2d(3, 4, 2, stride=2), E.ReLU(),
                                        E.Upsampling(4, 3, 5), E.Sigmoid()), (2, 8, 8, 3)),
]


@pytest.mark.parametrize("name,make,shape", MODULES, ids=[m[0] for m in MODULES])
def test_backward_equals_jax_grad(name, make, shape):
  mod = make()
  params = mod.init(jax.random.PRNGKey(0))
  rng = np.random.RandomState(1)
  x = jnp.asarray(rng.standard_normal(shape), jnp.float32)
  y, cache = jax.jit(mod.forward)(params, x)
  g = jnp.asarray(rng.standard_normal(y.shape), jnp.float32)
  gx, gp = jax.jit(mod.backward)(params, cache, g)
  ax, ap = jax.jit(jax.grad(lambda x, p: jnp.sum(mod(p, x) * g), argnums=(0, 1)))(x, params)
  np.testing.assert_allclose(gx, ax, rtol=1e-5, atol=1e-5)
  assert jax.tree.structure(gp) == jax.tree.structure(ap)
  for a, b in zip(jax.tree.leaves(gp), jax.tree.leaves(ap)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_mse_backward():
  x = jnp.asarray(np.random.RandomState(0).standard_normal((2, 3, 4, 5)), jnp.float32)
  y = jnp.zeros((2, 3, 4, 5))
  loss, cache = E.MSE().forward(x, y)
  np.testing.assert_allclose(E.MSE().backward(cache),
                             jax.grad(lambda x: jnp.mean((x - y) ** 2))(x), rtol=1e-6)
  np.testing.assert_allclose(loss, jnp.mean(x ** 2), rtol=1e-6)


def test_state_dict_round_trip_is_strict():
  net = E.Sequential(E.Conv2d(3, 4, 2), E.ReLU(), E.TransposeConv2d(4, 3, 2))
  params = net.init(jax.random.PRNGKey(0))
  sd = E.state_dict(params)
  assert sorted(sd) == ["0.bias", "0.weight", "2.bias", "2.weight"]
  assert sd["2.weight"].shape == (4, 3, 2, 2)  # ConvTranspose2d layout: in, out, kh, kw
  other = net.init(jax.random.PRNGKey(1))  # loaded into other weights, it gives params back
  assert not np.array_equal(jax.tree.leaves(other)[0], jax.tree.leaves(params)[0])
  again = E.load_state_dict(other, sd)
  assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(again)))
  with pytest.raises(KeyError, match="missing"):
    E.load_state_dict(params, {k: v for k, v in sd.items() if k != "0.bias"})


def test_param_pairs_follow_state_dict_order():
  net = E.course_net_b(channels=(4, 8), down_kernel=4)
  # shapes only: the pairing is structural, nothing needs computing
  params, grads = (jax.eval_shape(net.init, jax.random.PRNGKey(0)) for _ in range(2))
  pairs = E.param(params, grads)
  sd, gd = E.state_dict(params), E.state_dict(grads)
  assert [p.shape for p, _ in pairs] == [v.shape for v in sd.values()]
  for (p, g), k in zip(pairs, sd):
    assert p is sd[k] and g is gd[k]


@pytest.mark.parametrize("init", ["torch", "xavier"])
def test_conv_init_options(init):
  conv, tconv = E.Conv2d(6, 10, 4, init=init), E.TransposeConv2d(6, 10, 4, init=init)
  for mod, fan_in in ((conv, 6 * 16), (tconv, 10 * 16)):  # torch: tconv fan_in = out * k * k
    p = mod.init(jax.random.PRNGKey(0))
    bound = np.sqrt(6 / (16 * 16)) if init == "xavier" else 1 / np.sqrt(fan_in)
    w = np.asarray(p["weight"])
    assert 0.95 * bound < np.abs(w).max() <= bound
    assert np.any(p["bias"]) == (init == "torch")
  with pytest.raises(ValueError, match="init must be one of"):
    E.Conv2d(1, 1, 1, init="he").init(jax.random.PRNGKey(0))
