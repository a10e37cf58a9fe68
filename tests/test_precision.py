"""config.precision: models compute in bfloat16 with float32 parameters, BN statistics and
outputs; the optimiser state stays float32; checkpoints do not depend on the precision.
(How close bf16 is to float32 and to torch's autocast: parity_tests/test_bf16_parity.py.)"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxrestore import checkpoints, errors, models, train
from jaxrestore.models import registry

# (registry name, kwargs, input shape, how to call it); small shapes, every family
CASES = {
    "dncnn": ("dncnn", dict(depth=4, features=8), (2, 12, 12, 1), None),
    "ece285_udncnn": ("ece285_udncnn", dict(features=8), (2, 12, 12, 3), None),
    "ece285_dudncnn": ("ece285_dudncnn", dict(features=8), (2, 12, 12, 3), None),
    "n2n_unet": ("n2n_unet", dict(enc_features=8, dec_features=8), (1, 32, 32, 3), None),
    "generator": ("attentive_gan_generator", dict(iterations=1), (1, 8, 8, 3), None),
    "discriminator": ("attentive_gan_discriminator", dict(input_size=12), (2, 12, 12, 3), None),
    "vgg16": ("vgg16", {}, (1, 8, 8, 3), lambda m, x: m.features_at(x, (1, 6))),
    "course_net_a": ("course_net_a", {}, (2, 8, 8, 3), None),
    "course_net_b": ("course_net_b", dict(down_kernel=4), (2, 8, 8, 3), None),
    "desnownet": ("desnownet", dict(width_factor=32, pyramid_channels=4, gamma=1,
                                    blocks=(1, 1, 1)), (1, 8, 8, 3), None),
}


def _conv_operand_dtypes(jaxpr) -> list:
  """The dtypes of every convolution's operands and of every dot's, nested jaxprs included."""
  found = []
  for eqn in jaxpr.eqns:
    if eqn.primitive.name in ("conv_general_dilated", "dot_general"):
      found += [v.aval.dtype for v in eqn.invars]
    for p in eqn.params.values():
      for sub in (p if isinstance(p, (tuple, list)) else (p,)):
        inner = getattr(sub, "jaxpr", sub)
        if hasattr(inner, "eqns"):
          found += _conv_operand_dtypes(inner)
  return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_bfloat16_computes_in_bf16_and_keeps_float32_parameters_and_outputs(case):
  name, kwargs, shape, call = CASES[case]
  call = call or (lambda m, x: m(x))
  f32 = models.create(name, rngs=nnx.Rngs(0), **kwargs)
  bf16 = models.create(name, rngs=nnx.Rngs(0), precision="bfloat16", **kwargs)
  for model in (f32, bf16):
    model.eval()
  params = nnx.state(bf16)
  assert {leaf.dtype for leaf in jax.tree.leaves(params)} <= {jnp.dtype("float32"),
                                                               jnp.dtype("int32")}
  for a, b in zip(jax.tree.leaves(nnx.state(f32)), jax.tree.leaves(params)):
    np.testing.assert_array_equal(a, b)  # same init: the precision is not in the weights
  x = jnp.asarray(np.random.RandomState(1).random_sample(shape), jnp.float32)
  dtypes = _conv_operand_dtypes(jax.make_jaxpr(lambda x: call(bf16, x))(x).jaxpr)
  assert dtypes and set(dtypes) == {jnp.dtype("bfloat16")}
  assert set(_conv_operand_dtypes(jax.make_jaxpr(lambda x: call(f32, x))(x).jaxpr)) == {
      jnp.dtype("float32")}
  # traced, not compiled: the values are compared in parity_tests/test_bf16_parity.py
  outputs = jax.eval_shape(lambda x: call(bf16, x), x)
  assert {leaf.dtype for leaf in jax.tree.leaves(outputs)} == {jnp.dtype("float32")}


def test_precision_is_checked_and_refused_by_a_model_without_a_dtype(monkeypatch):
  with pytest.raises(errors.ConfigError, match="config.precision must be one of"):
    models.create("dncnn", rngs=nnx.Rngs(0), precision="float16")
  class NoDtype:  # a model without a compute dtype (every registered model has one)
    def __init__(self, *, rngs):
      del rngs

  monkeypatch.setitem(registry._REGISTRY, "no_dtype_model", NoDtype)
  assert isinstance(models.create("no_dtype_model", rngs=nnx.Rngs(0)), NoDtype)  # float32
  with pytest.raises(errors.ConfigError, match="'no_dtype_model' has no compute dtype yet"):
    models.create("no_dtype_model", rngs=nnx.Rngs(0), precision="bfloat16")


def test_a_model_saved_under_one_precision_loads_under_the_other(tmp_path):
  model = models.create("dncnn", rngs=nnx.Rngs(3), precision="bfloat16", depth=3, features=8)
  checkpoints.save_model(tmp_path / "m", model, "dncnn", depth=3, features=8)
  loaded, name, kwargs = checkpoints.load_model(tmp_path / "m")
  loaded_bf16, _, _ = checkpoints.load_model(tmp_path / "m", precision="bfloat16")
  assert (name, kwargs) == ("dncnn", {"depth": 3, "features": 8})
  for a, b, c in zip(*(jax.tree.leaves(nnx.state(m)) for m in (model, loaded, loaded_bf16))):
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
  assert loaded.conv[0].dtype is None and loaded_bf16.conv[0].dtype == jnp.bfloat16


def test_a_run_trains_in_bf16_resumes_in_float32_and_evaluates_in_either(tiny_config, tmp_path,
                                                                          capsys):
  tiny_config.precision = "bfloat16"
  tiny_config.num_steps = 3
  state, summary = train.train_and_evaluate(tiny_config, tmp_path)
  floating = [x.dtype for x in jax.tree.leaves((state.params, state.buffers, state.opt_state))
              if jnp.issubdtype(x.dtype, jnp.floating)]
  assert floating and set(floating) == {jnp.dtype("float32")}  # params, BN stats, Adam moments
  assert np.isfinite(summary["psnr"])
  tiny_config.precision = "float32"
  tiny_config.num_steps = 6
  capsys.readouterr()
  state, _ = train.train_and_evaluate(tiny_config, tmp_path)  # resumes the bf16 run at step 3
  assert f"resumed from {tmp_path / 'checkpoints'} at step 3" in capsys.readouterr().out
  assert int(state.step) == 6
  x = jnp.asarray(np.random.RandomState(0).random_sample((1, 16, 16, 1)), jnp.float32)
  outs = {}
  for precision in ("float32", "bfloat16"):
    model, _, _, step = checkpoints.load_from_workdir(tmp_path, "latest", precision=precision)
    assert step == 6
    model.eval()
    outs[precision] = np.asarray(model(x))
  np.testing.assert_allclose(outs["bfloat16"], outs["float32"], atol=0.05)
