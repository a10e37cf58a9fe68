"""The Attentive GAN through the shared trainer: D and G states checkpointed and resumed
together, separate metrics, evaluation and restore CLIs on synthesised drops."""
import json
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from jaxrestore import tasks, train
from jaxrestore.losses import derain as derain_losses
from jaxrestore.tasks import base
from recipes import load_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny(data_cache):
  c = load_config("attentive_gan.py")
  c.model_kwargs.iterations = 1
  c.data.cache_dir = str(data_cache)
  c.data.train = {"kind": "synthetic_raindrop", "max_size": 48, "seed": 0}
  c.data.val = {"kind": "synthetic_raindrop", "max_size": 48, "seed": 0}
  c.data.crop = 16
  c.data.batch_size = 2
  c.num_steps = 4
  c.log_every = 1
  c.eval_every = 4
  c.checkpoint_every = 2
  c.eval.max_images = 1
  c.eval.num_grids = 1
  return c


def test_the_attention_only_phase_trains_the_attention_maps_alone(tiny):
  tiny.gan.attention_only = True
  tiny.model_kwargs.iterations = 2  # L_ATT weighs the maps by theta^(N - t)
  setup = tasks.get("derain").make_setup(tiny)
  clean = np.random.default_rng(0).random((2, 16, 16, 3), np.float32)
  rainy = clean.copy()
  rainy[:, 4:10, 6:12] = 1.0  # a drop: its pixels are the target's ones
  batch = {"input": jnp.asarray(rainy), "clean": jnp.asarray(clean)}
  g = base.create_model(tiny)  # the generator the setup starts from (same seed)
  target = derain_losses.attention_target(rainy, clean)
  want = derain_losses.attention_loss(g.attention_maps(batch["input"]), target)
  # the reference it is logged beside: the loss of maps that are the target's mean everywhere
  constant = derain_losses.attention_loss([jnp.full_like(target, jnp.mean(target))] * 2, target)
  before = jax.tree.map(np.array, setup.state)  # the step donates its state
  state, metrics = setup.train_step(setup.state, batch)
  assert float(metrics["loss"]) == pytest.approx(float(want), rel=1e-6)
  assert float(metrics["loss_att_constant"]) == pytest.approx(float(constant), rel=1e-6)
  assert int(state.step) == 1 and "d_loss" not in metrics
  attention = ("det_conv", "conv_i", "conv_f", "conv_g", "conv_o")
  changed = set()
  for (path, a), b in zip(jax.tree_util.tree_leaves_with_path(before.g.params),
                          jax.tree.leaves(state.g.params), strict=True):
    if not np.array_equal(a, np.asarray(b)):
      changed.add(str(path[0].key))
  assert changed and all(name.startswith(attention) for name in changed)
  assert {"det_conv0", "det_conv_mask", "conv_i"} <= changed
  for a, b in zip(jax.tree.leaves(before.d), jax.tree.leaves(state.d), strict=True):
    np.testing.assert_array_equal(a, np.asarray(b))  # the discriminator does not move


@pytest.mark.slow(seconds=50)
@pytest.mark.filterwarnings("ignore:config.gan.vgg is empty")
def test_gan_trains_resumes_and_evaluates(tiny, tmp_path, data_cache):
  straight, summary = train.train_and_evaluate(tiny, tmp_path / "straight")
  lines = [json.loads(s) for s in (tmp_path / "straight" / "metrics.jsonl").read_text()
           .splitlines()]
  assert {"train/loss", "train/loss_att", "train/loss_att_constant", "train/loss_ms",
          "train/loss_perceptual",
          "train/loss_gan", "train/d_loss", "train/d_loss_adv", "train/d_loss_map",
          "train/d_grad_norm", "train/psnr"} <= set(lines[0])
  assert int(straight.step) == int(straight.g.step) == int(straight.d.step) == 4
  assert np.isfinite(summary["psnr"]) and 10 < summary["psnr_input"] < 50
  grid = np.asarray(Image.open(next((tmp_path / "straight" / "images").glob("*.png"))))
  assert grid.shape[1] > 3.5 * grid.shape[0]  # rainy | attention | output | clean

  # stopped after the step-2 checkpoint, resumed to 4: both players bit-identical
  tiny.num_steps = 2
  train.train_and_evaluate(tiny, tmp_path / "resumed")
  tiny.num_steps = 4
  resumed, _ = train.train_and_evaluate(tiny, tmp_path / "resumed")
  for a, b in zip(jax.tree.leaves((straight.g, straight.d)), jax.tree.leaves((resumed.g,
                                                                                resumed.d))):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

  # the workdir loads as its generator, for evaluation and restoration
  model, name, _, step = tasks.load_trained_model(tmp_path / "straight")
  assert name == "attentive_gan_generator" and step == 4
  root = data_cache / "synthetic_raindrop" / "skimage_48_0"
  out = tmp_path / "eval"
  proc = subprocess.run(
      [sys.executable, "scripts/evaluate.py", "--config=configs/evaluate_attentive_gan.py",
       f"--config.checkpoint={tmp_path / 'straight'}", f"--config.data_dir={root}",
       f"--config.cache_dir={data_cache}", f"--config.output_dir={out}"],
      cwd=ROOT, capture_output=True, text=True, timeout=900)
  assert proc.returncode == 0, proc.stderr[-3000:]
  for split in ("test_a", "test_b"):
    assert f"{split}: mean_psnr_input=" in proc.stdout
    assert (out / f"per_image_{split}.csv").exists()
  proc = subprocess.run(
      [sys.executable, "scripts/restore.py", "--config=configs/restore_attentive_gan.py",
       f"--config.checkpoint={tmp_path / 'straight'}", f"--config.input={root / 'test_a' / 'data'}",
       f"--config.output_dir={tmp_path / 'restored'}"],
      cwd=ROOT, capture_output=True, text=True, timeout=900)
  assert proc.returncode == 0, proc.stderr[-3000:]
  names = sorted(p.name for p in (root / "test_a" / "data").iterdir())
  assert sorted(p.name for p in (tmp_path / "restored" / "attention").glob("*.png")) == [
      Path(n).stem + ".png" for n in names]
  assert len(list((tmp_path / "restored").glob("*.png"))) == len(names)
