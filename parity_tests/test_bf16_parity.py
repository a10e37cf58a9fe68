"""bfloat16: jaxrestore's ``precision='bfloat16'`` against torch's ``autocast(dtype=bfloat16)``
on CPU, every model of the DnCNN family, the N2N U-Net, the course nets, DesnowNet, the
Attentive GAN's generator and discriminator and VGG16: one convolution elementwise, then each model's forward and one
training step's gradients against float32. The tolerances and why they hold are in
``parity_tests/helpers.py`` ("bfloat16 tolerances")."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

import jaxrestore.models as jm
import torch_ref.models as tm
from jaxrestore import porting
from jaxrestore.models import layers
from parity_tests.helpers import (BF16_U, assert_bf16_errors, calibrate_batchnorm,
                                  grads_as_torch_names, nchw_to_nhwc, nhwc_to_nchw,
                                  scale_to_denoiser_output)

# (registry name, kwargs, input NCHW, convolutions on the deepest path, residual); small
# shapes, the presets' widths
CASES = {
    "kair_dncnn17": ("kair_dncnn17", {}, (2, 1, 24, 24), 17, True),
    "ece285_dncnn": ("ece285_dncnn", {}, (2, 3, 24, 24), 8, True),
    "ece285_udncnn": ("ece285_udncnn", {}, (2, 3, 24, 24), 8, True),
    "ece285_dudncnn": ("ece285_dudncnn", {}, (2, 3, 24, 24), 8, True),
    "n2n_unet": ("n2n_unet", dict(enc_features=16, dec_features=16), (1, 3, 32, 32), 18, False),
    "generator": ("attentive_gan_generator", dict(iterations=2), (1, 3, 16, 16), 2 * 13 + 17,
                  False),
    "discriminator": ("attentive_gan_discriminator", dict(input_size=16), (2, 3, 16, 16), 10,
                      False),
    "vgg16": ("vgg16", {}, (1, 3, 16, 16), 4, False),
    "course_net_a": ("course_net_a", {}, (2, 3, 16, 16), 4, False),
    "course_net_b": ("course_net_b", dict(down_kernel=4), (2, 3, 16, 16), 4, False),
    # no Inception A/B/C blocks (their conv units are the stem's); D_t and D_r: 17
    # convolutions each on the deepest path (stem 3, mixed 1 + 4 + 1, reduction A 3,
    # reduction B 4, pyramid 1), the two heads 2 each
    "desnownet": ("desnownet", dict(width_factor=16, pyramid_channels=8, gamma=1,
                                    blocks=(0, 0, 0)), (1, 3, 16, 16), 2 * 17 + 4, False),
}
# max-unpooling puts a value where its window's argmax was; bf16 moves some argmaxes (torch
# and XLA round differently), a jump, not a rounding error: no first-order bound applies
DISCONTINUOUS = {"ece285_udncnn"}
# train-mode BN's backward subtracts the batch means of the gradient and of its product with
# the normalised input, a cancellation that enlarges the relative rounding error of every
# BN layer it passes (DnCNN-17: 0.6 in both trees): the first-order bound does not hold
# for these gradients (helpers.py, "bfloat16 tolerances")
TRAIN_MODE_BN = {"kair_dncnn17", "ece285_dncnn", "ece285_udncnn", "ece285_dudncnn", "desnownet"}
# bf16 gradients far from float32 in both trees (train-mode BN on near-constant channels):
# compared with each other only (helpers.py, "bfloat16 tolerances")
UNBOUNDED_GRADIENTS = {"desnownet"}
# over ~20 s on the 2-core machine
SLOW = {"forward": {"generator", "desnownet"},
        "gradients": {"generator", "n2n_unet", "kair_dncnn17", "desnownet"}}


def _cases(kind):
  return [pytest.param(c, marks=pytest.mark.slow) if c in SLOW[kind] else c
          for c in sorted(CASES)]


def _flat(tree) -> np.ndarray:
  return np.concatenate([np.asarray(a, np.float64).ravel() for a in jax.tree.leaves(tree)])


def _call(name, model, x):
  if name == "vgg16":
    return model.features_at(x, (1, 3, 6, 8))  # the perceptual loss's layers
  out = model(x)
  return {k: v for k, v in out.items() if k != "prob"} if isinstance(out, dict) else out


def _pair(case):
  name, kwargs, shape, _, residual = CASES[case]
  torch.manual_seed(0)
  net = tm.create(name, **kwargs)
  x = np.random.RandomState(0).rand(*shape).astype(np.float32)
  if residual:
    calibrate_batchnorm(net, torch.from_numpy(x))
    scale_to_denoiser_output(net, torch.from_numpy(x))
  models = {p: porting.load_torch(jm.create(name, rngs=nnx.Rngs(1), precision=p, **kwargs),
                                  net.state_dict()) for p in ("float32", "bfloat16")}
  return net, models, x


def test_one_convolution_rounds_as_autocast():
  """bf16 input and weights, float32 accumulation on both sides; both round conv + bias
  once (|error| <= u |y|; ``layers.Conv`` adds the bias to the float32 sums). The bound
  also allows rounding the sum c = y - b first, then c + b (<= u |c| + u |y|): |jax -
  torch| <= u (2 |y| + |y - b|), plus the float32 summation order."""
  torch.manual_seed(0)
  conv = torch.nn.Conv2d(16, 32, 3, padding=1)
  ours = layers.conv2d(16, 32, 3, rngs=nnx.Rngs(0), dtype=jnp.bfloat16)
  ours.kernel.set_value(jnp.asarray(conv.weight.detach().numpy().transpose(2, 3, 1, 0)))
  ours.bias.set_value(jnp.asarray(conv.bias.detach().numpy()))
  x = np.random.RandomState(0).rand(2, 16, 12, 12).astype(np.float32)
  with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
    yt = conv(torch.from_numpy(x))
  yj = ours(jnp.asarray(nchw_to_nhwc(x)))
  assert yt.dtype == torch.bfloat16 and yj.dtype == jnp.bfloat16
  yt, yj = yt.float().numpy(), nhwc_to_nchw(yj.astype(jnp.float32))
  b = conv.bias.detach().numpy()[:, None, None]
  assert np.all(np.abs(yj - yt) <= BF16_U * (2 * np.abs(yt) + np.abs(yt - b)) + 1e-6)
  assert np.mean(yj == yt) > 0.5  # mostly the same bf16 value


@pytest.mark.parametrize("case", _cases("forward"))
def test_forward_against_float32(case):
  net, models, x = _pair(case)
  name, _, _, depth, residual = CASES[case]
  net.eval()
  for m in models.values():
    m.eval()
  xt, xj = torch.from_numpy(x), jnp.asarray(nchw_to_nhwc(x))
  with torch.no_grad():
    ref = _call(name, net, xt)
    with torch.autocast("cpu", dtype=torch.bfloat16):
      theirs = jax.tree.map(lambda t: t.float(), _call(name, net, xt))
  ours = jax.tree.map(lambda a: nhwc_to_nchw(a) if a.ndim == 4 else np.asarray(a),
                      nnx.jit(functools.partial(_call, name))(models["bfloat16"], xj))
  to_np = lambda tree: _flat(jax.tree.map(lambda t: t.numpy(), tree))  # noqa: E731
  ref, theirs, ours = to_np(ref), to_np(theirs), _flat(ours)
  if residual:  # the network's own output, not the input it is added to
    skip = np.tile(x.ravel(), 1)
    ref, theirs, ours = ref - skip, theirs - skip, ours - skip
  assert_bf16_errors(ours, theirs, ref, depth, first_order=case not in DISCONTINUOUS,
                     what=f"{case} forward")


def _torch_grads(name, net, x, target, autocast):
  net.zero_grad()
  with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
    out = _call(name, net, torch.from_numpy(x))
    loss = sum(torch.mean((o.float() - torch.from_numpy(t)) ** 2)
               for o, t in zip(jax.tree.leaves(out), target))
  loss.backward()
  return {k: p.grad.numpy().copy() for k, p in net.named_parameters()
          if p.grad is not None}  # VGG16: only the layers the loss reads


@pytest.mark.parametrize("case", _cases("gradients"))
def test_training_step_gradients_against_float32(case):
  """One training step's gradients of an MSE on every output, parameters float32 on both
  sides: the update itself is float32 (the optimiser never sees bf16)."""
  net, models, x = _pair(case)
  name, _, _, depth, _ = CASES[case]
  net.train()
  with torch.no_grad():
    outs = _call(name, net, torch.from_numpy(x))
  rng = np.random.RandomState(1)
  target = [(o.numpy() + rng.normal(0, 0.1, o.shape)).astype(np.float32)
            for o in jax.tree.leaves(outs)]
  theirs = _torch_grads(name, net, x, target, autocast=True)
  ref = _torch_grads(name, net, x, target, autocast=False)
  model = models["bfloat16"]
  model.train()
  target_j = [jnp.asarray(nchw_to_nhwc(t) if t.ndim == 4 else t) for t in target]

  def loss_fn(m):
    out = jax.tree.leaves(_call(name, m, jnp.asarray(nchw_to_nhwc(x))))
    return sum(jnp.mean(jnp.square(o - t)) for o, t in zip(out, target_j))

  grads = nnx.jit(nnx.grad(loss_fn))(model)
  assert {g.dtype for g in jax.tree.leaves(grads)} == {jnp.dtype("float32")}
  ours = grads_as_torch_names(model, grads)
  keys = sorted(ref)
  assert_bf16_errors(_flat([ours[k] for k in keys]), _flat([theirs[k] for k in keys]),
                     _flat([ref[k] for k in keys]), 2 * depth,
                     first_order=case not in DISCONTINUOUS | TRAIN_MODE_BN,
                     what=f"{case} gradients", bounded=case not in UNBOUNDED_GRADIENTS)
