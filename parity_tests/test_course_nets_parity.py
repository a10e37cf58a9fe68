"""The EE-559 course nets in four forms: torch.nn, NNX, explicit torch, explicit JAX.

One torch.nn state dict is loaded into the other three; outputs and the MSE
gradients w.r.t. every parameter agree with torch autograd to 1e-5 (float32).
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

import jaxrestore.models as jm
import torch_ref.models as tm
from jaxrestore import explicit as JE
from jaxrestore import porting
from parity_tests.helpers import ATOL, RTOL, grads_as_torch_names, nchw_to_nhwc, nhwc_to_nchw
from torch_ref import explicit as TE

CASES = [("course_net_a", {}, 32), ("course_net_b", {}, 32),
         ("course_net_a", dict(channels=(8, 16), kernel_size=3, stride=2, padding=1), 17),
         ("course_net_b", dict(channels=(12, 20), down_kernel=2, up_kernel=3), 24)]
IDS = ["a", "b", "a-k3s2p1-17x17", "b-up3-24x24"]


def _four(name, kwargs, hw, seed=0):
  torch.manual_seed(seed)
  net = tm.create(name, **kwargs)
  sd = net.state_dict()
  texp = TE.NETS[name](**kwargs)
  texp.load_state_dict(sd)
  jexp = JE.NETS[name](**kwargs)
  params = JE.load_state_dict(jexp.init(jax.random.PRNGKey(1)), {k: v.numpy() for k, v in sd.items()})
  model = porting.load_torch(jm.create(name, rngs=nnx.Rngs(2), **kwargs), sd)
  rng = np.random.RandomState(seed)
  x = rng.rand(4, 3, hw, hw).astype(np.float32)
  target = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
  return net, texp, jexp, params, model, x, target


@pytest.mark.parametrize("name,kwargs,hw", CASES, ids=IDS)
def test_four_forms_agree_on_output_and_gradients(name, kwargs, hw):
  net, texp, jexp, params, model, x, target = _four(name, kwargs, hw)
  xt, tt = torch.from_numpy(x), torch.from_numpy(target)
  xj, tj = jnp.asarray(nchw_to_nhwc(x)), jnp.asarray(nchw_to_nhwc(target))

  loss = torch.nn.functional.mse_loss(net(xt), tt)
  loss.backward()
  expected = {k: p.grad.numpy() for k, p in net.named_parameters()}
  y_ref = net(xt).detach().numpy()

  mse = TE.MSE()
  y_texp = texp(xt)
  mse.forward(y_texp, tt)
  texp.zero_grad()
  texp.backward(mse.backward())
  got_texp = dict(zip(texp.state_dict(), (g.numpy() for _, g in texp.params())))

  @jax.jit
  def explicit_grads(params, x, t):
    y, cache = jexp.forward(params, x)
    l, d = JE.MSE().forward(y, t)
    return y, l, jexp.backward(params, cache, JE.MSE().backward(d))[1]
  y_jexp, l_jexp, g_jexp = explicit_grads(params, xj, tj)
  got_jexp = {k: np.asarray(v) for k, v in JE.state_dict(g_jexp).items()}

  y_nnx = model(xj)
  l_nnx, g_nnx = nnx.value_and_grad(lambda m: jnp.mean((m(xj) - tj) ** 2))(model)
  got_nnx = grads_as_torch_names(model, g_nnx)

  for what, y in (("torch explicit", y_texp.numpy()), ("jax explicit", nhwc_to_nchw(y_jexp)),
                  ("nnx", nhwc_to_nchw(y_nnx))):
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL, err_msg=what)
  for l in (l_jexp, l_nnx):
    np.testing.assert_allclose(float(l), loss.item(), rtol=RTOL)
  for what, got in (("torch explicit", got_texp), ("jax explicit", got_jexp), ("nnx", got_nnx)):
    assert sorted(got) == sorted(expected), what
    for k in expected:
      np.testing.assert_allclose(got[k], expected[k], rtol=RTOL, atol=ATOL, err_msg=f"{what} {k}")


@pytest.mark.parametrize("name", ["course_net_a", "course_net_b"])
def test_weights_round_trip_through_all_four(name):
  net, texp, jexp, params, model, *_ = _four(name, {}, 32)
  sd = net.state_dict()
  # NNX -> explicit JAX -> explicit torch -> torch.nn: every key, bit for bit.
  from_nnx = {k: v.numpy() for k, v in porting.to_torch_state_dict(model).items()}
  again = JE.state_dict(JE.load_state_dict(params, from_nnx))
  texp.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in again.items()})
  fresh = tm.create(name)
  fresh.load_state_dict(texp.state_dict())
  assert list(fresh.state_dict()) == list(sd)
  for k in sd:
    assert torch.equal(fresh.state_dict()[k], sd[k]), k


def test_net_b_rejects_sizes_not_multiple_of_4():
  model = jm.create("course_net_b", rngs=nnx.Rngs(0))
  with pytest.raises(ValueError, match="multiples of 4"):
    model(jnp.zeros((1, 30, 32, 3)))
