"""DesnowNet through the shared trainer and the evaluation CLI, on synthesised snow."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jaxrestore import train
from recipes import load_config

ROOT = Path(__file__).resolve().parents[1]


def _tiny(data_cache):
  c = load_config("desnownet.py")
  c.num_epochs = 0  # the recipe counts epochs (50 of the data: ~75 steps); the test takes 2 steps
  c.model_kwargs.width_factor = 32
  c.model_kwargs.blocks = (0, 0, 0)
  c.model_kwargs.gamma = 1
  c.model_kwargs.pyramid_channels = 4
  c.model_kwargs.pool = "pool"
  c.model_kwargs.use_bn = False
  c.data.cache_dir = str(data_cache)
  c.data.train = {"kind": "synthetic_snow", "max_size": 48, "seed": 0}
  c.data.val = {"kind": "synthetic_snow", "max_size": 48, "seed": 0}
  c.data.crop = 64  # larger than the 48-pixel images: padded (symmetric), not refused
  c.data.batch_size = 2
  c.num_steps = 2
  c.log_every = 1
  c.eval_every = 2
  c.checkpoint_every = 2
  c.eval.max_images = 1
  c.eval.num_grids = 1
  return c


@pytest.mark.slow
def test_desnow_training_and_evaluation(tmp_path, data_cache):
  workdir = tmp_path / "run"
  _, summary = train.train_and_evaluate(_tiny(data_cache), workdir)
  lines = [json.loads(s) for s in (workdir / "metrics.jsonl").read_text().splitlines()]
  train_keys = set(lines[0])
  assert {"train/loss", "train/loss_y_hat", "train/loss_y_prime", "train/loss_z",
          "train/psnr"} <= train_keys
  assert np.isfinite(summary["psnr"]) and 15 < summary["psnr_input"] < 40
  grid = np.asarray(Image.open(next((workdir / "images").glob("*.png"))))
  assert grid.shape[1] > 3.5 * grid.shape[0]  # snowy | output | mask | clean

  out = tmp_path / "eval"
  snow_root = data_cache / "synthetic_snow" / "skimage_48_0"
  proc = subprocess.run(
      [sys.executable, "scripts/evaluate.py", "--config=configs/evaluate_desnownet.py",
       f"--config.checkpoint={workdir}", f"--config.data_dir={snow_root}",
       f"--config.cache_dir={data_cache}", f"--config.output_dir={out}"],
      cwd=ROOT, capture_output=True, text=True, timeout=900)
  assert proc.returncode == 0, proc.stderr[-3000:]
  for split in ("test_s", "test_m", "test_l"):
    assert f"{split}: mean_psnr_input=" in proc.stdout
    assert (out / f"per_image_{split}.csv").exists()
    assert list((out / "grids" / split).glob("*.png"))
