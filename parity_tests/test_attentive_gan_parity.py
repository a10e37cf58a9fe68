"""Attentive GAN (generator, discriminator) and VGG-16 features: torch_ref vs jaxrestore.

The key layouts are the authors' (rui1996/DeRaindrop ``models/``) and torchvision's,
hard-coded here; forwards agree in float32 (every attention map and the three
generator outputs; the discriminator's mask, logit and probability; the VGG
activations); gradients w.r.t. every parameter in float64 (see README "Parity
tolerances"); porting round-trips bit-identically both ways and is strict.
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax import nnx

import jaxrestore.models as jm
import torch_ref.models as tm
from jaxrestore import evaluate, porting
from jaxrestore.porting import PortingError
from parity_tests.helpers import (ATOL, RTOL, assert_close, grads_as_torch_names, nchw_to_nhwc,
                                  to_float64)

GEN, DISC, VGG = "attentive_gan_generator", "attentive_gan_discriminator", "vgg16"
DISC_SIZE = (48, 40)  # conv7 + conv8: 48 -> 12 -> 3, 40 -> 10 -> 2

# models/generator.py of rui1996/DeRaindrop, in definition (= state-dict) order.
OFFICIAL_GENERATOR = (
    ["det_conv0.0"] + [f"det_conv{k}.{i}" for k in range(1, 6) for i in (0, 2)]
    + ["conv_i.0", "conv_f.0", "conv_g.0", "conv_o.0", "det_conv_mask.0"]
    + [f"conv{k}.0" for k in range(1, 7)] + [f"diconv{k}.0" for k in range(1, 5)]
    + ["conv7.0", "conv8.0", "deconv1.0", "conv9.0", "deconv2.0", "conv10.0", "outframe1.0",
       "outframe2.0", "output.0"])
OFFICIAL_GENERATOR_SHAPES = {
    "det_conv0.0.weight": (32, 4, 3, 3), "det_conv5.2.weight": (32, 32, 3, 3),
    "conv_g.0.weight": (32, 64, 3, 3), "det_conv_mask.0.weight": (1, 32, 3, 3),
    "conv1.0.weight": (64, 4, 5, 5), "conv2.0.weight": (128, 64, 3, 3),
    "conv4.0.weight": (256, 128, 3, 3), "diconv4.0.weight": (256, 256, 3, 3),
    "deconv1.0.weight": (256, 128, 4, 4), "deconv2.0.weight": (128, 64, 4, 4),
    "conv10.0.weight": (32, 64, 3, 3), "outframe1.0.weight": (3, 256, 3, 3),
    "outframe2.0.weight": (3, 128, 3, 3), "output.0.weight": (3, 32, 3, 3)}
# models/discriminator.py, with the FC input computed for 224 x 224 as hard-coded there.
OFFICIAL_DISCRIMINATOR = ([f"conv{k}.0" for k in range(1, 7)]
                          + ["conv_mask.0", "conv7.0", "conv8.0", "fc.0", "fc.1"])
OFFICIAL_DISCRIMINATOR_SHAPES = {
    "conv1.0.weight": (8, 3, 5, 5), "conv3.0.weight": (64, 16, 5, 5),
    "conv_mask.0.weight": (1, 128, 5, 5), "conv7.0.weight": (64, 128, 5, 5),
    "conv8.0.weight": (32, 64, 5, 5), "fc.0.weight": (1024, 32 * 14 * 14),
    "fc.1.weight": (1, 1024)}
# torchvision's vgg16().features: the conv indices.
VGG_CONVS = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)

CASES = [(GEN, {}), (DISC, {}), (DISC, {"input_size": DISC_SIZE}), (VGG, {})]
IDS = ["generator", "discriminator-224", "discriminator-48x40", "vgg16"]


def _keys(prefixes):
  return [f"{p}.{s}" for p in prefixes for s in ("weight", "bias")]


def _pair(name, seed=0, **kwargs):
  torch.manual_seed(seed)
  net = tm.create(name, **kwargs)
  model = porting.load_torch(jm.create(name, rngs=nnx.Rngs(seed + 1), **kwargs),
                             net.state_dict())
  return net, model


def _images(*shape, seed=0):
  return np.random.RandomState(seed).rand(*shape).astype(np.float32)


@pytest.mark.parametrize("name,prefixes,shapes", [
    (GEN, OFFICIAL_GENERATOR, OFFICIAL_GENERATOR_SHAPES),
    (DISC, OFFICIAL_DISCRIMINATOR, OFFICIAL_DISCRIMINATOR_SHAPES),
    (VGG, [f"features.{i}" for i in VGG_CONVS], {"features.28.weight": (512, 512, 3, 3)})],
    ids=["generator", "discriminator", "vgg16"])
def test_official_key_layout(name, prefixes, shapes):
  sd = tm.create(name).state_dict()
  assert list(sd) == _keys(prefixes)
  assert list(porting.to_torch_state_dict(jm.create(name, rngs=nnx.Rngs(0)))) == list(sd)
  for k, shape in shapes.items():
    assert tuple(sd[k].shape) == shape, k


@pytest.mark.parametrize("residual,clip_output", [(False, False), (True, False), (True, True)],
                         ids=["official", "residual", "residual-clipped"])
def test_generator_forward(residual, clip_output):
  net, model = _pair(GEN, residual=residual, clip_output=clip_output)
  x = _images(2, 3, 16, 20)
  with torch.no_grad():
    yt = net(torch.from_numpy(x))
  if clip_output:  # the clamp is hit at both bounds
    assert (yt["output"] == 0).any() and (yt["output"] == 1).any()
  yj = model(jnp.asarray(nchw_to_nhwc(x)))
  assert len(yj["attention"]) == len(yt["attention"]) == 4
  for k, (a, b) in enumerate(zip(yj["attention"], yt["attention"])):
    assert_close(a, b, f"attention map {k}")
  for k in ("frame1", "frame2", "output"):
    assert_close(yj[k], yt[k], k)
  assert yj["frame1"].shape == (2, 4, 5, 3) and yj["frame2"].shape == (2, 8, 10, 3)


@pytest.mark.parametrize("size", [32, DISC_SIZE], ids=["32", "48x40"])
def test_discriminator_forward(size):
  net, model = _pair(DISC, input_size=size)
  h, w = (size, size) if isinstance(size, int) else size
  x = _images(3, 3, h, w)
  with torch.no_grad():
    yt = net(torch.from_numpy(x))
  yj = model(jnp.asarray(nchw_to_nhwc(x)))
  assert_close(yj["mask"], yt["mask"], "mask")
  for k in ("logit", "prob"):
    assert yj[k].shape == (3, 1)
    np.testing.assert_allclose(np.asarray(yj[k]), yt[k].numpy(), rtol=RTOL, atol=ATOL, err_msg=k)


@pytest.mark.parametrize("layers,shape", [((1, 3, 6, 8), (2, 3, 16, 20)),
                                          ((8, 4, 16, 30), (1, 3, 32, 32))],
                         ids=["perceptual", "pools"])
def test_vgg16_features_at(layers, shape):
  net, model = _pair(VGG)
  x = _images(*shape)
  with torch.no_grad():
    ft = net.features_at(torch.from_numpy(x), layers)
  fj = model.features_at(jnp.asarray(nchw_to_nhwc(x)), layers)
  assert len(fj) == len(ft) == len(layers)
  for i, a, b in zip(layers, fj, ft):
    assert_close(a, b, f"features.{i}")


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_round_trips_are_bit_identical(name, kwargs):
  torch.manual_seed(0)
  sd = tm.create(name, **kwargs).state_dict()
  model = porting.load_torch(jm.create(name, rngs=nnx.Rngs(0), **kwargs), sd)
  back = porting.to_torch_state_dict(model)
  assert list(back) == list(sd)
  for k in sd:
    assert back[k].dtype == sd[k].dtype and torch.equal(back[k], sd[k]), k
  tm.create(name, **kwargs).load_state_dict(back, strict=True)
  # JAX -> torch -> JAX
  source = jm.create(name, rngs=nnx.Rngs(7), **kwargs)
  net = tm.create(name, **kwargs)
  net.load_state_dict(porting.to_torch_state_dict(source), strict=True)
  again = porting.load_torch(jm.create(name, rngs=nnx.Rngs(8), **kwargs), net.state_dict())
  for a, b in zip(jax.tree.leaves(nnx.state(source)), jax.tree.leaves(nnx.state(again)),
                  strict=True):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _generator_sd():
  torch.manual_seed(0)
  return tm.create(GEN).state_dict()


def test_missing_key_is_named():
  sd = _generator_sd()
  del sd["deconv1.0.bias"]
  with pytest.raises(PortingError, match=r"missing keys \['deconv1.0.bias'\]"):
    porting.load_torch(jm.create(GEN, rngs=nnx.Rngs(0)), sd)


def test_unexpected_key_is_named():
  sd = _generator_sd()
  sd["deconv1.1.weight"] = torch.zeros(1)
  with pytest.raises(PortingError, match=r"unexpected keys \['deconv1.1.weight'\]"):
    porting.load_torch(jm.create(GEN, rngs=nnx.Rngs(0)), sd)


def test_shape_mismatch_is_named_and_model_untouched():
  sd = _generator_sd()
  sd["conv1.0.weight"] = torch.zeros(64, 3, 5, 5)  # without the mask channel
  model = jm.create(GEN, rngs=nnx.Rngs(0))
  before = np.asarray(model.conv1[0].kernel[...]).copy()
  with pytest.raises(PortingError, match=r"'conv1.0.weight'.*\(64, 3, 5, 5\).*\(64, 4, 5, 5\)"):
    porting.load_torch(model, sd)
  np.testing.assert_array_equal(np.asarray(model.conv1[0].kernel[...]), before)


def test_discriminator_of_another_input_size_is_refused():
  sd = tm.create(DISC, input_size=32).state_dict()
  with pytest.raises(PortingError, match=r"'fc.0.weight'.*\(1024, 128\).*\(1024, 192\)"):
    porting.load_torch(jm.create(DISC, input_size=DISC_SIZE, rngs=nnx.Rngs(0)), sd)


@pytest.mark.slow
def test_generator_gradients_float64():
  with jax.enable_x64(True):
    net, model = _pair(GEN)
    net, model = net.double(), to_float64(model)
    x = _images(2, 3, 16, 20).astype(np.float64)

    def scalar(out):
      return sum((a ** 2).sum() for a in [*out["attention"], out["frame1"], out["frame2"],
                                          out["output"]])

    loss_t = scalar(net(torch.from_numpy(x)))
    loss_t.backward()
    xj = jnp.asarray(nchw_to_nhwc(x))
    loss_j, g = nnx.jit(nnx.value_and_grad(lambda m: scalar(m(xj))))(model)
    np.testing.assert_allclose(float(loss_j), loss_t.item(), rtol=RTOL, atol=ATOL)
    grads = grads_as_torch_names(model, g)
    assert sorted(grads) == sorted(k for k, _ in net.named_parameters())
    for k, p in net.named_parameters():
      np.testing.assert_allclose(grads[k], p.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=k)


@pytest.mark.slow
def test_discriminator_gradients_float64():
  with jax.enable_x64(True):
    net, model = _pair(DISC, input_size=DISC_SIZE)
    net, model = net.double(), to_float64(model)
    x = _images(2, 3, *DISC_SIZE).astype(np.float64)

    def scalar(out):
      return (out["mask"] ** 2).sum() + (out["logit"] ** 2).sum() + out["prob"].sum()

    scalar(net(torch.from_numpy(x))).backward()
    g = nnx.jit(nnx.grad(lambda m: scalar(m(jnp.asarray(nchw_to_nhwc(x))))))(model)
    grads = grads_as_torch_names(model, g)
    for k, p in net.named_parameters():
      np.testing.assert_allclose(grads[k], p.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=k)


def test_bgr_weights_through_swap_rgb_bgr():
  """BGR-trained weights (the official ones) on RGB input, swapped at the CLI boundary,
  give the torch model's images on the BGR input, channels reversed."""
  net, model = _pair(GEN)
  bgr = _images(1, 3, 12, 16)
  with torch.no_grad():
    yt = net(torch.from_numpy(bgr))
  yj = evaluate.swap_rgb_bgr(model)(jnp.asarray(nchw_to_nhwc(bgr[:, ::-1])))
  for k in ("frame1", "frame2", "output"):
    assert_close(yj[k][..., ::-1], yt[k], k)
  assert_close(yj["attention"][-1], yt["attention"][-1], "attention")


