"""Layers with PyTorch's defaults, in NHWC.

Mapping to PyTorch, where it is not obvious:

* ``conv2d``: ``nn.Conv2d`` with integer ``padding`` (zeros) and ``dilation``. The
  kernel is HWIO (torch: OIHW). Default init is torch's: weight
  ``kaiming_uniform_(a=sqrt(5))`` = U(+-1/sqrt(fan_in)), bias U(+-1/sqrt(fan_in)).
  ``he_normal`` is ``kaiming_normal_(nonlinearity='relu')``: N(0, 2/fan_in), *not*
  truncated (flax's ``he_normal`` is truncated).
* ``BatchNorm2d``: ``nn.BatchNorm2d``. ``momentum`` uses torch's convention
  (weight of the new batch statistic; flax uses 1 - that). Training normalises with
  the biased batch variance and updates ``var`` with the unbiased one, as torch
  does; ``num_batches_tracked`` is kept so checkpoints round-trip exactly.

Convolutions avoid the forms XLA's CPU backend runs as a naive loop: input-dilated
and window-reversed convolutions (an Attentive GAN step spent 80% of its time
there). ``conv_transpose`` is computed sub-pixel (one stride-1 convolution of the
undilated input for all ``stride**2`` output phases, then depth-to-space), and the
gradients of ``conv2d`` and ``ConvTranspose2d`` are written out as forward
convolutions (custom VJPs) instead of being left to autodiff. Values and gradients
equal the direct forms (tests/test_layers.py); the timings are in
docs/performance.md.

Precision: every layer keeps float32 parameters (``param_dtype``) and takes a compute
``dtype`` (None: that of its inputs and parameters, float32). ``conv2d`` and
``ConvTranspose2d`` cast their input and weights to it, as ``torch.autocast`` casts a
convolution's; ``BatchNorm2d`` normalises and keeps its statistics in float32 whatever
its input, and returns its input's dtype (torch's mixed-type CPU batch norm).

That path only pays on XLA's CPU backend: GPU and TPU compilers run input-dilated
and window-reversed convolutions natively (cuDNN, the MXU) and pick their own
algorithms for XLA's gradients. So ``on_cpu`` chooses it per lowering platform
(``lax.platform_dependent``: decided when the traced function is lowered for a
backend, only the chosen form is compiled); everywhere else the layers are
``lax.conv_general_dilated`` / the dilated transposed convolution with XLA's own
gradients.

float64 convolutions on CPU (the parity tests' gradient and training checks) take
another route: XLA's CPU backend has no library kernel for them and runs every float64
convolution as a naive loop (a 64->64 3x3 convolution of 8x40x40 took 22x as long
as in float32). ``conv_as_matmul`` computes them as shifted slices and one matrix
product, whose autodiff is slices and matrix products too (3x faster than the loop
in the same measurement).
"""
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from jaxrestore.models import initializers

NHWC = ("NHWC", "HWIO", "NHWC")

# kaiming_normal_(mode='fan_in', nonlinearity='relu'): N(0, 2 / fan_in), not truncated.
he_normal = initializers.variance_scaling(2.0, "fan_in", "normal")
# torch's default kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
torch_default_kernel = initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")


def torch_default_bias(fan_in: int):
  bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0

  def init(key, shape, dtype=jnp.float32):
    return initializers.uniform(key, shape, dtype, -bound, bound)

  return init


