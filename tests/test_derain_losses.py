"""Attentive GAN losses: threshold, weights, scales and the log terms, against direct formulas."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxrestore.losses import derain


def test_attention_target_sums_channels_before_the_threshold():
  clean = jnp.zeros((1, 1, 3, 3))
  rain = clean.at[0, 0, 0].set(jnp.array([11, 10, 10]) / 255.0)  # sum 31 > 30: a drop
  rain = rain.at[0, 0, 1].set(jnp.array([10, 10, 9]) / 255.0)  # sum 29: not a drop
  rain = rain.at[0, 0, 2].set(jnp.array([29, 0, 0]) / 255.0)  # one channel, 29: not a drop
  m = derain.attention_target(rain, clean)
  assert m.shape == (1, 1, 3, 1)
  np.testing.assert_array_equal(m[0, 0, :, 0], [1.0, 0.0, 0.0])


def test_attention_loss_weights_later_steps_more():
  target = jnp.zeros((1, 2, 2, 1))
  maps = [jnp.full((1, 2, 2, 1), v) for v in (1.0, 2.0, 3.0, 4.0)]  # MSE 1, 4, 9, 16
  expected = 0.8 ** 3 * 1 + 0.8 ** 2 * 4 + 0.8 * 9 + 16
  assert float(derain.attention_loss(maps, target)) == pytest.approx(expected, rel=1e-6)


def test_multiscale_loss_compares_each_output_with_the_area_reduced_target():
  clean = jnp.asarray(np.random.RandomState(0).random_sample((2, 8, 12, 3)), jnp.float32)
  quarter = clean.reshape(2, 2, 4, 3, 4, 3).mean(axis=(2, 4))
  half = clean.reshape(2, 4, 2, 6, 2, 3).mean(axis=(2, 4))
  # exact targets at every scale: zero loss; then one scale off by 0.1 everywhere
  assert float(derain.multiscale_loss((quarter, half, clean), clean)) == pytest.approx(0, abs=1e-12)
  off = derain.multiscale_loss((quarter, half + 0.1, clean), clean)
  assert float(off) == pytest.approx(0.8 * 0.01, rel=1e-5)
  with pytest.raises(ValueError, match="multiple of 4"):
    derain.area_downsample(jnp.zeros((1, 6, 8, 3)), 4)


def test_gan_terms_equal_the_logs_of_the_sigmoid():
  logit_r, logit_f = jnp.array([[1.5], [-0.5]]), jnp.array([[0.3], [-2.0]])
  d_real = {"logit": logit_r, "mask": jnp.full((2, 4, 4, 1), 0.5)}
  d_fake = {"logit": logit_f, "mask": jnp.full((2, 4, 4, 1), 0.2)}
  a_n = jnp.full((2, 4, 4, 1), 0.7)
  total, parts = derain.discriminator_loss(d_real, d_fake, a_n)
  sig = jax.nn.sigmoid
  adv = -jnp.mean(jnp.log(sig(logit_r))) - jnp.mean(jnp.log(1 - sig(logit_f)))
  assert float(parts["loss_adv"]) == pytest.approx(float(adv), rel=1e-6)
  assert float(parts["loss_map"]) == pytest.approx(0.5 ** 2 + 0.25, rel=1e-6)
  assert float(total) == pytest.approx(float(adv) + 0.05 * (0.25 + 0.25), rel=1e-6)
  # D's map loss treats the generator's attention as a constant
  g = jax.grad(lambda a: derain.discriminator_loss(d_real, d_fake, a)[0])(a_n)
  assert float(jnp.abs(g).max()) == 0.0


def test_saturated_discriminator_gives_finite_losses():
  d_real = {"logit": jnp.array([[200.0]]), "mask": jnp.zeros((1, 2, 2, 1))}
  d_fake = {"logit": jnp.array([[-200.0]]), "mask": jnp.zeros((1, 2, 2, 1))}
  total, _ = derain.discriminator_loss(d_real, d_fake, jnp.zeros((1, 2, 2, 1)))
  assert np.isfinite(float(total)) and float(total) < 1e-30


class _RecordingVGG:
  """Stands in for VGG16: records what ``features_at`` receives."""

  def __init__(self):
    self.calls = []

  def features_at(self, x, layers, normalize=True):
    self.calls.append((np.asarray(x), normalize))
    return [x]


def test_perceptual_loss_feeds_vgg_raw_input_by_default_as_the_authors():
  out, clean = jnp.full((1, 4, 4, 3), 0.25), jnp.full((1, 4, 4, 3), 0.75)
  vgg = _RecordingVGG()
  assert float(derain.perceptual_loss(vgg, out, clean)) == pytest.approx(0.25)
  assert [n for _, n in vgg.calls] == [False, False]
  np.testing.assert_array_equal(vgg.calls[0][0], out)  # unchanged values in [0, 1]
  vgg.calls.clear()
  derain.perceptual_loss(vgg, out, clean, vgg_input="imagenet")
  assert [n for _, n in vgg.calls] == [True, True]
  with pytest.raises(derain.errors.ConfigError, match="vgg_input"):
    derain.perceptual_loss(vgg, out, clean, vgg_input="caffe")


def test_vgg16_normalize_false_sees_the_input_as_it_is():
  from flax import nnx  # pylint: disable=g-import-not-at-top
  from jaxrestore import models  # pylint: disable=g-import-not-at-top
  from jaxrestore.models import vgg as vgg_lib  # pylint: disable=g-import-not-at-top
  model = models.create("vgg16", rngs=nnx.Rngs(0))
  x = jnp.asarray(np.random.RandomState(1).random_sample((1, 8, 8, 3)), jnp.float32)
  raw = model.features_at(x, (0,), normalize=False)[0]
  normed = model.features_at(x, (0,))[0]
  np.testing.assert_allclose(
      normed, model.features_at((x - vgg_lib.IMAGENET_MEAN) / vgg_lib.IMAGENET_STD, (0,),
                                normalize=False)[0], atol=1e-5)
  assert float(jnp.max(jnp.abs(raw - normed))) > 1e-2