def test_load_torchvision_vgg16_file_drops_only_the_classifier(tmp_path):
  torch.manual_seed(0)
  features = tm.create(VGG).state_dict()
  # torchvision's keys; small stand-ins for the (4096, 25088) ... (1000,) tensors, never read
  classifier = {f"classifier.{i}.{s}": torch.zeros(2)
                for i in (0, 3, 6) for s in ("weight", "bias")}
  path = tmp_path / "vgg16.pth"
  torch.save({**features, **classifier}, path)
  with pytest.raises(PortingError, match=r"unexpected keys \['classifier.0.weight'"):
    porting.load_torch(jm.create(VGG, rngs=nnx.Rngs(0)), path)
  back = porting.to_torch_state_dict(porting.load_checkpoint(path, VGG))
  assert list(back) == list(features)
  assert all(torch.equal(back[k], features[k]) for k in features)
  torch.save({**features, **classifier, "features.31.weight": torch.zeros(1)}, path)
  with pytest.raises(PortingError, match=r"unexpected keys \['features.31.weight'\]"):
    porting.load_checkpoint(path, VGG)
  del features["features.0.bias"]
  torch.save({**features, **classifier}, path)
  with pytest.raises(PortingError, match=r"missing keys \['features.0.bias'\]"):
    porting.load_checkpoint(path, VGG)
