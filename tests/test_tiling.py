import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxrestore.models as jm
from jaxrestore import evaluate
from jaxrestore.tiling import receptive_overlap, tiled_apply


@pytest.mark.parametrize("hw", [(70, 53), (64, 64), (33, 90)])
def test_tiles_equal_whole_image_inference(hw):
  model = jm.create("dncnn", depth=5, features=8, rngs=nnx.Rngs(0))  # receptive radius 5
  apply = evaluate.make_model_apply(model)
  img = np.random.RandomState(0).rand(*hw, 1).astype(np.float32)
  whole = np.asarray(apply(jnp.asarray(img[None])))[0]
  calls = []
  counting = lambda x: (calls.append(x.shape), apply(x))[1]  # noqa: E731
  tiled = tiled_apply(counting, img, tile=32, overlap=12)
  assert len(calls) > 1 and all(s[1] <= 32 and s[2] <= 32 for s in calls)
  np.testing.assert_allclose(tiled, whole, rtol=1e-5, atol=1e-6)


def test_too_small_overlap_differs_and_bad_overlap_is_an_error():
  model = jm.create("dncnn", depth=9, features=8, rngs=nnx.Rngs(0))  # radius 9
  apply = evaluate.make_model_apply(model)
  img = np.random.RandomState(0).rand(64, 64, 1).astype(np.float32)
  whole = np.asarray(apply(jnp.asarray(img[None])))[0]
  assert np.abs(tiled_apply(apply, img, tile=32, overlap=2) - whole).max() > 1e-4
  with pytest.raises(ValueError, match="overlap"):
    tiled_apply(apply, img, tile=16, overlap=16)


def test_unet_takes_any_size_through_padding():
  model = jm.create("n2n_unet", in_channels=1, out_channels=1, enc_features=8, dec_features=8,
                    rngs=nnx.Rngs(0))
  apply = evaluate.make_model_apply(model)
  img = np.random.RandomState(0).rand(1, 45, 70, 1).astype(np.float32)
  out = np.asarray(apply(img))
  assert out.shape == img.shape
  padded = np.pad(img, ((0, 0), (0, 19), (0, 26), (0, 0)), mode="reflect")
  np.testing.assert_array_equal(out, np.asarray(apply(padded))[:, :45, :70])


@pytest.mark.slow  # three DesnowNet compilations; the only check that the radius is exact
def test_desnownet_tiles_overlapping_by_its_receptive_field_equal_whole_image_inference():
  model = jm.create("desnownet", width_factor=16, blocks=(0, 0, 0), gamma=1, pool="pool",
                    pyramid_channels=4, rngs=nnx.Rngs(0))  # BN in eval mode (running stats)
  radius = model.receptive_field_radius()
  assert receptive_overlap(model) == 2 * radius == 2 * 40
  run = evaluate.make_model_apply(model)
  apply = lambda x: run(x)["y_hat"]  # noqa: E731
  img = np.random.RandomState(0).rand(121, 121, 3).astype(np.float32)
  whole = np.asarray(apply(jnp.asarray(img[None])))[0]
  # the radius is what it claims: one changed pixel reaches that far, and no farther
  poked = img.copy()
  poked[60, 60] += 10.0
  changed = np.nonzero(np.abs(np.asarray(apply(jnp.asarray(poked[None])))[0] - whole).max(-1))
  reach = max(np.abs(changed[0] - 60).max(), np.abs(changed[1] - 60).max())
  assert radius - 2 <= reach <= radius
  np.testing.assert_allclose(tiled_apply(apply, img, tile=96, overlap=2 * radius), whole,
                             rtol=1e-5, atol=1e-6)


def test_an_overlap_cannot_be_computed_for_a_model_that_does_not_declare_it():
  with pytest.raises(ValueError, match="receptive field"):
    receptive_overlap(jm.create("dncnn", depth=3, features=4, rngs=nnx.Rngs(0)))
