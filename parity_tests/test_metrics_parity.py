"""jaxrestore.metrics vs torch_ref.metrics on the same images."""
import numpy as np
import pytest
import skimage.data
import torch

from jaxrestore import metrics as jm
from parity_tests.helpers import nhwc_to_nchw
from torch_ref import metrics as tm


@pytest.fixture
def pair():
  x = (skimage.data.astronaut()[None, :64, :48] / 255.0).astype(np.float32)
  y = np.clip(x + np.random.RandomState(0).normal(0, 0.1, x.shape), 0, 1).astype(np.float32)
  return x, y


def test_psnr_ssim_y_ece285(pair):
  x, y = pair
  xt, yt = torch.from_numpy(nhwc_to_nchw(x)), torch.from_numpy(nhwc_to_nchw(y))
  np.testing.assert_allclose(np.asarray(jm.psnr(y, x)), tm.psnr(yt, xt).numpy(), atol=1e-4)
  np.testing.assert_allclose(np.asarray(jm.ssim(y, x)), tm.ssim(yt, xt).numpy(), atol=1e-5)
  np.testing.assert_allclose(nhwc_to_nchw(jm.rgb_to_y(x)), tm.rgb_to_y(xt).numpy(), atol=1e-6)
  np.testing.assert_allclose(np.asarray(jm.psnr_ece285(2 * y - 1, 2 * x - 1)),
                             tm.psnr_ece285(2 * yt - 1, 2 * xt - 1).numpy(), atol=1e-4)
  np.testing.assert_array_equal(jm.to_uint8(y), tm.to_uint8(y))
