"""Attentive GAN losses and training iterations: torch_ref vs jaxrestore.

Every loss (attention, multi-scale, perceptual, generator, discriminator) in
float32; gradients of the generator loss w.r.t. the generator's outputs and two
full GAN iterations (D step then G step, Adam 1e-4 each, the project's jitted
``gan.make_gan_train_step`` with the ``derain`` task's loss functions against
``torch_ref.gan.train_step``) in float64 (README "Parity tolerances": Adam's
first steps are sign-like, so float32 rounding of near-zero gradients decides
them for either implementation).
"""
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest
import torch
from flax import nnx

import jaxrestore.models as jm
import torch_ref.models as tm
from jaxrestore import gan, porting, tasks
from jaxrestore.losses import derain as jl
from parity_tests.helpers import ATOL, RTOL, nchw_to_nhwc, nhwc_to_nchw, to_float64
from torch_ref import gan as tgan
from torch_ref.losses import derain as tl

GEN, DISC, VGG = "attentive_gan_generator", "attentive_gan_discriminator", "vgg16"


def _pair(name, seed, **kwargs):
  torch.manual_seed(seed)
  net = tm.create(name, **kwargs)
  return net, porting.load_torch(jm.create(name, rngs=nnx.Rngs(0), **kwargs), net.state_dict())


def _batch(n=2, h=16, w=16, seed=0):
  rs = np.random.RandomState(seed)
  clean = rs.rand(n, 3, h, w).astype(np.float32)
  rain = clean.copy()
  rain[:, :, 2:9, 3:10] = np.clip(rain[:, :, 2:9, 3:10] * 0.5 + 0.4, 0, 1)  # a "drop"
  return rain, clean


def _close(a, b, what):
  np.testing.assert_allclose(np.asarray(a), b.detach().numpy() if torch.is_tensor(b) else b,
                             rtol=RTOL, atol=ATOL, err_msg=what)


def _to_jax(out):
  return {k: ([jnp.asarray(nchw_to_nhwc(a.detach().numpy())) for a in v] if k == "attention"
              else jnp.asarray(nchw_to_nhwc(v.detach().numpy())) if v.dim() == 4
              else jnp.asarray(v.detach().numpy()))
          for k, v in out.items()}


def test_losses_match_in_float32():
  rain, clean = _batch()
  g_net, _ = _pair(GEN, 0, iterations=3)
  d_net, d_model = _pair(DISC, 1, input_size=16)
  vgg_net, vgg_model = _pair(VGG, 2)
  rt, ct = torch.from_numpy(rain), torch.from_numpy(clean)
  rj, cj = jnp.asarray(nchw_to_nhwc(rain)), jnp.asarray(nchw_to_nhwc(clean))
  with torch.no_grad():
    out_t = g_net(rt)
    d_fake_t, d_real_t = d_net(out_t["output"]), d_net(ct)
    target_t = tl.attention_target(rt, ct)
    assert 0 < float(target_t.mean()) < 1  # the drop is found, and only there
    ref = {"target": target_t,
           "att": tl.attention_loss(out_t["attention"], target_t),
           "ms": tl.multiscale_loss((out_t["frame1"], out_t["frame2"], out_t["output"]), ct),
           **{f"perceptual_{v}": tl.perceptual_loss(vgg_net, out_t["output"], ct, vgg_input=v)
              for v in ("raw", "imagenet")}}
    for mode in ("paper", "non_saturating"):
      ref[f"g_{mode}"] = tl.generator_loss(out_t, d_fake_t, rt, ct, vgg_net, gan_loss=mode)[0]
    ref["d"] = tl.discriminator_loss(d_real_t, d_fake_t, out_t["attention"][-1])[0]
  out_j = _to_jax(out_t)
  d_fake_j, d_real_j = d_model(out_j["output"]), d_model(cj)
  _close(jl.attention_target(rj, cj), nchw_to_nhwc(ref["target"].numpy()), "target")
  _close(jl.attention_loss(out_j["attention"], jl.attention_target(rj, cj)), ref["att"], "att")
  _close(jl.multiscale_loss((out_j["frame1"], out_j["frame2"], out_j["output"]), cj), ref["ms"],
         "multiscale")
  for v in ("raw", "imagenet"):
    _close(jl.perceptual_loss(vgg_model, out_j["output"], cj, vgg_input=v),
           ref[f"perceptual_{v}"], f"perceptual ({v})")
  assert abs(float(ref["perceptual_raw"]) - float(ref["perceptual_imagenet"])) > 1e-6
  for mode in ("paper", "non_saturating"):
    _close(jl.generator_loss(out_j, d_fake_j, rj, cj, vgg_model, gan_loss=mode)[0],
           ref[f"g_{mode}"], f"generator loss ({mode})")
  _close(jl.discriminator_loss(d_real_j, d_fake_j, out_j["attention"][-1])[0], ref["d"],
         "discriminator loss")


