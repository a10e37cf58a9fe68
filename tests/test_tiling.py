import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxrestore.models as jm
from jaxrestore import evaluate
from jaxrestore.tiling import tiled_apply


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
