"""layers: the sub-pixel transposed convolution and the convolutions' hand-written
gradients equal lax's direct forms, in value and in every gradient, and leave no
input-dilated or window-reversed convolution in the compiled program."""
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxrestore.models import layers



@pytest.fixture(autouse=True)
def float64():
  """float64, so that two summation orders agree to 1e-10 and a wrong tap cannot hide."""
  with jax.enable_x64(True):
    yield


def _dilated_conv_transpose(x, kernel, stride, padding, output_padding):
  """nn.ConvTranspose2d as the input-dilated convolution it is the adjoint of."""
  lo = kernel.shape[0] - 1 - padding
  return jax.lax.conv_general_dilated(
      x, kernel[::-1, ::-1], (1, 1), [(lo, lo + output_padding)] * 2,
      lhs_dilation=(stride, stride), dimension_numbers=layers.NHWC)


def _rand(seed, shape):
  """Standard normal float64 numbers, drawn by numpy: ``jax.random`` would compile a
  program per shape."""
  return jnp.asarray(np.random.RandomState(seed).standard_normal(shape))


def _vjp(fn, x, w, g):
  """The gradients of ``fn`` at (x, w) for the output gradient ``g``, as one program."""
  return jax.jit(lambda x, w, g: jax.vjp(fn, x, w)[1](g))(x, w, g)


def _assert_no_slow_convolutions(fn, x, w):
  """Neither the value nor the gradients use an input-dilated or window-reversed
  convolution (what XLA's CPU backend runs as a naive loop): lax's own gradients do."""
  grad = jax.jit(jax.grad(lambda x, w: fn(x, w).sum(), argnums=(0, 1)))
  hlo = grad.lower(x, w).compile().as_text()
  assert "convolution(" in hlo and "lhs_dilate" not in hlo and "rhs_reversal" not in hlo


@pytest.mark.parametrize("k,stride,padding,output_padding,size", [
    (4, 2, 1, 0, 8),    # the Attentive GAN's deconv
    (3, 2, 1, 1, 7),
    (2, 2, 0, 0, 5),
    (5, 3, 2, 2, 6),
    (3, 2, 0, 0, 1),
    (1, 2, 0, 1, 4),
    (2, 1, 1, 0, 6),    # course net A's stride-1 transposed conv
    (3, 1, 0, 0, 4),
])
def test_conv_transpose_equals_the_dilated_form(k, stride, padding, output_padding, size):
  layer = layers.ConvTranspose2d(3, 5, k, stride=stride, padding=padding,
                                 output_padding=output_padding, rngs=nnx.Rngs(0))
  kernel, bias = _rand(1, layer.kernel[...].shape), _rand(2, (5,))
  layer.kernel.set_value(kernel)
  layer.bias.set_value(bias)
  x = _rand(3, (2, size, size + 1, 3))
  ref = lambda x, w: _dilated_conv_transpose(x, w, stride, padding, output_padding)  # noqa: E731
  out_hw = ((size - 1) * stride - 2 * padding + k + output_padding,
            size * stride - 2 * padding + k + output_padding)
  ours = lambda x, w: layers.conv_transpose(x, w, stride, (padding, padding), out_hw)  # noqa: E731

  y = layer(x)
  assert y.shape == ref(x, kernel).shape == (2, *out_hw, 5)
  np.testing.assert_allclose(y, ref(x, kernel) + bias, atol=1e-10)
  g = _rand(4, y.shape)
  for a, b in zip(_vjp(ours, x, kernel, g), _vjp(ref, x, kernel, g)):
    np.testing.assert_allclose(a, b, atol=1e-10)
  _assert_no_slow_convolutions(ours, x, kernel)


@pytest.mark.parametrize("k,stride,padding,size", [
    (3, 2, 1, 9), (3, 2, 1, 8), (5, 4, 1, 21), (2, 2, 0, 7), (4, 3, 0, 10), (1, 2, 0, 5),
    (3, 1, 1, 8), (2, 1, 1, 7), (5, 1, 0, 9),  # stride 1: DnCNN, course net A, no padding
])
def test_conv_gradient_equals_lax(k, stride, padding, size):
  pad = ((padding, padding), (padding, padding))
  x, w = _rand(5, (2, size, size + 2, 3)), _rand(6, (k, k, 3, 4))
  ours = lambda x, w: layers._conv(x, w, stride, pad)  # noqa: E731  (float32's route)
  ref = lambda x, w: jax.lax.conv_general_dilated(x, w, (stride, stride), pad,  # noqa: E731
                                                  dimension_numbers=layers.NHWC)
  np.testing.assert_allclose(ours(x, w), ref(x, w), atol=1e-10)
  g = _rand(7, ref(x, w).shape)
  for a, b in zip(_vjp(ours, x, w, g), _vjp(ref, x, w, g)):
    np.testing.assert_allclose(a, b, atol=1e-10)
  _assert_no_slow_convolutions(ours, x, w)


