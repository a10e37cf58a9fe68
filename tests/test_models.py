"""Model construction: registry, presets, initialisation, argument checks."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import jaxrestore.models as jm
from jaxrestore import errors
from jaxrestore.models import initializers
from jaxrestore.models.dncnn import dud_dilations


def test_unknown_model_lists_the_known_ones():
  with pytest.raises(ValueError, match="unknown model 'dncnn18'.*kair_dncnn17"):
    jm.create("dncnn18", rngs=nnx.Rngs(0))


_RESTORATION_CLASSES = [jm.dncnn.DnCNN, jm.dncnn.UDnCNN, jm.dncnn.DUDnCNN, jm.n2n_unet.N2NUNet,
                        jm.course_nets.CourseNetA, jm.course_nets.CourseNetB,
                        jm.desnownet.DesnowNet, jm.attentive_gan.Generator]


@pytest.mark.parametrize("cls", _RESTORATION_CLASSES, ids=lambda c: c.__name__)
def test_restoration_models_declare_what_the_loop_reads(cls):
  """``models.RestorationModel``: the loop, evaluation and restore read these, never guess."""
  assert isinstance(cls.size_multiple, int) and cls.size_multiple >= 1
  assert cls.output_key is None or isinstance(cls.output_key, str)


def test_a_built_model_is_a_restoration_model():
  assert isinstance(jm.create("dncnn", depth=3, features=4, rngs=nnx.Rngs(0)), jm.RestorationModel)
  assert not isinstance(jm.create("vgg16", rngs=nnx.Rngs(0)), jm.RestorationModel)


def test_kair_preset():
  m = jm.create("kair_dncnn17", rngs=nnx.Rngs(0))
  assert len(m.conv) == 17 and len(m.bn) == 15 and m.residual == "subtract"
  assert m.bn[0].eps == 1e-4 and m.bn[0].momentum == 0.9
  assert len(jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0)).bn) == 0


def test_ece285_presets_and_eps_quirk():
  m = jm.create("ece285_dncnn", rngs=nnx.Rngs(0))
  assert len(m.conv) == 8 and m.residual == "add" and m.bn[0].eps == 1e-5
  np.testing.assert_allclose(np.asarray(m.bn[0].scale[...]), 1.25 * np.sqrt(64))
  assert jm.create("ece285_dncnn", legacy_bn_eps=True, rngs=nnx.Rngs(0)).bn[0].eps == 64.0
  assert jm.create("ece285_udncnn", legacy_bn_eps=True, rngs=nnx.Rngs(0)).bn[3].eps == 64.0


def test_dud_dilations():
  assert dud_dilations(8) == [1, 1, 2, 4, 4, 2, 1, 1]
  m = jm.create("ece285_dudncnn", rngs=nnx.Rngs(0))
  assert [c.kernel_dilation for c in m.conv] == [1, 1, 2, 4, 4, 2, 1, 1]
  assert [c.padding[0][0] for c in m.conv] == [1, 1, 2, 4, 4, 2, 1, 1]


def test_he_normal_init_is_not_truncated():
  m = jm.create("dncnn", depth=3, features=256, in_channels=64, out_channels=64,
                residual="none", rngs=nnx.Rngs(0))
  w = np.asarray(m.conv[1].kernel[...]).ravel()
  std = np.sqrt(2.0 / (256 * 9))
  assert abs(w.std() / std - 1) < 0.01
  # A truncated normal (flax's he_normal) has nothing beyond 2 std; N(0, 1) has 4.6%.
  assert 0.04 < np.mean(np.abs(w) > 2 * std) < 0.052
  last = np.asarray(m.conv[-1].kernel[...]).ravel()  # torch default: U(+-1/sqrt(fan_in))
  assert np.abs(last).max() <= 1 / np.sqrt(256 * 9)


def _orthogonal_gram_error(w, gain):
  """max |M M^T - gain^2 I| of the kernel as the (out, rest) matrix torch's orthogonal_
  makes orthonormal, on its shorter side; w is (rest..., out)."""
  m = np.asarray(w, np.float64).reshape(-1, w.shape[-1]).T
  gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
  return np.abs(gram - gain ** 2 * np.eye(len(gram))).max()


def test_kair_init_is_kairs_in_both_trees():
  """KAIR's train_dncnn.json: orthogonal convs with gain 0.2 and zero bias (all 17), BN
  weight U(0.1, 1) and zero bias."""
  import torch
  import torch_ref.models as tm
  m = jm.create("kair_dncnn17", rngs=nnx.Rngs(0))
  net = tm.create("kair_dncnn17")
  convs = [layer for layer in net.model if isinstance(layer, torch.nn.Conv2d)]
  bns = [layer for layer in net.model if isinstance(layer, torch.nn.BatchNorm2d)]
  assert len(m.conv) == len(convs) == 17 and len(m.bn) == len(bns) == 15
  for conv, tconv in zip(m.conv, convs):  # (9, 64), (576, 64) and (576, 1) matrices
    assert _orthogonal_gram_error(conv.kernel[...], 0.2) < 1e-6
    assert _orthogonal_gram_error(tconv.weight.detach().numpy().transpose(2, 3, 1, 0), 0.2) < 1e-6
    assert not np.any(conv.bias[...]) and not torch.any(tconv.bias)
  for bn, tbn in zip(m.bn, bns):
    for w in (np.asarray(bn.scale[...]), tbn.weight.detach().numpy()):
      assert 0.1 <= w.min() and w.max() <= 1.0 and w.std() > 0.15  # U(0.1, 1): std 0.26
    assert not np.any(bn.bias[...]) and not torch.any(tbn.bias)
  # the other presets keep the ECE285 code's He-normal init
  assert np.asarray(jm.create("dncnn", depth=3, rngs=nnx.Rngs(0)).bn[0].scale[...]).min() == 1.0


def test_orthogonal_draws_what_flax_draws():
  """The same normal matrix and QR as nnx.initializers.orthogonal (column axis: out)."""
  ours, theirs = initializers.orthogonal(0.2), nnx.initializers.orthogonal(0.2)
  for i, shape in enumerate([(3, 3, 1, 64), (3, 3, 64, 64), (3, 3, 64, 1), (5, 7)]):
    key = jax.random.PRNGKey(i)
    np.testing.assert_allclose(ours(key, shape), theirs(key, shape), atol=1e-6, err_msg=shape)
  traced = jax.jit(lambda k: ours(k, (3, 3, 8, 4)))(jax.random.PRNGKey(9))
  assert _orthogonal_gram_error(traced, 0.2) < 1e-6


# kernels of every rank the models use, sizes inside one block and across blocks
_SHAPES = [(3, 3, 3, 64), (1, 7, 24, 24), (5, 1, 9, 5), (4, 4, 32, 3), (3, 3, 64, 64), (1, 1, 4, 6),
           (64, 200), (3, 3, 96, 200)]


@pytest.mark.parametrize("scale,mode,distribution", [(1.0, "fan_avg", "normal"),
                                                      (2.0, "fan_in", "normal"),
                                                      (1 / 3, "fan_in", "uniform")])
def test_initialisers_draw_the_numbers_of_jax_and_flax_bit_for_bit(scale, mode, distribution):
  ours = initializers.variance_scaling(scale, mode, distribution)
  theirs = nnx.initializers.variance_scaling(scale, mode, distribution)
  for i, shape in enumerate(_SHAPES):
    key = jax.random.PRNGKey(i)
    np.testing.assert_array_equal(ours(key, shape, jnp.float32), theirs(key, shape, jnp.float32),
                                  err_msg=str(shape))
    a, b = initializers.uniform(key, shape[-1:], minval=-0.3, maxval=0.7), jax.random.uniform(
        key, shape[-1:], minval=-0.3, maxval=0.7)
    np.testing.assert_array_equal(a, b)


def test_initialisers_share_a_program_between_shapes_and_trace_under_jit():
  """What makes building a model fast: shapes of one block size reuse one program."""
  initializers.normal(jax.random.PRNGKey(0), (3, 3, 5, 7))  # the smallest block compiled
  before = initializers._normal_block._cache_size()
  for shape in [(3, 3, 6, 7), (1, 5, 8, 8), (7, 1, 9, 9), (100,)]:
    initializers.normal(jax.random.PRNGKey(1), shape)
  assert initializers._normal_block._cache_size() == before
  key = jax.random.PRNGKey(2)
  traced = jax.jit(lambda k: initializers.normal(k, (3, 3, 4, 5), scale=0.5))(key)
  np.testing.assert_array_equal(traced, jax.random.normal(key, (3, 3, 4, 5)) * jnp.float32(0.5))


# bad arguments are ConfigErrors: a CLI shows them as one line, without a traceback
@pytest.mark.parametrize("depth", [5, 7, 4])
def test_u_models_need_even_depth(depth):
  with pytest.raises(errors.ConfigError, match="even depth >= 6"):
    jm.create("ece285_udncnn", depth=depth, rngs=nnx.Rngs(0))


def test_bad_residual_and_channels():
  with pytest.raises(errors.ConfigError, match="residual"):
    jm.create("dncnn", residual="sub", rngs=nnx.Rngs(0))
  with pytest.raises(errors.ConfigError, match="in_channels == out_channels"):
    jm.create("dncnn", in_channels=1, out_channels=3, rngs=nnx.Rngs(0))
  with pytest.raises(errors.ConfigError, match="layout must be"):
    jm.create("dncnn", layout="keras", rngs=nnx.Rngs(0))
  with pytest.raises(errors.ConfigError, match="init must be one of he, kair"):
    jm.create("dncnn", init="xavier", rngs=nnx.Rngs(0))
  with pytest.raises(errors.ConfigError, match="pool must be 'conv' or 'pool'"):
    jm.create("desnownet", pool="max", rngs=nnx.Rngs(0))
  with pytest.raises(errors.ConfigError, match="needs RGB input"):
    jm.create("desnownet", in_channels=1, rngs=nnx.Rngs(0))


# The framework project's table: (kernel_size, stride, padding, dilation) -> trained at 32x32
# ("incompatible shapes" where False).
COURSE_NET_A_ROWS = {(2, 1, 0, 1): True, (2, 2, 0, 1): True, (2, 1, 0, 2): True,
                     (2, 2, 0, 2): False, (2, 1, 1, 1): True, (2, 2, 1, 1): False,
                     (3, 1, 1, 1): True}


def test_course_net_a_output_hw_reproduces_the_source_table():
  cn = jm.course_nets
  for row, ok in COURSE_NET_A_ROWS.items():
    kw = dict(zip(("kernel_size", "stride", "padding", "dilation"), row))
    assert (cn.output_hw("course_net_a", (32, 32), **kw) == (32, 32)) == ok, row
    if not ok:
      with pytest.raises(cn.IncompatibleShapesError, match="incompatible shapes"):
        cn.check_shapes("course_net_a", (32, 32), **kw)
  assert cn.output_hw("course_net_a", (32, 32), kernel_size=2, stride=2, padding=1) == (30, 30)
  with pytest.raises(cn.IncompatibleShapesError, match="to nothing"):
    cn.output_hw("course_net_a", (4, 4), kernel_size=3, stride=2, padding=0)


@pytest.mark.parametrize("down_kernel", [2, 4])
@pytest.mark.parametrize("up_kernel", [3, 5])
def test_course_net_b_keeps_sizes_for_every_grid_kernel(down_kernel, up_kernel):
  """Down kernel 4 shrank 32x32 to 24x24 before it was padded by (k - 1) // 2."""
  cn = jm.course_nets
  kw = dict(down_kernel=down_kernel, up_kernel=up_kernel)
  for hw in ((32, 32), (16, 8), (4, 4)):
    cn.check_shapes("course_net_b", hw, **kw)
  x = np.zeros((1, 32, 16, 3), np.float32)
  # built and run abstractly (shapes only): nothing to compile
  y = nnx.eval_shape(lambda: jm.create("course_net_b", channels=(4, 8), **kw, rngs=nnx.Rngs(0))(x))
  assert y.shape == (1, 32, 16, 3)


def test_course_net_init_is_checked():
  with pytest.raises(errors.ConfigError, match="init must be one of"):
    jm.create("course_net_b", init="he", rngs=nnx.Rngs(0))
