"""Explicit-backward frameworks: torch twin vs autograd, JAX vs torch twin, SGD vs torch.optim."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from jaxrestore import explicit as JE
from parity_tests.helpers import ATOL, RTOL, nchw_to_nhwc, nhwc_to_nchw
import torch_ref.models as tm
from torch_ref import explicit as TE

nn = torch.nn

# (id, explicit twin factory, equivalent torch.nn factory, NCHW input shape)
CASES = [
    ("conv", lambda E: E.Conv2d(3, 5, 3, stride=2, padding=1, dilation=2),
     lambda: nn.Conv2d(3, 5, 3, stride=2, padding=1, dilation=2), (2, 3, 11, 13)),
    ("tconv_s2_op1", lambda E: E.TransposeConv2d(3, 5, 3, stride=2, padding=1, output_padding=1),
     lambda: nn.ConvTranspose2d(3, 5, 3, stride=2, padding=1, output_padding=1), (2, 3, 6, 7)),
    ("tconv_k2_p1", lambda E: E.TransposeConv2d(3, 5, 2, stride=1, padding=1),
     lambda: nn.ConvTranspose2d(3, 5, 2, stride=1, padding=1), (2, 3, 8, 8)),
    ("linear", lambda E: E.Linear(4, 6), lambda: nn.Linear(4, 6), (3, 4)),
    ("net", lambda E: E.Sequential(E.Conv2d(3, 4, 2, stride=2), E.LeakyReLU(0.1),
                                   E.Upsampling(4, 3, 5), E.Sigmoid()),
     lambda: nn.Sequential(nn.Conv2d(3, 4, 2, stride=2), nn.LeakyReLU(0.1),
                           nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(4, 3, 5, padding=2)),
                           nn.Sigmoid()), (2, 3, 8, 8)),
]
IDS = [c[0] for c in CASES]


def _to_nhwc(a):
  return nchw_to_nhwc(a) if a.ndim == 4 else a


def _to_nchw(a):
  return nhwc_to_nchw(a) if np.ndim(a) == 4 else np.asarray(a)


@pytest.mark.parametrize("name,make,make_nn,shape", CASES, ids=IDS)
def test_torch_twin_backward_equals_autograd(name, make, make_nn, shape):
  torch.manual_seed(0)
  mod, ref = make(TE), make_nn()
  ref.load_state_dict(mod.state_dict())
  x = torch.randn(shape)
  xr = x.clone().requires_grad_(True)
  y, yr = mod(x), ref(xr)
  g = torch.randn_like(yr)
  gx = mod.backward(g)
  (yr * g).sum().backward()
  np.testing.assert_allclose(y.numpy(), yr.detach().numpy(), rtol=RTOL, atol=ATOL)
  np.testing.assert_allclose(gx.numpy(), xr.grad.numpy(), rtol=RTOL, atol=ATOL)
  grads = dict(zip(mod.state_dict(), (g for _, g in mod.param())))
  for k, p in ref.named_parameters():
    np.testing.assert_allclose(grads[k].numpy(), p.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=k)


@pytest.mark.parametrize("name,make,make_nn,shape", CASES, ids=IDS)
def test_jax_equals_torch_twin(name, make, make_nn, shape):
  torch.manual_seed(0)
  tmod, jmod = make(TE), make(JE)
  params = JE.load_state_dict(jmod.init(jax.random.PRNGKey(0)),
                              {k: v.numpy() for k, v in tmod.state_dict().items()})
  x = torch.randn(shape)
  yt = tmod(x)
  g = torch.randn_like(yt)
  gxt = tmod.backward(g)
  yj, cache = jax.jit(jmod.forward)(params, jnp.asarray(_to_nhwc(x.numpy())))
  gxj, gpj = jax.jit(jmod.backward)(params, cache, jnp.asarray(_to_nhwc(g.numpy())))
  np.testing.assert_allclose(_to_nchw(yj), yt.numpy(), rtol=RTOL, atol=ATOL)
  np.testing.assert_allclose(_to_nchw(gxj), gxt.numpy(), rtol=RTOL, atol=ATOL)
  tgrads = dict(zip(tmod.state_dict(), (g for _, g in tmod.param())))
  assert sorted(JE.state_dict(gpj)) == sorted(tgrads)  # a gradient for every parameter
  for k, v in JE.state_dict(gpj).items():
    np.testing.assert_allclose(np.asarray(v), tgrads[k].numpy(), rtol=RTOL, atol=ATOL, err_msg=k)


OPTIONS = [dict(momentum=m, dampening=d, nesterov=n, weight_decay=w)
           for m, d, n, w in itertools.product((0.0, 0.9), (0.0, 0.3), (False, True), (0.0, 0.01))
           if not (n and (m == 0 or d != 0))]


@pytest.mark.parametrize("nesterov_arg", ["static", "traced"])
@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_trajectories_equal_torch_optim(opts, nesterov_arg):
  """``nesterov`` as a Python bool (static) or a traced bool array (a sweep's lanes)."""
  rng = np.random.RandomState(0)
  p0 = {"w": rng.randn(4, 3).astype(np.float32), "b": rng.randn(3).astype(np.float32)}
  grads = [{k: rng.randn(*v.shape).astype(np.float32) for k, v in p0.items()} for _ in range(10)]
  ref = {k: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in p0.items()}
  topt = torch.optim.SGD(list(ref.values()), lr=0.1, **opts)
  twin_p = {k: torch.from_numpy(v.copy()) for k, v in p0.items()}
  twin_g = {k: torch.zeros_like(v) for k, v in twin_p.items()}
  twin = TE.SGD([(twin_p[k], twin_g[k]) for k in p0], lr=0.1, **opts)
  jp, js = {k: jnp.asarray(v) for k, v in p0.items()}, JE.sgd_init(p0)
  step = jax.jit(JE.sgd_step, static_argnames="nesterov" if nesterov_arg == "static" else ())
  for g in grads:
    for k in p0:
      ref[k].grad = torch.from_numpy(g[k].copy())
      twin_g[k].copy_(torch.from_numpy(g[k]))
    topt.step()
    twin.step()
    jp, js = step(jp, g, js, 0.1, opts["momentum"], opts["dampening"], opts["weight_decay"],
                  nesterov=opts["nesterov"])
    for k in p0:
      np.testing.assert_allclose(twin_p[k].numpy(), ref[k].detach().numpy(), rtol=1e-6, atol=1e-6)
      np.testing.assert_allclose(np.asarray(jp[k]), ref[k].detach().numpy(), rtol=1e-6, atol=1e-6)


def test_torch_twin_has_the_course_framework_api():
  """``param()`` pairs, ``zero_grad``, ``weight``/``bias``, ``set_weight``/``set_bias``,
  ``state_dict``/``load_state_dict``: the calls the mini-project's framework lists."""
  torch.manual_seed(0)
  conv = TE.Conv2d(3, 4, 3)
  x = torch.randn(1, 3, 8, 8)
  # the course's own block test: forward equals F.conv2d with the layer's weight and bias
  torch.testing.assert_close(conv.forward(x), nn.functional.conv2d(x, conv.weight, conv.bias))
  net = TE.Sequential(conv, TE.ReLU(), TE.Upsampling(4, 3, 3), TE.Sigmoid())
  pairs = net.param()
  assert [tuple(p.shape) for p, _ in pairs] == [tuple(v.shape) for v in net.state_dict().values()]
  assert pairs[0][0] is conv.weight and pairs[1][0] is conv.bias
  net.backward(torch.ones_like(net.forward(x)))
  assert all(g.abs().sum() > 0 for _, g in pairs)
  net.zero_grad()
  assert all(not g.any() for _, g in pairs)
  w = torch.randn(4, 3, 3, 3)
  conv.set_weight(w)
  conv.set_bias(torch.zeros(4))
  assert pairs[0][0] is conv.weight and torch.equal(conv.weight, w) and not conv.bias.any()
  assert torch.equal(net.state_dict()["0.weight"], w)
  with pytest.raises(ValueError, match=r"weight: shape \(4, 3, 2, 2\), expected \(4, 3, 3, 3\)"):
    conv.set_weight(torch.zeros(4, 3, 2, 2))
  with pytest.raises(KeyError, match="no bias"):
    TE.Conv2d(1, 1, 1, bias=False).set_bias(torch.zeros(1))
  sd = {k: torch.randn_like(v) for k, v in net.state_dict().items()}
  net.load_state_dict(sd)
  assert all(torch.equal(net.state_dict()[k], v) for k, v in sd.items())


def test_torch_twin_to_moves_params_in_place():
  """``to(torch.float64)`` keeps the tensors an optimiser holds; float64 matches autograd."""
  torch.manual_seed(0)
  net = TE.course_net_b(channels=(4, 8), down_kernel=4)
  ref = tm.create("course_net_b", channels=(4, 8), down_kernel=4)
  ref.load_state_dict(net.state_dict())
  opt = TE.SGD(net.param(), lr=0.1, momentum=0.9)
  assert net.to(torch.float64) is net
  assert all(p.dtype == g.dtype == torch.float64 for p, g in net.param())
  assert all(p is q for (p, _), (q, _) in zip(opt.params, net.param()))
  ref.double()
  x = torch.rand(2, 3, 16, 16, dtype=torch.float64)
  y = net.forward(x)
  assert y.dtype == torch.float64
  mse = TE.MSE()
  mse.forward(y, x)
  net.zero_grad()
  net.backward(mse.backward())
  nn.functional.mse_loss(ref(x), x).backward()
  for (k, p), (_, g) in zip(ref.named_parameters(), net.param()):
    np.testing.assert_allclose(g.numpy(), p.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=k)
  before = net.state_dict()["0.weight"].clone()
  opt.step()
  assert not torch.equal(net.state_dict()["0.weight"], before)  # the moved tensors were updated
