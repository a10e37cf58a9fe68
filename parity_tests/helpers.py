"""Shared helpers of the parity tests: layout conversion and torch<->JAX comparisons.

The JAX side runs under ``nnx.jit``, as training and evaluation do: run eagerly, every
primitive compiles as a program of its own (about 40 ms each on the CI machine), and a
DesnowNet forward and backward is several hundred of them.
"""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch
from flax import nnx

from jaxrestore import metrics as jmetrics
from jaxrestore import porting
from torch_ref import metrics as tmetrics

# docs/contributing.md: float32 on CPU, outputs within atol = rtol = 1e-5, PSNR within 1e-3 dB.
ATOL = RTOL = 1e-5
PSNR_TOL_DB = 1e-3


def nchw_to_nhwc(x):
  return np.ascontiguousarray(np.asarray(x).transpose(0, 2, 3, 1))


def nhwc_to_nchw(x):
  return np.ascontiguousarray(np.asarray(x).transpose(0, 3, 1, 2))


def jit_call(model: nnx.Module, *args):
  """``model(*args)`` as one compiled program (train mode updates the model's BN stats)."""
  return nnx.jit(lambda m, *a: m(*a))(model, *args)


def jit_optimizer_update():
  """``update(optimizer, model, grads)``: one optimizer update, as one compiled program.

  The Adam-step tests take their gradients from the same compiled program as the
  gradient tests of the same case (same function, model and constants), which the
  run's compilation cache (root conftest.py) then holds: the second of the two loads
  it instead of compiling the model's backward pass again; only the update program
  is new (its own compile, not the backward pass's again)."""
  return nnx.jit(lambda optimizer, model, grads: optimizer.update(model, grads))


def assert_close(jax_nhwc, torch_nchw, what=""):
  np.testing.assert_allclose(nhwc_to_nchw(jax_nhwc), torch_nchw.detach().numpy(), rtol=RTOL,
                             atol=ATOL, err_msg=what)


def calibrate_batchnorm(net: torch.nn.Module, x: torch.Tensor):
  """Sets every BN's running stats to the statistics of ``x`` (realistic eval-mode stats)."""
  bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
  saved = [m.momentum for m in bns]
  for m in bns:
    m.momentum = None  # cumulative average: after one batch, exactly that batch's stats
    m.reset_running_stats()
  net.train()
  with torch.no_grad():
    net(x)
  for m, mom in zip(bns, saved):
    m.momentum = mom
    m.num_batches_tracked.zero_()


def assert_state_equal_to_torch(model: nnx.Module, net: torch.nn.Module, what=""):
  """Every parameter and buffer of the JAX model matches the torch twin's state dict."""
  ours = porting.to_torch_state_dict(model)
  theirs = net.state_dict()
  assert sorted(ours) == sorted(theirs)  # order is not part of a state dict's meaning
  for k in theirs:
    np.testing.assert_allclose(ours[k].numpy(), theirs[k].numpy(), rtol=RTOL, atol=ATOL,
                               err_msg=f"{what} {k}")


def grads_as_torch_names(model: nnx.Module, grads: nnx.State) -> dict[str, np.ndarray]:
  """Gradients w.r.t. the NNX params, named and laid out as the torch twin's params."""
  clone = nnx.clone(model)
  nnx.update(clone, grads)
  sd = porting.to_torch_state_dict(clone)
  return {k: v.numpy() for k, v in sd.items()}


def scale_to_denoiser_output(net: torch.nn.Module, x: torch.Tensor, std: float = 0.1):
  """Scales the last conv so the residual branch has a trained denoiser's size.

  At He init the residual branch of these nets is O(1..10) (BN weight 10 in the
  ECE285 family), while a trained denoiser predicts noise of std ~0.1. float32's
  own error grows with that size: at init, torch float32 alone is up to 1.9x the
  1e-5 tolerance away from torch float64, so no implementation could pass. At
  denoiser scale it is well inside, and a real bug still shows as an O(0.01..0.1)
  difference.
  """
  last = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)][-1]
  net.eval()
  with torch.no_grad():
    branch = (net(x) - x).std()
    last.weight.mul_(std / branch)
    if last.bias is not None:
      last.bias.mul_(std / branch)


