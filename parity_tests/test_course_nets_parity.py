"""The EE-559 course nets in four forms: torch.nn, NNX, explicit torch, explicit JAX.

One torch.nn state dict is loaded into the other three; outputs and the MSE
gradients w.r.t. every parameter agree with torch autograd to 1e-5 (float32).
"""
import itertools

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

# Every architectural setting of both source grids. Net B: widths x up kernel x down
# kernel (the optimiser and batch axes do not change the net). Net A: the rows of the
# framework project's table, (kernel_size, stride, padding, dilation); two of them are
# "incompatible shapes" there and raise IncompatibleShapesError here.
NET_B_GRID = [dict(channels=c, up_kernel=u, down_kernel=d) for c, u, d in
              itertools.product(((8, 32), (16, 32), (16, 64), (32, 64)), (3, 5), (2, 4))]
NET_A_ROWS = {(2, 1, 0, 1): True, (2, 2, 0, 1): True, (2, 1, 0, 2): True, (2, 2, 0, 2): False,
              (2, 1, 1, 1): True, (2, 2, 1, 1): False, (3, 1, 1, 1): True}


def _a(row):
  return dict(zip(("kernel_size", "stride", "padding", "dilation"), row))


def _b_id(kw):
  return f"b-w{kw['channels'][0]}.{kw['channels'][1]}-up{kw['up_kernel']}-down{kw['down_kernel']}"


# The net B cases at the final model's widths (16, 32) cover every kernel setting and
# stay in the quick loop; the other widths only change channel counts (~4 s each on 2
# cores, mostly compilation) and are marked slow, so CI still runs the whole grid.
CASES = ([pytest.param("course_net_b", kw, 16, id=_b_id(kw),
                       marks=() if kw["channels"] == (16, 32) else pytest.mark.slow)
          for kw in NET_B_GRID]
         + [pytest.param("course_net_a", dict(channels=(8, 16), **_a(r)), 16,
                         id=f"a-{'.'.join(map(str, r))}") for r, ok in NET_A_ROWS.items() if ok]
         + [pytest.param("course_net_a", {}, 32, id="a-default-32"),
            pytest.param("course_net_b", {}, 32, id="b-default-32")])


