"""Image files: clear errors for anything wrong, exact values for what is right."""
import numpy as np
import pytest
from PIL import Image

from jaxrestore import metrics
from jaxrestore.data import images
from jaxrestore.data.noise import gaussian_noise_seeded


def _png(path, arr):
  Image.fromarray(arr).save(path)
  return path


def test_read_gray_and_rgb(tmp_path):
  g = _png(tmp_path / "g.png", np.arange(12, dtype=np.uint8).reshape(3, 4))
  c = _png(tmp_path / "c.png", np.full((3, 4, 3), 200, np.uint8))
  assert images.read_uint8(g).shape == (3, 4, 1)
  x = images.read_image(c, channels=3)
  assert x.dtype == np.float32 and x.shape == (3, 4, 3)
  assert x[0, 0, 0] == np.float32(200 / 255.0)


def test_gray_file_for_rgb_model_is_an_error(tmp_path):
  g = _png(tmp_path / "g.png", np.zeros((3, 4), np.uint8))
  with pytest.raises(images.ImageError, match="has 1 channel.*expected 3"):
    images.read_uint8(g, channels=3)


def test_corrupt_and_truncated_files(tmp_path):
  bad = tmp_path / "bad.png"
  bad.write_bytes(b"definitely not a png")
  with pytest.raises(images.ImageError, match="not a readable image"):
    images.read_uint8(bad)
  good = _png(tmp_path / "good.png", np.random.RandomState(0).randint(0, 255, (64, 64), np.uint8))
  trunc = tmp_path / "trunc.png"
  trunc.write_bytes(good.read_bytes()[:200])
  with pytest.raises(images.ImageError, match="not a readable image"):
    images.read_uint8(trunc)


def test_missing_and_empty(tmp_path):
  with pytest.raises(images.ImageError, match="image not found"):
    images.read_uint8(tmp_path / "nope.png")
  with pytest.raises(images.ImageError, match="image folder not found"):
    images.list_images(tmp_path / "nope")
  (tmp_path / "readme.txt").write_text("x")
  with pytest.raises(images.ImageError, match="no images"):
    images.list_images(tmp_path)


def test_seeded_noise_is_the_reference_protocol():
  img = np.random.RandomState(1).rand(5, 7, 1).astype(np.float32)
  np.random.seed(0)
  expected = img[:, :, 0].copy()
  expected += np.random.normal(0, 25 / 255.0, expected.shape)  # KAIR: 2-D gray, in place
  np.testing.assert_array_equal(gaussian_noise_seeded(img, 25.0, 0)[:, :, 0], expected)


def test_grid_and_write(tmp_path):
  a = np.zeros((4, 5, 1), np.uint8)
  b = np.full((4, 6, 3), 255, np.uint8)
  g = images.grid(a, b)
  assert g.shape == (4, 5 + 4 + 6, 3)
  images.write_image(tmp_path / "g.png", g)
  assert images.read_uint8(tmp_path / "g.png").shape == (4, 15, 3)


def test_written_float_image_reads_back_as_the_metrics_cast(tmp_path):
  """The file holds ``metrics.to_uint8`` of the output (float32, as KAIR), so its PSNR is
  the reported one. These values round differently when x255 is taken in float64."""
  out = np.array([0.38627452, 0.5862745, 0.29215688, 0.70392156, -0.2, 1.3], np.float32)
  images.write_image(tmp_path / "o.png", out.reshape(2, 3, 1))
  np.testing.assert_array_equal(images.read_uint8(tmp_path / "o.png").ravel(),
                                [98, 150, 74, 180, 0, 255])
  np.testing.assert_array_equal(images.read_uint8(tmp_path / "o.png").ravel(),
                                metrics.to_uint8(out))


def test_center_crop():
  img = np.arange(7 * 5).reshape(7, 5)
  np.testing.assert_array_equal(images.center_crop(img, 3), img[2:5, 1:4])
  np.testing.assert_array_equal(images.center_crop(img, 6), img[0:6, :])  # short side kept