def to_float64(model: nnx.Module) -> nnx.Module:
  """Casts every floating-point variable of ``model`` to float64 (call under x64)."""
  state = nnx.state(model)
  nnx.update(model, jax.tree.map(
      lambda a: a.astype(np.float64) if np.issubdtype(a.dtype, np.floating) else a, state))
  return model


# --- The four standard comparisons (see test_dncnn_parity.py's docstring) --------------------


def check_eval_forward_and_psnr(net, model, x, target):
  """float32 eval-mode outputs within 1e-5, PSNR of both within 1e-3 dB."""
  net.eval()
  model.eval()
  with torch.no_grad():
    yt = net(torch.from_numpy(x))
  yj = jit_call(model, jnp.asarray(nchw_to_nhwc(x)))
  assert_close(yj, yt, "eval output")
  pt = tmetrics.psnr(yt.clamp(0, 1), torch.from_numpy(target)).numpy()
  pj = np.asarray(jmetrics.psnr(jnp.clip(yj, 0, 1), nchw_to_nhwc(target)))
  np.testing.assert_allclose(pj, pt, rtol=0, atol=PSNR_TOL_DB)


def check_train_forward(net, model, x):
  """float32 train-mode outputs and every buffer (BN running stats) after it."""
  net.train()
  model.train()
  yt = net(torch.from_numpy(x))
  assert_close(jit_call(model, jnp.asarray(nchw_to_nhwc(x))), yt, "train output")
  assert_state_equal_to_torch(model, net, "after one train forward:")


def torch_mse_grads(net, x, target):
  xt = torch.from_numpy(x).requires_grad_(True)
  loss = torch.mean((net(xt) - torch.from_numpy(target)) ** 2)
  loss.backward()
  return loss.item(), xt.grad, {k: p.grad.numpy() for k, p in net.named_parameters()}


def mse_value_and_grad(target):
  """``(loss, (d/d model, d/d input))`` of the MSE against ``target`` (NCHW) of
  ``model(x_nhwc)``, compiled: what ``check_gradients`` checks and ``check_adam_steps``
  steps with."""
  def loss_fn(model, xj):
    return jnp.mean(jnp.square(model(xj) - nchw_to_nhwc(target)))

  return nnx.jit(nnx.value_and_grad(loss_fn, argnums=(0, 1)))


def check_gradients(net, model, x, target):
  """MSE loss, d/d input and d/d every parameter (call in float64, under x64)."""
  net.train()
  model.train()
  loss_t, gx_t, gp_t = torch_mse_grads(net, x, target)
  loss_j, (g_model, g_x) = mse_value_and_grad(target)(model, jnp.asarray(nchw_to_nhwc(x)))
  assert g_x.dtype == x.dtype
  np.testing.assert_allclose(float(loss_j), loss_t, rtol=RTOL, atol=ATOL)
  assert_close(g_x, gx_t, "d loss / d input")
  grads = grads_as_torch_names(model, g_model)
  for k, g in gp_t.items():
    np.testing.assert_allclose(grads[k], g, rtol=RTOL, atol=ATOL, err_msg=f"d loss / d {k}")


def check_adam_steps(net, model, x, target, steps=3, lr=1e-3):
  """``steps`` Adam steps in both, then every parameter/buffer and the eval output."""
  opt_t = torch.optim.Adam(net.parameters(), lr=lr)
  opt_j = nnx.Optimizer(model, optax.adam(lr), wrt=nnx.Param)
  xj = jnp.asarray(nchw_to_nhwc(x))
  net.train()
  model.train()
  value_and_grad, update = mse_value_and_grad(target), jit_optimizer_update()
  for _ in range(steps):
    opt_t.zero_grad()
    torch.mean((net(torch.from_numpy(x)) - torch.from_numpy(target)) ** 2).backward()
    opt_t.step()
    _, (grads, _) = value_and_grad(model, xj)  # d/d model, d/d input
    update(opt_j, model, grads)
  assert_state_equal_to_torch(model, net, f"after {steps} Adam steps:")
  net.eval()
  model.eval()
  with torch.no_grad():
    yt = net(torch.from_numpy(x))
  assert_close(jit_call(model, xj), yt, f"eval output after {steps} Adam steps")


