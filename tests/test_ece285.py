"""The ECE285 course's settings: [-1, 1] images with 2 sigma/255 noise, its PSNR, its test crops."""
import io
import json

import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

import recipes
from jaxrestore import errors, evaluate, losses, metrics, tasks, train
from jaxrestore.data import images, pipeline
from jaxrestore.tasks import denoise

SIGMA = 30.0


class _Recorder:
  """An identity 'network' that records what it is given."""

  def __init__(self):
    self.seen = []

  def __call__(self, x):
    self.seen.append(np.asarray(x))
    return x


def _noisy_batch(seed=0):
  rng = np.random.default_rng(seed)
  clean = rng.uniform(0, 1, (4, 32, 32, 3)).astype(np.float32)
  noisy = pipeline.NoiseSpec(sigma=SIGMA).apply(clean, rng)  # what the pipeline feeds
  return {"input": jnp.asarray(noisy), "target": jnp.asarray(clean)}, clean


def test_network_sees_minus_one_one_with_noise_std_2_sigma_over_255():
  batch, clean = _noisy_batch()
  net = _Recorder()
  loss, m = denoise.denoise_loss(losses.mse, "minus_one_one")(net, batch, None)
  seen = net.seen[0]
  noise = seen - (2 * clean - 1)
  assert float(np.std(noise)) == pytest.approx(2 * SIGMA / 255, rel=0.03)
  assert (2 * clean - 1).min() < -0.99 and (2 * clean - 1).max() > 0.99
  # the loss is taken on [-1, 1]: 4x the [0, 1] MSE of the same output
  assert float(loss) == pytest.approx(float(np.mean(noise ** 2)), rel=1e-5)
  # the course's PSNR of the mini-batch: 10 log10(4 n / ||y - d||^2) over all of it
  assert float(m["psnr_ece285"]) == pytest.approx(
      10 * np.log10(4 * noise.size / np.sum(noise.astype(np.float64) ** 2)), abs=1e-4)
  assert float(m["psnr_ece285"]) == pytest.approx(20 * np.log10(255 / SIGMA), abs=0.1)
  # [0, 1]: the network sees the batch as it is, and no course PSNR is logged
  net = _Recorder()
  _, m = denoise.denoise_loss(losses.mse)(net, batch, None)
  np.testing.assert_array_equal(net.seen[0], batch["input"])
  assert "psnr_ece285" not in m
  with pytest.raises(errors.ConfigError, match="value_range"):
    denoise.denoise_loss(losses.mse, "minus_one_to_one")


def test_psnr_ece285_batch_is_over_the_whole_mini_batch():
  y = jnp.zeros((2, 4, 4, 3))
  d = y.at[0].set(0.5)  # one image off by 0.5, the other exact
  expected = 10 * np.log10(4 * 96 / (48 * 0.25))
  assert float(metrics.psnr_ece285_batch(y, d)) == pytest.approx(expected, rel=1e-6)
  assert np.isinf(np.asarray(metrics.psnr_ece285(y, d))[1])  # per image: the other is exact


def test_in_value_range_maps_input_and_output():
  seen = []
  apply = lambda x: seen.append(np.asarray(x)) or {"out": x * 0.5}  # noqa: E731
  x = jnp.linspace(0, 1, 6).reshape(1, 1, 6, 1)
  y = evaluate.in_value_range(apply, "minus_one_one")(x)
  np.testing.assert_allclose(seen[0], 2 * np.asarray(x) - 1, atol=1e-7)
  np.testing.assert_allclose(y["out"], (0.5 * (2 * np.asarray(x) - 1) + 1) / 2, atol=1e-7)
  assert evaluate.in_value_range(apply, "zero_one") is apply


def _record(name, a):
  buf = io.BytesIO()
  Image.fromarray(a).save(buf, format="PNG")
  return {"name": name.encode(), "clean": buf.getvalue()}


def test_random_crop_evaluation_with_fresh_noise():
  img = np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)
  opts = tasks.EvalOptions(channels=3, sigma=SIGMA, seed=0, value_range="minus_one_one",
                           random_crop=16)
  ident = lambda x: x  # noqa: E731
  a1, grid = tasks.get("denoise").evaluate_record(ident, _record("a.png", img), opts)
  a2, _ = tasks.get("denoise").evaluate_record(ident, _record("a.png", img), opts)
  b, _ = tasks.get("denoise").evaluate_record(ident, _record("b.png", img), opts)
  assert (a1.height, a1.width) == (16, 16) and grid.shape[0] == 16
  assert a1 == a2  # reproducible
  assert a1.psnr_input != b.psnr_input  # another image: another crop and noise draw
  crop, seed = denoise.random_crop(img, 16, 0, "a.png")
  assert any(np.array_equal(crop, img[t:t + 16, l:l + 16]) for t in range(25) for l in range(33))
  # identity output: the course's PSNR of the noisy crop on [-1, 1], ~ 20 log10(255 / sigma)
  assert a1.metrics["psnr_ece285"] == pytest.approx(20 * np.log10(255 / SIGMA), abs=0.5)
  whole, _ = tasks.get("denoise").evaluate_record(ident, _record("a.png", img),
                                                   tasks.EvalOptions(3, SIGMA, 0))
  assert (whole.height, whole.width) == (40, 48) and whole.metrics == {}
  with pytest.raises(images.ImageError, match="a.png: 40x48 is smaller than the 64x64"):
    denoise.random_crop(img, 64, 0, "a.png")


def test_csv_has_the_other_metrics(tmp_path):
  r = evaluate.ImageResult("x.png", 4, 4, 20.0, 30.0, 0.9, metrics={"psnr_ece285": 31.5})
  evaluate.write_csv(tmp_path / "m.csv", [r])
  head, row = (tmp_path / "m.csv").read_text().splitlines()
  assert head.endswith(",psnr_ece285") and row.endswith(",31.5")
  assert evaluate.mean_metrics([r, r]) == {"psnr_ece285": 31.5}


def test_ece285_recipes_follow_the_course():
  for variant in ("dncnn", "udncnn", "dudncnn"):
    c = recipes.load_config(f"ece285.py:{variant}")
    assert c.data.value_range == "minus_one_one" and not c.data.augment
    assert c.data.crop == 180 and c.eval.random_crop == 0


@pytest.mark.slow  # a short training run: the one test of the loop's logging of it
def test_training_logs_the_course_psnr(tiny_config, tmp_path):
  tiny_config.data.value_range = "minus_one_one"
  tiny_config.num_steps, tiny_config.eval_every, tiny_config.checkpoint_every = 2, 2, 2
  train.train_and_evaluate(tiny_config, tmp_path)
  lines = [json.loads(l) for l in (tmp_path / "metrics.jsonl").read_text().splitlines()]
  assert any("train/psnr_ece285" in l for l in lines)
  assert any("eval/psnr_ece285" in l and "eval/psnr" in l for l in lines)