def conv2d(in_features: int, out_features: int, kernel_size: int = 3, *, stride: int = 1,
           padding: int | None = None, dilation: int = 1, use_bias: bool = True,
           kernel_init=torch_default_kernel, bias_init=None, rngs: nnx.Rngs, dtype=None,
           param_dtype=jnp.float32) -> nnx.Conv:
  """``nn.Conv2d(in, out, k, stride, padding, dilation, bias)``; padding defaults to 'same'.
  ``bias_init``: None for torch's default. ``dtype``: the compute dtype (input and weights
  are cast to it)."""
  if padding is None:
    padding = dilation * (kernel_size // 2)
  return Conv(
      in_features, out_features, (kernel_size, kernel_size), strides=stride,
      padding=((padding, padding), (padding, padding)), kernel_dilation=dilation,
      use_bias=use_bias, kernel_init=kernel_init,
      bias_init=bias_init or torch_default_bias(in_features * kernel_size * kernel_size),
      conv_general_dilated=conv_general_dilated, dtype=dtype, param_dtype=param_dtype,
      rngs=rngs)


def _shift_rows(a, lo: tuple[int, int], length: tuple[int, int]):
  """``a'[j] = a[j - lo]`` for ``j`` in ``[0, length)`` on both spatial axes, zeros outside."""
  for axis, (low, n) in enumerate(zip(lo, length), start=1):
    if low < 0:
      a, low = jax.lax.slice_in_dim(a, -low, a.shape[axis], axis=axis), 0
    pad = [(0, 0)] * 4
    pad[axis] = (low, max(0, n - low - a.shape[axis]))
    a = jax.lax.slice_in_dim(jnp.pad(a, pad), 0, n, axis=axis)
  return a


def _window_grad(a, b, stride: int, lo: tuple[int, int], k_hw: tuple[int, int]):
  """``out[k] = sum over n, i of a[n, i * stride + k - lo] (x) b[n, i]``: (kh, kw, a's
  channels, b's channels), the kernel gradient of a convolution, as one forward
  convolution (batch and features swapped; ``b`` dilated by ``stride`` is the window)."""
  ap = _shift_rows(a, lo, tuple((n - 1) * stride + k for n, k in zip(b.shape[1:3], k_hw)))
  out = jax.lax.conv_general_dilated(ap.transpose(3, 1, 2, 0), b.transpose(1, 2, 0, 3), (1, 1),
                                     "VALID", rhs_dilation=(stride, stride),
                                     dimension_numbers=NHWC)  # (a's, kh, kw, b's channels)
  return out.transpose(1, 2, 0, 3)


def conv_as_matmul(x, kernel, window_strides=(1, 1), padding=((0, 0), (0, 0)),
                   lhs_dilation=None, rhs_dilation=None):
  """``lax.conv_general_dilated`` (NHWC, HWIO, no groups, explicit padding, which may be
  negative) as the ``kh * kw`` shifted, strided slices of the padded (and input-dilated)
  ``x`` side by side, times the kernel as one matrix: the float64 route (module doc)."""
  kh, kw, cin, cout = kernel.shape
  (sh, sw), (dh, dw) = window_strides, rhs_dilation or (1, 1)
  ih, iw = lhs_dilation or (1, 1)
  zero = jnp.zeros((), x.dtype)
  x = jax.lax.pad(x, zero, ((0, 0, 0), (*padding[0], ih - 1), (*padding[1], iw - 1), (0, 0, 0)))
  n, h, w, _ = x.shape
  oh, ow = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
  taps = [jax.lax.slice(x, (0, i * dh, j * dw, 0),
                        (n, i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1, cin),
                        (1, sh, sw, 1))
          for i in range(kh) for j in range(kw)]
  return jnp.concatenate(taps, axis=-1) @ kernel.reshape(kh * kw * cin, cout)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def conv_transpose(x, kernel, stride: int, lo: tuple[int, int], out_hw: tuple[int, int]):
  """``y[o] = sum over i, k with o + lo = i * stride + k of x[i] kernel[k]`` (per spatial axis).

  ``kernel`` is (kh, kw, in, out); rows ``o`` in ``[0, out_hw)``. With ``lo =
  padding`` this is ``nn.ConvTranspose2d`` (dilation 1); with the padding of a
  convolution and its input size, that convolution's input gradient. With a stride,
  it is computed sub-pixel: output phase ``r = (o + lo) % stride`` only meets the
  taps ``k = r + stride * m``, so one stride-1 convolution with the ``stride**2``
  sub-kernels side by side gives every phase, interleaved by depth-to-space.
  """
  kh, kw, cin, cout = kernel.shape
  if stride == 1:  # y[o] = sum_k x[o + lo - k] kernel[k]: the flipped kernel, exactly out_hw
    xs = _shift_rows(x, (kh - 1 - lo[0], kw - 1 - lo[1]), (out_hw[0] + kh - 1, out_hw[1] + kw - 1))
    return jax.lax.conv_general_dilated(xs, kernel[::-1, ::-1], (1, 1), "VALID",
                                        dimension_numbers=NHWC)
  s = stride
  m_h, m_w = -(-kh // s), -(-kw // s)
  k = jnp.pad(kernel, ((0, m_h * s - kh), (0, m_w * s - kw), (0, 0), (0, 0)))
  sub = k.reshape(m_h, s, m_w, s, cin, cout).transpose(0, 2, 4, 1, 3, 5)  # (m, n, in, ry, rx, out)
  sub = sub[::-1, ::-1].reshape(m_h, m_w, cin, s * s * cout)
  z = jax.lax.conv_general_dilated(x, sub, (1, 1), ((m_h - 1, m_h - 1), (m_w - 1, m_w - 1)),
                                   dimension_numbers=NHWC)
  n, qh, qw, _ = z.shape
  full = z.reshape(n, qh, qw, s, s, cout).transpose(0, 1, 3, 2, 4, 5).reshape(n, qh * s, qw * s,
                                                                                cout)
  return _shift_rows(full, (-lo[0], -lo[1]), out_hw)


def _conv_transpose_fwd(x, kernel, stride, lo, out_hw):
  return conv_transpose(x, kernel, stride, lo, out_hw), (x, kernel)


def _conv_transpose_bwd(stride, lo, out_hw, res, g):
  """The gradients as forward convolutions: the convolution this is the adjoint of, and
  ``_window_grad`` (left to autodiff, XLA makes window-reversed convolutions of them)."""
  x, kernel = res
  kh, kw = kernel.shape[:2]
  gs = _shift_rows(g, lo, ((x.shape[1] - 1) * stride + kh, (x.shape[2] - 1) * stride + kw))
  dx = jax.lax.conv_general_dilated(gs, kernel.transpose(0, 1, 3, 2), (stride, stride), "VALID",
                                    dimension_numbers=NHWC)
  return dx, _window_grad(g, x, stride, lo, (kh, kw)).transpose(0, 1, 3, 2)


conv_transpose.defvjp(_conv_transpose_fwd, _conv_transpose_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _conv(x, kernel, stride: int, padding: tuple[tuple[int, int], tuple[int, int]],
          out_dtype=None):
  return jax.lax.conv_general_dilated(x, kernel, (stride, stride), padding, dimension_numbers=NHWC,
                                      preferred_element_type=out_dtype)


def _conv_fwd(x, kernel, stride, padding, out_dtype):
  return _conv(x, kernel, stride, padding, out_dtype), (x, kernel)


def _conv_bwd(stride, padding, out_dtype, res, g):
  x, kernel = res
  g = g.astype(x.dtype)  # a float32 cotangent of a bf16 conv (Conv): torch's bf16 grad_output
  lo = (padding[0][0], padding[1][0])
  dx = conv_transpose(g, kernel.transpose(0, 1, 3, 2), stride, lo, x.shape[1:3])
  return dx, _window_grad(x, g, stride, lo, kernel.shape[:2])


_conv.defvjp(_conv_fwd, _conv_bwd)


def on_cpu(cpu_form, other_form, *args):
  """``cpu_form(*args)`` when lowered for the CPU backend, ``other_form(*args)`` for any
  other (both must give the same values and shapes). Eagerly, the default backend
  decides."""
  return jax.lax.platform_dependent(*args, cpu=cpu_form, default=other_form)


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1,
                         preferred_element_type=None, **kwargs):
  """``lax.conv_general_dilated`` for ``nnx.Conv``. A 2-D NHWC convolution without groups
  and with explicit padding runs in float64 on CPU as ``conv_as_matmul``; in other dtypes,
  a plain one (same stride on both axes, no dilation) gets its gradients as forward
  convolutions (``conv_transpose``, ``_window_grad``) on CPU. Everything else goes to
  lax unchanged. ``preferred_element_type``: the output dtype (``Conv``'s float32 sums)."""
  simple = (len(window_strides) == 2 and not isinstance(padding, str)
            and feature_group_count == 1
            and all(v is None for v in kwargs.values())  # precision, out_sharding, ... unset
            and dimension_numbers == jax.lax.conv_dimension_numbers(lhs.shape, rhs.shape, NHWC))
  if simple and lhs.dtype == jnp.float64 and preferred_element_type is None:
    args = (window_strides, padding, lhs_dilation, rhs_dilation)
    return on_cpu(lambda x, k: conv_as_matmul(x, k, *args),
                  lambda x, k: jax.lax.conv_general_dilated(x, k, *args, dimension_numbers=NHWC),
                  lhs, rhs)
  plain = (simple and window_strides[0] == window_strides[1]
           and all(d is None or tuple(d) == (1, 1) for d in (lhs_dilation, rhs_dilation)))
  if plain:
    stride, pads = int(window_strides[0]), tuple(map(tuple, padding))
    out = preferred_element_type
    return on_cpu(lambda x, k: _conv(x, k, stride, pads, out),
                  lambda x, k: jax.lax.conv_general_dilated(x, k, (stride, stride), pads,
                                                            dimension_numbers=NHWC,
                                                            preferred_element_type=out),
                  lhs, rhs)
  return jax.lax.conv_general_dilated(
      lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
      dimension_numbers=dimension_numbers, feature_group_count=feature_group_count,
      preferred_element_type=preferred_element_type, **kwargs)


class Conv(nnx.Conv):
  """``nnx.Conv`` that, with a compute ``dtype``, adds the bias to the float32 sums and
  rounds once (``preferred_element_type=float32``, then a cast to ``dtype``), as torch's
  autocast convolution does. Its bias gradient is then summed in float32: a bias added in
  bf16 has its gradient summed in bf16 by XLA (13 times the error of a float32 sum over
  256 pixels), which made the GAN generator's bf16 gradients twice as far from float32
  as torch's. Without ``dtype`` it is ``nnx.Conv``."""

  def __init__(self, *args, dtype=None, **kwargs):
    super().__init__(*args, dtype=dtype,
                     preferred_element_type=None if dtype is None else jnp.float32, **kwargs)

  def __call__(self, x):
    y = super().__call__(x)
    return y if self.dtype is None else y.astype(self.dtype)


def _replace(variable: nnx.Variable, value):
  """``variable[...] = value`` (cast to the variable's dtype, as that assignment casts),
  without its cost under tracing: flax's indexed assignment compares the value's
  ``sharding``, and a tracer raises an AttributeError for it whose message walks the
  whole jaxpr traced so far. With 240 batch-norm updates in one DesnowNet gradient,
  that was 11 of the 56 s its float64 parity test took."""
  variable.set_value(value.astype(variable[...].dtype))


class BatchNorm2d(nnx.Module):
  """``torch.nn.BatchNorm2d`` over the last (channel) axis of NHWC inputs."""

  def __init__(self, num_features: int, *, eps: float = 1e-5, momentum: float = 0.1,
               scale_init: float = 1.0, use_running_average: bool = False):
    self.num_features = num_features
    self.eps = eps
    self.momentum = momentum
    self.use_running_average = use_running_average
    self.scale = nnx.Param(jnp.full((num_features,), scale_init, jnp.float32))
    self.bias = nnx.Param(jnp.zeros((num_features,), jnp.float32))
    self.mean = nnx.BatchStat(jnp.zeros((num_features,), jnp.float32))
    self.var = nnx.BatchStat(jnp.ones((num_features,), jnp.float32))
    self.num_batches_tracked = nnx.BatchStat(jnp.zeros((), jnp.int32))

  def __call__(self, x):
    out_dtype = x.dtype
    x = x.astype(jnp.promote_types(x.dtype, jnp.float32))  # bfloat16 -> float32, float64 stays
    if self.use_running_average:
      mean, var = self.mean[...], self.var[...]
    else:
      axes = tuple(range(x.ndim - 1))
      n = math.prod(x.shape[:-1])
      if n < 2:
        raise ValueError("BatchNorm2d in training mode needs more than one value per channel, "
                         f"got input of shape {x.shape}")
      mean = jnp.mean(x, axis=axes)
      var = jnp.mean(jnp.square(x - mean), axis=axes)
      m = self.momentum
      _replace(self.mean, (1 - m) * self.mean[...] + m * jax.lax.stop_gradient(mean))
      _replace(self.var, (1 - m) * self.var[...] + m * jax.lax.stop_gradient(var) * (n / (n - 1)))
      _replace(self.num_batches_tracked, self.num_batches_tracked[...] + 1)
    inv = jax.lax.rsqrt(var + self.eps)
    return ((x - mean) * (inv * self.scale[...]) + self.bias[...]).astype(out_dtype)


def sequential(modules, x):
  """Applies ``modules`` (a list of layers and functions) in order: ``nn.Sequential``'s
  forward for lists kept as lists, so that their keys stay ``name.{i}``."""
  for m in modules:
    x = m(x)
  return x


def upsample_nearest(x, scale: int = 2):
  """``nn.Upsample(scale_factor=scale, mode='nearest')`` for NHWC."""
  return jnp.repeat(jnp.repeat(x, scale, axis=1), scale, axis=2)


def _phase_taps(k: int, scale: int):
  """For a 'same' conv of odd kernel ``k`` over a nearest x``scale`` upsampled axis:
  output row ``scale * i + a`` reads tap ``t`` from input row ``i + e``, ``e = (a + t -
  k // 2) // scale``. Returns ``M`` (scale, n_e, k), 1 where phase ``a`` sends tap ``t``
  to offset ``e`` (indexed from ``lo``), and ``(lo, hi)``, the range of ``e``."""
  r = k // 2
  lo, hi = -r // scale, (scale - 1 + r) // scale
  m = np.zeros((scale, hi - lo + 1, k), np.float32)
  for a in range(scale):
    for t in range(k):
      m[a, (a + t - r) // scale - lo, t] = 1.0
  return m, (lo, hi)


def upsample_nearest_conv(x, kernel, scale: int = 2):
  """``conv(upsample_nearest(x, scale), kernel)`` with 'same' zero padding (odd kernel,
  HWIO, no bias), computed sub-pixel: the ``scale**2`` output phases of an upsampled
  input each see a few input rows only (``_phase_taps``: 3 for kernel 5 at scale 2),
  so the taps that read the same input pixel are summed into one kernel per phase,
  the phases side by side as one stride-1 convolution of ``x``, interleaved by
  depth-to-space. Kernel 5 at scale 2 does 9 multiply-adds per output pixel and
  channel pair instead of 25, and the upsampled image is never formed. Zero padding
  is exact: an upsampled row outside the image is an input row outside it. Values
  equal the direct form to float rounding (the summed taps); gradients follow by
  autodiff (tests/test_layers.py)."""
  k, kw, cin, cout = kernel.shape
  if k != kw or k % 2 == 0:
    raise ValueError(f"upsample_nearest_conv takes an odd square kernel, got {kernel.shape}")
  m, (lo, hi) = _phase_taps(k, scale)
  n_e = hi - lo + 1
  m = m.astype(kernel.dtype)
  phased = jnp.einsum("aet,bfu,tuio->efioab", m, m, kernel).reshape(
      n_e, n_e, cin, cout * scale * scale)
  y = conv_general_dilated(x, phased, (1, 1), ((-lo, hi), (-lo, hi)),
                           dimension_numbers=jax.lax.conv_dimension_numbers(
                               x.shape, phased.shape, NHWC))
  n, h, w, _ = y.shape
  y = y.reshape(n, h, w, cout, scale, scale).transpose(0, 1, 4, 2, 5, 3)
  return y.reshape(n, h * scale, w * scale, cout)


def _pool_padding(padding: int):
  return ((0, 0), (padding, padding), (padding, padding), (0, 0))


def max_pool(x, window: int, stride: int | None = None, padding: int = 0):
  """``nn.MaxPool2d(window, stride, padding)`` for NHWC (floor mode, stride defaults to the
  window; the gradient goes to one maximum of a window, as torch's)."""
  stride = stride or window
  return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, window, window, 1),
                               (1, stride, stride, 1), _pool_padding(padding))


def avg_pool(x, window: int, stride: int | None = None, padding: int = 0,
             count_include_pad: bool = True):
  """``nn.AvgPool2d(window, stride, padding, count_include_pad=...)`` for NHWC (floor mode)."""
  stride = stride or window
  out_dtype = x.dtype
  x = x.astype(jnp.promote_types(x.dtype, jnp.float32))  # sums in float32, as torch's bf16 kernel
  window_sum = lambda v: jax.lax.reduce_window(  # noqa: E731
      v, 0.0, jax.lax.add, (1, window, window, 1), (1, stride, stride, 1), _pool_padding(padding))
  if count_include_pad or not padding:
    return (window_sum(x) / (window * window)).astype(out_dtype)
  return (window_sum(x) / window_sum(jnp.ones_like(x[..., :1]))).astype(out_dtype)


def max_pool2x2_with_indices(x):
  """``F.max_pool2d(x, 2, return_indices=True)`` for NHWC (floor mode).

  Indices are window-local (0..3, row-major in the 2x2 window); ties go to the
  first maximum as in torch's CPU kernel, and so does the gradient.
  """
  n, h, w, c = x.shape
  h2, w2 = h // 2, w // 2
  windows = x[:, :2 * h2, :2 * w2].reshape(n, h2, 2, w2, 2, c)
  windows = windows.transpose(0, 1, 3, 2, 4, 5).reshape(n, h2, w2, 4, c)
  idx = jnp.argmax(windows, axis=3)
  out = jnp.take_along_axis(windows, idx[:, :, :, None, :], axis=3)[:, :, :, 0, :]
  return out, idx


def max_unpool2x2(x, idx, output_hw: tuple[int, int]):
  """``F.max_unpool2d(x, idx, 2, output_size=output_hw)`` with indices from above."""
  n, h2, w2, c = x.shape
  hit = idx[:, :, :, None, :] == jnp.arange(4)[:, None]
  y = jnp.where(hit, x[:, :, :, None, :], jnp.zeros((), x.dtype))
  y = y.reshape(n, h2, w2, 2, 2, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, 2 * h2, 2 * w2, c)
  oh, ow = output_hw
  return jnp.pad(y, ((0, 0), (0, oh - 2 * h2), (0, ow - 2 * w2), (0, 0)))


class ConvTranspose2d(nnx.Module):
  """``nn.ConvTranspose2d(in, out, k, stride, padding, output_padding, dilation, bias)``.

  ``kernel`` is (kh, kw, in, out): torch's (in, out, kh, kw) weight transposed,
  not flipped. Without dilation it runs on CPU as ``conv_transpose`` (sub-pixel);
  with it, or on another backend, as the conv it is the adjoint of: the kernel
  flipped, padding ``dilation * (k - 1) - padding`` on each side plus
  ``output_padding`` at the bottom/right (the input dilated by ``stride``); in float64
  on CPU always that form, as ``conv_as_matmul``. Init is torch's, whose fan_in is
  ``out * kh * kw`` (torch reads it from ``weight.shape[1]``). ``dtype``: the compute
  dtype (input, kernel and bias are cast to it; None: no cast).
  """

  def __init__(self, in_features: int, out_features: int, kernel_size: int, *, stride: int = 1,
               padding: int = 0, output_padding: int = 0, dilation: int = 1,
               use_bias: bool = True, rngs: nnx.Rngs, dtype=None):
    if output_padding >= max(stride, dilation):
      raise ValueError("output_padding must be smaller than stride or dilation (as torch)")
    self.stride, self.padding, self.dilation = stride, padding, dilation
    self.output_padding = output_padding
    self.dtype = dtype
    fan_in = out_features * kernel_size * kernel_size
    shape = (kernel_size, kernel_size, in_features, out_features)
    self.kernel = nnx.Param(torch_default_bias(fan_in)(rngs.params(), shape))
    self.bias = (nnx.Param(torch_default_bias(fan_in)(rngs.params(), (out_features,)))
                 if use_bias else None)

  def _dilated(self, x, kernel, matmul: bool = False):
    lo = self.dilation * (kernel.shape[0] - 1) - self.padding
    args = (x, kernel[::-1, ::-1], (1, 1), [(lo, lo + self.output_padding)] * 2,
            (self.stride,) * 2, (self.dilation,) * 2)
    if matmul:
      return conv_as_matmul(*args)
    return jax.lax.conv_general_dilated(*args, dimension_numbers=NHWC)

  def __call__(self, x):
    kernel = self.kernel[...]
    bias = None if self.bias is None else self.bias[...]
    if self.dtype is not None:
      x, kernel = x.astype(self.dtype), kernel.astype(self.dtype)
      bias = None if bias is None else bias.astype(self.dtype)
    k = kernel.shape[0]
    if x.dtype == jnp.float64:
      y = on_cpu(functools.partial(self._dilated, matmul=True), self._dilated, x, kernel)
    elif self.dilation == 1:
      out_hw = tuple((d - 1) * self.stride - 2 * self.padding + k + self.output_padding
                     for d in x.shape[1:3])
      sub_pixel = lambda x, w: conv_transpose(  # noqa: E731
          x, w, self.stride, (self.padding, self.padding), out_hw)
      y = on_cpu(sub_pixel, self._dilated, x, kernel)
    else:
      y = self._dilated(x, kernel)
    if bias is None:
      return y
    # the bias added in float32, so that its gradient is summed in float32 (see Conv)
    return (y.astype(jnp.promote_types(y.dtype, jnp.float32)) + bias).astype(y.dtype)


class PReLU(nnx.Module):
  """``nn.PReLU(num_parameters)``: one slope per channel (last axis), init 0.25.

  At ``x = 0`` the gradient is the slope, as torch's (``x > 0`` takes the identity):
  a zero-initialised head feeds exact zeros, so the tie decides its first steps.
  """

  def __init__(self, num_parameters: int = 1, init: float = 0.25):
    self.weight = nnx.Param(jnp.full((num_parameters,), init, jnp.float32))

  def __call__(self, x):
    return jnp.where(x > 0, x, self.weight[...].astype(x.dtype) * x)  # autocast: prelu in bf16


def clamp(x, lo: float, hi: float):
  """``torch.clamp``: ``jnp.clip``'s value, and torch's gradient at the bounds (1, where
  ``jnp.clip`` gives 0.5). Images hold exact 0s and 1s, so the bounds are hit."""
  return jnp.where(x < lo, lo, jnp.where(x > hi, hi, x))
