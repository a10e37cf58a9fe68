"""Attentive GAN and VGG-16 (JAX only): shapes, input checks, the discriminator's FC size."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxrestore import models
from jaxrestore.models.attentive_gan import discriminator_fc_size


@pytest.mark.parametrize("shape", [(1, 16, 16, 3), (2, 12, 20, 3)], ids=["square", "non-square"])
def test_generator_output_shapes(shape):
  model = models.create("attentive_gan_generator", rngs=nnx.Rngs(0), iterations=2)
  n, h, w, _ = shape
  out = nnx.eval_shape(lambda m: m(jnp.zeros(shape)), model)  # shapes only: traced
  assert len(out["attention"]) == 2
  assert all(a.shape == (n, h, w, 1) for a in out["attention"])
  assert out["frame1"].shape == (n, h // 4, w // 4, 3)
  assert out["frame2"].shape == (n, h // 2, w // 2, 3)
  assert out["output"].shape == (n, h, w, 3)
  assert model.size_multiple == 4


def test_generator_input_is_checked():
  model = models.create("attentive_gan_generator", rngs=nnx.Rngs(0), iterations=1)
  with pytest.raises(ValueError, match="3 channels"):
    model(jnp.zeros((1, 16, 16, 1)))
  with pytest.raises(ValueError, match=r"divisible by 4, got \(18, 16\)"):
    model(jnp.zeros((1, 18, 16, 3)))
  with pytest.raises(ValueError, match="iterations"):
    models.create("attentive_gan_generator", rngs=nnx.Rngs(0), iterations=0)


def test_attention_starts_from_half_mask_and_runs_every_iteration():
  model = models.create("attentive_gan_generator", rngs=nnx.Rngs(0), iterations=3)
  x = jnp.asarray(np.random.RandomState(1).random_sample((1, 8, 12, 3)), jnp.float32)
  attention = model(x)["attention"]
  assert len(attention) == 3
  zeros = jnp.zeros((1, 8, 12, 32))
  first, h, c = model._attention_step(x, jnp.full((1, 8, 12, 1), 0.5), zeros, zeros)
  np.testing.assert_array_equal(attention[0], first)
  np.testing.assert_array_equal(attention[1], model._attention_step(x, first, h, c)[0])
  other = model._attention_step(x, jnp.zeros((1, 8, 12, 1)), zeros, zeros)[0]
  assert float(jnp.abs(other - first).max()) > 0  # the initial mask value matters
  maps = model.attention_maps(x)  # the attentive-recurrent network alone
  assert len(maps) == 3
  for a, b in zip(maps, attention, strict=True):
    np.testing.assert_array_equal(a, b)
  with pytest.raises(ValueError, match="divisible by 4"):
    model.attention_maps(x[:, :6])


def test_residual_generator_adds_its_input_to_the_output_only():
  x = jnp.asarray(np.random.RandomState(2).random_sample((1, 8, 12, 3)), jnp.float32)
  plain = models.create("attentive_gan_generator", rngs=nnx.Rngs(0), iterations=2)(x)
  residual = models.create("attentive_gan_generator", rngs=nnx.Rngs(0), iterations=2,
                           residual=True)(x)
  np.testing.assert_allclose(residual["output"], plain["output"] + x, rtol=1e-6, atol=1e-6)
  for k in ("frame1", "frame2"):
    np.testing.assert_array_equal(residual[k], plain[k])
  for a, b in zip(residual["attention"], plain["attention"], strict=True):
    np.testing.assert_array_equal(a, b)


def test_clip_output_clamps_the_output_only():
  x = np.random.RandomState(2).random_sample((1, 8, 12, 3))
  x[:, :2], x[:, -2:] = 1.0, 0.0  # white and black rows: the residual takes some out of [0, 1]
  x = jnp.asarray(x, jnp.float32)
  free = models.create("attentive_gan_generator", rngs=nnx.Rngs(0), iterations=2,
                       residual=True)(x)
  clipped = models.create("attentive_gan_generator", rngs=nnx.Rngs(0), iterations=2,
                          residual=True, clip_output=True)(x)
  assert ((free["output"] < 0) | (free["output"] > 1)).any()
  np.testing.assert_array_equal(clipped["output"], np.clip(free["output"], 0, 1))
  for k in ("frame1", "frame2"):
    np.testing.assert_array_equal(clipped[k], free[k])


def test_discriminator_fc_size():
  assert discriminator_fc_size(224) == (32, 14, 14)
  model = models.create("attentive_gan_discriminator", rngs=nnx.Rngs(0))
  assert model.fc[0].kernel[...].shape == (32 * 14 * 14, 1024)
  side = lambda s: ((s - 3) // 4 + 1 - 3) // 4 + 1  # noqa: E731  (two 5x5, stride 4, pad 1)
  for size in [(48, 40), (64, 100), (11, 11)]:
    assert discriminator_fc_size(size) == (32, side(size[0]), side(size[1]))
  with pytest.raises(ValueError, match="too small"):
    discriminator_fc_size(10)
  with pytest.raises(ValueError, match="int or"):
    discriminator_fc_size((32, 32, 3))


def test_discriminator_outputs_and_input_check():
  model = models.create("attentive_gan_discriminator", rngs=nnx.Rngs(0), input_size=(48, 40))
  assert model.fc[0].kernel[...].shape == (32 * 3 * 2, 1024)
  out = model(jnp.asarray(np.random.RandomState(0).random_sample((2, 48, 40, 3)), jnp.float32))
  assert out["mask"].shape == (2, 48, 40, 1)
  assert out["logit"].shape == out["prob"].shape == (2, 1)
  np.testing.assert_allclose(out["prob"], jax.nn.sigmoid(out["logit"]), rtol=1e-6)
  with pytest.raises(ValueError, match=r"input_size=\(48, 40\)"):
    model(jnp.zeros((2, 40, 48, 3)))
  with pytest.raises(ValueError, match="RGB"):
    model(jnp.zeros((2, 48, 40, 1)))


def test_vgg16_features_at():
  model = models.create("vgg16", rngs=nnx.Rngs(0))
  assert len(model.features) == 31
  convs = [i for i, layer in enumerate(model.features) if isinstance(layer, nnx.Conv)]
  assert convs == [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
  x = jnp.asarray(np.random.RandomState(0).random_sample((1, 32, 24, 3)), jnp.float32)
  feats = model.features_at(x)
  assert [f.shape for f in feats] == [(1, 32, 24, 64), (1, 32, 24, 64), (1, 16, 12, 128),
                                      (1, 16, 12, 128)]
  assert model(jnp.zeros((1, 64, 32, 3))).shape == (1, 2, 1, 512)  # five 2x2 poolings
  with pytest.raises(ValueError, match="layers"):
    model.features_at(x, (31,))
  with pytest.raises(ValueError, match="3 channels"):
    model.features_at(x[..., :1])


def test_paper_recipe_trains_as_the_source():
  import recipes  # pylint: disable=g-import-not-at-top
  c = recipes.load_config("attentive_gan.py")
  assert c.data.batch_size == 1
  assert c.optimizer.name == c.gan.d_optimizer.name == "adam"
  assert c.optimizer.lr == c.gan.d_optimizer.lr == 1e-4
  assert discriminator_fc_size(c.data.crop) == (32, 14, 14)  # official Linear(32 * 14 * 14, ...)
  assert c.gan.vgg_input == "raw" and c.eval.uint8_cast == "truncate"
  cpu = recipes.load_config("attentive_gan.py:cpu")
  assert cpu.data.batch_size == 1 and cpu.data.crop == 64