def _four(name, kwargs, hw, seed=0):
  torch.manual_seed(seed)
  net = tm.create(name, **kwargs)
  sd = net.state_dict()
  texp = TE.NETS[name](**kwargs)
  texp.load_state_dict(sd)
  jexp = JE.NETS[name](**kwargs)
  # Built abstract (eval_shape) and filled from the torch state dict: an eager init
  # would compile the random number generator again for every new shape.
  params = JE.load_state_dict(jax.eval_shape(jexp.init, jax.random.PRNGKey(1)),
                              {k: v.numpy() for k, v in sd.items()})
  model = porting.load_torch(nnx.eval_shape(lambda: jm.create(name, rngs=nnx.Rngs(2), **kwargs)),
                             sd)
  rng = np.random.RandomState(seed)
  x = rng.rand(2, 3, hw, hw).astype(np.float32)
  target = np.clip(x + rng.normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
  return net, texp, jexp, params, model, x, target


@pytest.mark.parametrize("name,kwargs,hw", CASES)
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
  got_texp = dict(zip(texp.state_dict(), (g.numpy() for _, g in texp.param())))

  @jax.jit
  def explicit_grads(params, x, t):
    y, cache = jexp.forward(params, x)
    l, d = JE.MSE().forward(y, t)
    return y, l, jexp.backward(params, cache, JE.MSE().backward(d))[1]
  y_jexp, l_jexp, g_jexp = explicit_grads(params, xj, tj)
  got_jexp = {k: np.asarray(v) for k, v in JE.state_dict(g_jexp).items()}

  def mse(m):
    y = m(xj)
    return jnp.mean((y - tj) ** 2), y
  (l_nnx, y_nnx), g_nnx = nnx.jit(nnx.value_and_grad(mse, has_aux=True))(model)
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
  net, _, _, params, model, *_ = _four(name, {}, 32)
  sd = net.state_dict()
  # NNX -> explicit JAX -> explicit torch -> torch.nn: every key, bit for bit, each step
  # loaded into other weights (zeros, another seed), so that no step can pass by doing nothing
  from_nnx = {k: v.numpy() for k, v in porting.to_torch_state_dict(model).items()}
  again = JE.state_dict(JE.load_state_dict(jax.tree.map(jnp.zeros_like, params), from_nnx))
  torch.manual_seed(9)
  texp = TE.NETS[name]()
  assert not torch.equal(texp.state_dict()["0.weight"], sd["0.weight"])
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


@pytest.mark.parametrize("row", [r for r, ok in NET_A_ROWS.items() if not ok],
                         ids=lambda r: ".".join(map(str, r)))
def test_incompatible_rows_raise_in_all_four_forms(row):
  kwargs = dict(channels=(4, 8), **_a(row))
  hw = (16, 16)
  # What the layers themselves make (nn.Sequential's forward, without the check) is
  # what output_hw says, and differs from the input: the source's "incompatible shapes".
  net = tm.create("course_net_a", **kwargs)
  raw = torch.nn.Sequential.forward(net, torch.zeros(1, 3, *hw))
  assert tuple(raw.shape[2:]) == jm.course_nets.output_hw("course_net_a", hw, **_a(row)) != hw
  assert tm.course_nets.output_hw("course_net_a", hw, **_a(row)) == tuple(raw.shape[2:])
  texp, jexp = TE.NETS["course_net_a"](**kwargs), JE.NETS["course_net_a"](**kwargs)
  model = jm.create("course_net_a", rngs=nnx.Rngs(0), **kwargs)
  x = np.zeros((1, *hw, 3), np.float32)
  for what, call in (("torch.nn", lambda: net(torch.zeros(1, 3, *hw))),
                     ("torch explicit", lambda: texp(torch.zeros(1, 3, *hw))),
                     ("jax explicit", lambda: jexp(jexp.init(jax.random.PRNGKey(0)), x)),
                     ("nnx", lambda: model(jnp.asarray(x)))):
    with pytest.raises(ValueError, match="incompatible shapes") as e:
      call()
    assert type(e.value).__name__ == "IncompatibleShapesError", what
  with pytest.raises(jm.course_nets.IncompatibleShapesError, match=r"maps 16x16 to \d+x\d+"):
    jm.course_nets.check_shapes("course_net_a", hw, **_a(row))


def _weights(name, form, **kwargs):
  """{key: weight or bias as numpy} of a freshly initialised net in one of the four forms."""
  if form == "torch.nn":
    return {k: v.numpy() for k, v in tm.create(name, **kwargs).state_dict().items()}
  if form == "torch explicit":
    return {k: v.numpy() for k, v in TE.NETS[name](**kwargs).state_dict().items()}
  if form == "jax explicit":
    net = JE.NETS[name](**kwargs)
    return {k: np.asarray(v) for k, v in JE.state_dict(net.init(jax.random.PRNGKey(0))).items()}
  model = jm.create(name, rngs=nnx.Rngs(0), **kwargs)
  return {k: v.numpy() for k, v in porting.to_torch_state_dict(model).items()}


FORMS = ["torch.nn", "torch explicit", "jax explicit", "nnx"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", ["course_net_a", "course_net_b"])
def test_xavier_init_has_the_same_distribution_in_all_four_forms(name, form):
  torch.manual_seed(0)
  for k, w in _weights(name, form, channels=(32, 64), init="xavier").items():
    if k.endswith("bias"):
      assert not w.any(), k
      continue
    # a conv's (O, I, kh, kw) or a transposed conv's (I, O, kh, kw): the same bound
    bound = np.sqrt(6.0 / ((w.shape[0] + w.shape[1]) * w.shape[2] * w.shape[3]))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound, k
    assert abs(w.std() / (bound / np.sqrt(3)) - 1) < 0.1, k  # U(-b, b) has std b / sqrt(3)


@pytest.mark.parametrize("form", FORMS)
def test_default_inits_follow_the_sources(form):
  """Net B: Xavier, as its source (zero biases); net A: torch's default (U(+-1/sqrt(fan_in)))."""
  torch.manual_seed(0)
  b = _weights("course_net_b", form)
  assert all(not v.any() for k, v in b.items() if k.endswith("bias"))
  xavier = np.sqrt(6.0 / (35 * 4))  # 0.207 for (32, 3, 2, 2); torch's default: 1 / sqrt(12) = 0.289
  assert 0.95 * xavier < np.abs(b["0.weight"]).max() <= xavier
  a = _weights("course_net_a", form)
  bound = 1 / np.sqrt(3 * 2 * 2)
  assert 0.8 * bound < np.abs(a["0.bias"]).max() <= bound
  assert 0.95 * bound < np.abs(a["0.weight"]).max() <= bound
