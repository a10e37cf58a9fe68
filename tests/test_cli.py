"""The thin CLIs, run as a user would (subprocesses), on small local data."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from jaxrestore import checkpoints, evaluate, porting, tiling
from jaxrestore.data import images

REPO = Path(__file__).resolve().parents[1]


def _run(script, *args):
  out = subprocess.run([sys.executable, str(REPO / "scripts" / script), *args],
                       capture_output=True, text=True, timeout=600)
  assert out.returncode == 0, out.stderr[-3000:]
  return out.stdout


@pytest.fixture
def gray_folder(tmp_path):
  d = tmp_path / "imgs"
  d.mkdir()
  for i, hw in enumerate([(40, 52), (70, 33)]):
    Image.fromarray(np.random.RandomState(i).randint(0, 255, hw, np.uint8)).save(d / f"{i}.png")
  return d


def test_port_both_ways(tmp_path, model_dir):
  pth = tmp_path / "m.pth"
  _run("port.py", f"--config={REPO / 'configs/port.py'}", f"--config.src={model_dir}",
       f"--config.dst={pth}")
  sd = torch.load(pth, weights_only=True)
  assert "model.0.weight" in sd
  back = tmp_path / "back"
  _run("port.py", f"--config={REPO / 'configs/port.py'}", f"--config.src={pth}",
       f"--config.dst={back}", "--config.model=dncnn",
       "--config.model_kwargs={'depth': 4, 'features': 8}")
  again = porting.to_torch_state_dict(checkpoints.load_model(back)[0])
  assert all(torch.equal(again[k], sd[k]) for k in sd)


def test_evaluate_writes_csv_grids_and_mean(tmp_path, model_dir, gray_folder):
  out = _run("evaluate.py", f"--config={REPO / 'configs/evaluate_kair_dncnn25.py'}",
             f"--config.checkpoint={model_dir}", f"--config.data_dir={gray_folder}",
             f"--config.output_dir={tmp_path / 'ev'}")
  assert "mean_psnr=" in out.splitlines()[-1]
  rows = (tmp_path / "ev" / "per_image.csv").read_text().splitlines()
  assert rows[0].startswith("name,height,width") and len(rows) == 3
  assert sorted(p.name for p in (tmp_path / "ev" / "grids").iterdir()) == [
      "0.png", "1.png"]


def test_restore_folder_tiled(tmp_path, model_dir, gray_folder):
  """Tiles of 16 overlapping by 12, over twice the receptive-field radius of the 4-conv
  DnCNN (4 pixels), give the whole-image output; with no overlap the seams show, and
  the CLI's output has them too: it did tile. Outputs agree within one uint8 level
  (floats equal to about 1e-6 can round to neighbouring levels); seams differ by more."""
  apply = evaluate.make_model_apply(checkpoints.load_model(model_dir)[0])
  for overlap in (12, 0):
    _run("restore.py", f"--config={REPO / 'configs/restore.py'}",
         f"--config.input={gray_folder}", f"--config.checkpoint={model_dir}",
         f"--config.output_dir={tmp_path / f'out{overlap}'}", "--config.tile=16",
         f"--config.overlap={overlap}")
    assert sorted(p.name for p in (tmp_path / f"out{overlap}").iterdir()) == ["0.png", "1.png"]

  def stored(path):
    return images.read_uint8(path, 1).astype(int)

  for name in ("0.png", "1.png"):
    img = images.read_image(gray_folder / name, 1)
    for tile in (0, 16):  # as the CLI writes them: whole image, and tiles with no overlap
      images.write_image(tmp_path / f"ref{tile}" / name, tiling.tiled_apply(apply, img, tile, 0))
    whole, seams = stored(tmp_path / "ref0" / name), stored(tmp_path / "ref16" / name)
    assert np.abs(whole - seams).max() > 10
    for overlap, expected in ((12, whole), (0, seams)):
      out = stored(tmp_path / f"out{overlap}" / name)
      assert out.shape == expected.shape
      assert np.abs(out - expected).max() <= 1, (name, overlap)


def test_restore_refuses_to_overwrite_inputs(model_dir, gray_folder):
  out = subprocess.run([sys.executable, str(REPO / "scripts/restore.py"),
                        f"--config={REPO / 'configs/restore.py'}", f"--config.input={gray_folder}",
                        f"--config.checkpoint={model_dir}", f"--config.output_dir={gray_folder}"],
                       capture_output=True, text=True, timeout=600)
  assert out.returncode != 0 and "output_dir must differ" in out.stderr