def max_violation(a, b):
  """max |a - b| / (atol + rtol |b|): > 1 means outside the parity tolerance."""
  return float(np.max(np.abs(a - b) / (ATOL + RTOL * np.abs(b))))


# --- bfloat16 tolerances (test_bf16_parity.py) ------------------------------------------------
#
# bfloat16 keeps 8 significant bits: rounding to nearest has a relative error of at most
# u = 2^-8 ~ 3.9e-3 (unit roundoff), about u / sqrt(3) rms. Both sides round at the same
# kind of points: a convolution's input and weights are cast to bf16, its products are
# summed in float32 (XLA CPU and oneDNN alike) and its output is rounded to bf16; BN
# normalises in float32 and rounds its output to bf16. So one conv(-BN)(-ReLU) layer
# adds at most three relative roundings of u: weights, conv output, BN output.
#
# Bound. To first order the output's relative error is the sum of those roundings, each
# carried through the layers after it. With unit gain per layer, a network L layers deep
# has norm-wise relative error e = ||y_bf16 - y_f32|| / ||y_f32|| <= 3 L u; a training
# step's gradients go through the layers twice (forward and backward roundings), 2L. That
# is what ``bf16_bound`` gives: a check of the order of magnitude (a layer computed in the
# wrong precision, a BN in bf16, a missing cast, a wrong layer would exceed it or fail
# the checks below), not a proof: a deep network at random init may amplify errors
# (DnCNN-17 forward: 0.12 of a 0.2 bound).
#
# Elementwise bf16-vs-bf16 comparison is not what this analysis supports: torch's autocast
# and XLA round at different points (XLA fuses the bias and BN into the conv and rounds
# once; torch rounds after each op; torch adds the residual in float32 as type promotion
# says, as does jaxrestore; BN outputs, max-pool ties and summation orders differ), so two
# correct bf16 runs differ elementwise by about as much as each differs from float32.
# Instead each is compared with the float32 reference, and the two errors with each other:
#   * both within ``bf16_bound`` where the first-order model applies: not through
#     max-unpooling (its argmax jumps are not rounding errors) nor through train-mode BN's
#     backward (its mean subtractions cancel: DnCNN-17's bf16 gradients are 0.6 away from
#     float32 in both trees); there, below 1 (the error does not swamp the value),
#   * both above u / 8: bf16 is really in effect on both sides,
#   * within a factor 2 of each other: e is a norm over thousands of independent-ish
#     roundings, so two correct implementations give errors of the same size.
# DesnowNet's training-step gradients are checked by the last two only: with train-mode
# BN its bf16 gradients are ~35 times the float32 gradient's norm away from it, in both
# trees (34.5 and 34.1 with the test's widths / 16 and a 16x16 input: BN divides
# near-constant channels by sqrt(var + eps), which enlarges their rounding; with
# use_bn=False every parameter's error is below 1). That is a property of bf16 training
# of that model, reported, not a bound to meet.
BF16_U = 2.0 ** -8


def bf16_bound(rounding_layers: int) -> float:
  """First-order norm-wise relative error bound of ``rounding_layers`` bf16 layers."""
  return 3 * rounding_layers * BF16_U


def assert_bf16_errors(ours, theirs, ref, rounding_layers: int, first_order: bool = True,
                       what: str = "", bounded: bool = True):
  """JAX bf16 ``ours`` and torch autocast ``theirs`` against the float32 ``ref`` (flat
  arrays): see "bfloat16 tolerances" above (``bounded=False``: DesnowNet's gradients)."""
  norm = np.linalg.norm(ref)
  e_ours, e_theirs = np.linalg.norm(ours - ref) / norm, np.linalg.norm(theirs - ref) / norm
  msg = f"{what}: jax bf16 {e_ours:.3g}, torch autocast {e_theirs:.3g} relative to float32"
  print(msg)
  assert min(e_ours, e_theirs) > BF16_U / 8, msg
  bound = bf16_bound(rounding_layers) if first_order else 1.0
  assert not bounded or max(e_ours, e_theirs) <= bound, f"{msg}; bound {bound:.3g}"
  assert 0.5 <= e_ours / e_theirs <= 2, msg