@pytest.mark.parametrize("k,scale,size", [
    (5, 2, 8), (3, 2, 7), (1, 2, 5), (7, 2, 4), (5, 3, 4), (3, 3, 5),
])
def test_upsample_nearest_conv_equals_the_direct_form(k, scale, size):
  """Course net B's up-sampling computed sub-pixel: the same values and gradients as
  the upsampled image convolved directly, at every border (odd and even sizes)."""
  x, w = _rand(8, (2, size, size + 1, 3)), _rand(9, (k, k, 3, 4))
  ours = lambda x, w: layers.upsample_nearest_conv(x, w, scale)  # noqa: E731
  ref = lambda x, w: jax.lax.conv_general_dilated(  # noqa: E731
      layers.upsample_nearest(x, scale), w, (1, 1), [(k // 2, k // 2)] * 2,
      dimension_numbers=layers.NHWC)
  y = ours(x, w)
  assert y.shape == (2, scale * size, scale * (size + 1), 4)
  np.testing.assert_allclose(y, ref(x, w), atol=1e-10)
  g = _rand(10, y.shape)
  for a, b in zip(_vjp(ours, x, w, g), _vjp(ref, x, w, g)):
    np.testing.assert_allclose(a, b, atol=1e-10)


def test_course_net_upsampling_layer_is_sub_pixel_in_float32_only():
  """float32: the sub-pixel form, equal to the direct one to float32 rounding; bf16:
  the direct form, as torch's autocast (the summed taps would be rounded again)."""
  from jaxrestore.models.course_nets import Upsampling  # pylint: disable=g-import-not-at-top
  x = _rand(11, (2, 6, 5, 4)).astype(jnp.float32)
  with jax.enable_x64(False):
    layer = Upsampling(4, 3, 5, rngs=nnx.Rngs(0))
    direct = layer.conv(layers.upsample_nearest(x))
    np.testing.assert_allclose(layer(x), direct, rtol=1e-5, atol=1e-6)
    assert not np.array_equal(layer(x), direct)  # the summed taps round differently
    half = Upsampling(4, 3, 5, rngs=nnx.Rngs(0), dtype=jnp.bfloat16)
    np.testing.assert_array_equal(half(x), half.conv(layers.upsample_nearest(x)))


def test_conv2d_layer_uses_it_only_where_it_applies():
  plain = layers.conv2d(3, 4, 3, rngs=nnx.Rngs(0))
  strided = layers.conv2d(3, 4, 3, stride=2, rngs=nnx.Rngs(0))
  dilated = layers.conv2d(3, 4, 3, dilation=2, rngs=nnx.Rngs(0))
  x = _rand(8, (1, 9, 9, 3))
  cases = ((plain, {}, True), (strided, dict(window_strides=(2, 2)), True),
           (dilated, dict(rhs_dilation=(2, 2)), False))
  for layer, kw, custom in cases:
    layer.kernel.set_value(_rand(9, (3, 3, 3, 4)))
    layer.bias.set_value(_rand(10, (4,)))
    ref = jax.lax.conv_general_dilated(x, layer.kernel[...], padding=layer.padding,
                                       dimension_numbers=layers.NHWC, **{"window_strides": (1, 1),
                                                                        **kw})
    np.testing.assert_allclose(layer(x), ref + layer.bias[...], atol=1e-10)  # float64's route
    graphdef, params = nnx.split(layer)
    layer32 = nnx.merge(graphdef, jax.tree.map(lambda v: v.astype(jnp.float32), params))
    assert ("custom_vjp" in str(jax.make_jaxpr(layer32)(x.astype(jnp.float32)))) == custom


def _gradient_conv_windows(fn, x, w, platform):
  """The window attributes (stride, padding, dilations, reversal) of the convolutions in
  ``fn``'s gradient program as lowered for ``platform`` (no device of it is needed)."""
  grad = jax.jit(jax.grad(lambda x, w: fn(x, w).sum(), argnums=(0, 1)))
  text = grad.trace(x, w).lower(lowering_platforms=(platform,)).as_text()
  return sorted(re.findall(r"stablehlo\.convolution.*?(window = \{[^}]*\})", text))


def _stride2_cases():
  """In float32: float64 takes another route on CPU (``conv_as_matmul``)."""
  x, pad = _rand(11, (1, 8, 8, 3)).astype(jnp.float32), ((1, 1), (1, 1))
  dn = jax.lax.conv_dimension_numbers(x.shape, (3, 3, 3, 4), layers.NHWC)
  conv = (lambda x, w: layers.conv_general_dilated(x, w, (2, 2), pad, dimension_numbers=dn),
          lambda x, w: layers._conv(x, w, 2, pad),
          lambda x, w: jax.lax.conv_general_dilated(x, w, (2, 2), pad,
                                                    dimension_numbers=layers.NHWC),
          x, _rand(12, (3, 3, 3, 4)).astype(jnp.float32))
  graphdef, state = nnx.split(layers.ConvTranspose2d(3, 4, 4, stride=2, padding=1,
                                                     use_bias=False, rngs=nnx.Rngs(0)))

  def layer(x, w):  # the layer's only parameter is its kernel
    return nnx.merge(graphdef, jax.tree.map(lambda _: w, state))(x)

  deconv = (layer, lambda x, w: layers.conv_transpose(x, w, 2, (1, 1), (16, 16)),
            lambda x, w: _dilated_conv_transpose(x, w, 2, 1, 0), x, _rand(13, (4, 4, 3, 4)).astype(jnp.float32))
  return {"conv2d": conv, "ConvTranspose2d": deconv}


@pytest.mark.parametrize("platform", ["cpu", "cuda", "tpu"])
@pytest.mark.parametrize("case", ["conv2d", "ConvTranspose2d"])
def test_forward_convolution_gradients_only_on_cpu(case, platform):
  """Lowered for CPU, the gradient program is the custom-VJP one (forward convolutions);
  for GPU and TPU it is exactly XLA's own (input-dilated convolutions), which those
  compilers run natively."""
  ours, custom, lax_form, x, w = _stride2_cases()[case]
  expected = _gradient_conv_windows(custom if platform == "cpu" else lax_form, x, w, platform)
  assert _gradient_conv_windows(custom, x, w, platform) != _gradient_conv_windows(
      lax_form, x, w, platform)  # the two forms can be told apart
  assert _gradient_conv_windows(ours, x, w, platform) == expected
  assert any("lhs_dilate = [2, 2]" in c for c in expected) == (platform != "cpu")


@pytest.mark.parametrize("k,stride,padding,lhs_dilation,rhs_dilation", [
    (3, 1, (1, 1), 1, 1), (3, 2, (1, 0), 1, 1), (2, 1, (0, 0), 1, 2), (3, 1, (2, 2), 1, 2),
    (4, 1, (-1, 2), 1, 1),  # negative padding crops, as lax's
    (4, 1, (2, 3), 2, 1),   # ConvTranspose2d(k=4, stride=2, padding=1, output_padding=1)
    (3, 1, (3, 3), 3, 2),   # a dilated, strided transposed convolution
])
def test_conv_as_matmul_equals_lax(k, stride, padding, lhs_dilation, rhs_dilation):
  x, w = _rand(11, (2, 7, 8, 3)), _rand(12, (k, k, 3, 4))
  args = ((stride, stride), (padding, padding), (lhs_dilation,) * 2, (rhs_dilation,) * 2)
  ours = lambda x, w: layers.conv_as_matmul(x, w, *args)  # noqa: E731
  ref = lambda x, w: jax.lax.conv_general_dilated(  # noqa: E731
      x, w, *args[:2], lhs_dilation=args[2], rhs_dilation=args[3],
      dimension_numbers=layers.NHWC)
  np.testing.assert_allclose(ours(x, w), ref(x, w), atol=1e-10)
  g = _rand(13, ref(x, w).shape)
  for a, b in zip(_vjp(ours, x, w, g), _vjp(ref, x, w, g)):
    np.testing.assert_allclose(a, b, atol=1e-10)


def test_float64_layers_compile_to_no_convolution_on_cpu():
  """XLA's CPU backend runs float64 convolutions as a naive loop: none is left, in the
  value or the gradients, for every convolution layer; lowered for GPU they stay
  convolutions."""
  x = _rand(14, (1, 8, 8, 3))
  for layer in (layers.conv2d(3, 4, 3, rngs=nnx.Rngs(0)),
                layers.conv2d(3, 4, 3, stride=2, dilation=2, rngs=nnx.Rngs(0)),
                layers.ConvTranspose2d(3, 4, 4, stride=2, padding=1, rngs=nnx.Rngs(0)),
                layers.ConvTranspose2d(3, 4, 3, stride=2, dilation=2, rngs=nnx.Rngs(0))):
    graphdef, params = nnx.split(layer)
    loss = lambda p, x: nnx.merge(graphdef, p)(x).sum()  # noqa: E731
    params = jax.tree.map(lambda v: v.astype(jnp.float64), params)
    hlo = jax.jit(jax.grad(loss, argnums=(0, 1))).lower(params, x).compile().as_text()
    assert "convolution(" not in hlo, type(layer).__name__
    assert _gradient_conv_windows(lambda x, p: nnx.merge(graphdef, p)(x), x, params, "cuda")