def _float64_models(seed_g=0, seed_d=1, seed_v=2, size=16, iterations=2):
  g_net, g_model = _pair(GEN, seed_g, iterations=iterations)
  d_net, d_model = _pair(DISC, seed_d, input_size=size)
  vgg_net, vgg_model = _pair(VGG, seed_v)
  for p in vgg_net.parameters():
    p.requires_grad_(False)
  return ((g_net.double(), d_net.double(), vgg_net.double()),
          tuple(to_float64(m) for m in (g_model, d_model, vgg_model)))


@pytest.mark.slow
def test_generator_loss_gradient_w_r_t_every_output():
  rain, clean = (a.astype(np.float64) for a in _batch())
  with jax.enable_x64(True):
    (g_net, d_net, vgg_net), (_, d_model, vgg_model) = _float64_models()
    rt, ct = torch.from_numpy(rain), torch.from_numpy(clean)
    with torch.no_grad():
      out = g_net(rt)
    leaves = {"frame1": out["frame1"], "frame2": out["frame2"], "output": out["output"],
              **{f"attention{t}": a for t, a in enumerate(out["attention"])}}
    leaves = {k: v.clone().requires_grad_(True) for k, v in leaves.items()}

    def as_out(d):
      return {"frame1": d["frame1"], "frame2": d["frame2"], "output": d["output"],
              "attention": [d[f"attention{t}"] for t in range(len(out["attention"]))]}

    loss_t, _ = tl.generator_loss(as_out(leaves), d_net(leaves["output"]), rt, ct, vgg_net)
    loss_t.backward()
    rj, cj = jnp.asarray(nchw_to_nhwc(rain)), jnp.asarray(nchw_to_nhwc(clean))

    @nnx.jit  # one float64 program (eagerly, every primitive compiles on its own)
    def grad_j(d, d_model, vgg_model):
      def loss_j(d):
        o = as_out(d)
        return jl.generator_loss(o, d_model(o["output"]), rj, cj, vgg_model)[0]
      return jax.grad(loss_j)(d)

    grads = grad_j({k: jnp.asarray(nchw_to_nhwc(v.detach().numpy())) for k, v in leaves.items()},
                   d_model, vgg_model)
    for k, v in leaves.items():
      np.testing.assert_allclose(nhwc_to_nchw(grads[k]), v.grad.numpy(), rtol=RTOL, atol=ATOL,
                                 err_msg=k)


@pytest.mark.slow(seconds=45)
def test_two_gan_iterations_match_torch():
  gan_loss = "paper"  # both forms' values: test_losses_match_in_float32
  batches = [tuple(a.astype(np.float64) for a in _batch(seed=s)) for s in (0, 1)]
  cfg = ml_collections.ConfigDict({"map_weight": 0.05, "gan_weight": 0.01, "theta": 0.8,
                                   "gan_loss": gan_loss, "vgg_input": "raw"})
  with jax.enable_x64(True):
    (g_net, d_net, vgg_net), (g_model, d_model, vgg_model) = _float64_models()
    g_opt = torch.optim.Adam(g_net.parameters(), lr=1e-4)
    d_opt = torch.optim.Adam(d_net.parameters(), lr=1e-4)
    tx = optax.adam(1e-4)
    g_graphdef, _, d_graphdef, state = gan.create_gan_state(g_model, d_model, tx, tx, 0)
    d_loss_fn, g_loss_fn = tasks.derain.gan_loss_fns(cfg, vgg_model)
    step = gan.make_gan_train_step(g_graphdef, d_graphdef, tx, tx, d_loss_fn, g_loss_fn)
    for i, (rain, clean) in enumerate(batches):
      g_loss_t, d_loss_t = tgan.train_step(g_net, d_net, vgg_net, g_opt, d_opt,
                                           torch.from_numpy(rain), torch.from_numpy(clean),
                                           gan_loss=gan_loss)
      state, m = step(state, {"input": jnp.asarray(nchw_to_nhwc(rain)),
                              "clean": jnp.asarray(nchw_to_nhwc(clean))})
      np.testing.assert_allclose(float(m["d_loss"]), d_loss_t, rtol=RTOL, err_msg=f"D {i}")
      np.testing.assert_allclose(float(m["loss"]), g_loss_t, rtol=RTOL, err_msg=f"G {i}")
      assert float(m["finite"]) == 1.0
    for net, sub, graphdef in ((g_net, state.g, g_graphdef), (d_net, state.d, d_graphdef)):
      ours = porting.to_torch_state_dict(nnx.merge(graphdef, sub.params, sub.buffers))
      for k, v in net.state_dict().items():
        np.testing.assert_allclose(ours[k].numpy(), v.numpy(), rtol=RTOL, atol=ATOL, err_msg=k)
    assert int(state.step) == 2 and int(state.g.step) == 2 and int(state.d.step) == 2
