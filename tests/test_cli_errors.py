"""What a user sees when something is wrong, and when all is well.

Every CLI, run as a user would (a subprocess), refuses a corpus of bad inputs with
one line ``error: ...`` naming the file (exit 1; 2 for a usage error) and no
traceback; ``--verbose`` brings the traceback back, and a bug always shows it. A
short training run's console holds only the bar, the step and eval lines and the
result; the library log lines are in the workdir's train.log.
"""
import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from absl import app
from absl.testing import flagsaver
from PIL import Image

from jaxrestore import cli, errors, porting
from jaxrestore.data import datasets, images

REPO = Path(__file__).resolve().parents[1]


def _cli(script: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
  quiet = {k: v for k, v in os.environ.items() if k != "JAXRESTORE_VERBOSE"}
  return subprocess.run([sys.executable, str(REPO / "scripts" / script), *args],
                        capture_output=True, text=True, timeout=600, env={**quiet, **(env or {})})


def _lines(text: str) -> list[str]:
  """The non-empty lines of a console stream; a progress bar redraws after a \\r."""
  return [line.strip() for line in re.split(r"[\r\n]", text) if line.strip()]


def _is_bar(line: str) -> bool:
  return re.match(r"^\w[\w ]*: +\d+%\|", line) is not None


def _error_lines(out: subprocess.CompletedProcess, exit_code: int) -> list[str]:
  """The ``error:`` lines of a run that must fail with ``exit_code``; stderr holds nothing
  else but progress bars, and no traceback."""
  assert out.returncode == exit_code, out.stderr[-3000:]
  assert "Traceback" not in out.stderr, out.stderr[-3000:]
  lines = _lines(out.stderr)
  assert all(line.startswith("error: ") or _is_bar(line) for line in lines), lines
  return [line for line in lines if line.startswith("error: ")]


def _one_error(out: subprocess.CompletedProcess, *names, exit_code: int = 1) -> str:
  """The single ``error:`` line of a failed run, which names every one of ``names``."""
  found = _error_lines(out, exit_code)
  assert len(found) == 1, found
  for name in names:
    assert str(name) in found[0], found[0]
  return found[0]


# --- The bad-input corpus ---------------------------------------------------------------------


def _png_bits(path: Path, width: int, height: int) -> Path:
  """A valid 1-bit PNG of ``width`` x ``height`` black pixels: a few kB on disk for any
  size (a decompression bomb when it is large)."""
  def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
  rows = bytes(height * (1 + (width + 7) // 8))  # filter byte + packed bits, per row
  path.write_bytes(b"\x89PNG\r\n\x1a\n"
                   + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                   + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
  return path


def _gray(seed: int, hw=(40, 52)) -> np.ndarray:
  return np.random.RandomState(seed).randint(0, 255, hw, np.uint8)


BAD_IMAGES = ("text.png", "empty.png", "truncated.png", "bomb.png", "oversized.png", "rgb.png")


@pytest.fixture
def bad_images(tmp_path):
  """A folder of one good gray image and every kind of unreadable one."""
  d = tmp_path / "photos"
  d.mkdir()
  Image.fromarray(_gray(0)).save(d / "good.png")
  (d / "text.png").write_text("a text file renamed .png\n")
  (d / "empty.png").write_bytes(b"")
  png = io.BytesIO()
  Image.fromarray(_gray(1, (64, 64))).save(png, "PNG")
  (d / "truncated.png").write_bytes(png.getvalue()[:len(png.getvalue()) // 2])
  limit = Image.MAX_IMAGE_PIXELS
  side = int((2 * limit) ** 0.5) + 100  # over twice the limit: Pillow itself refuses
  _png_bits(d / "bomb.png", side, side)
  side = int(limit ** 0.5) + 100  # over the limit, under twice it: Pillow only warns
  _png_bits(d / "oversized.png", side, side)
  Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(d / "rgb.png")  # the model is gray
  return d


@pytest.fixture
def code_running_pickle(tmp_path):
  """(a .pth whose unpickling would create ``marker``, marker)."""
  marker = tmp_path / "unpickled_and_ran"

  class Payload:
    def __reduce__(self):
      return (open, (str(marker), "w"))  # harmless, but proof that code ran

  path = tmp_path / "model.pth"
  path.write_bytes(pickle.dumps({"model.0.weight": Payload()}, protocol=2))
  return path, marker


def test_a_dataset_record_of_a_bomb_is_refused_before_decoding(tmp_path):
  """The evaluate CLI and the input pipeline decode records (file bytes): the same limit."""
  side = int((2 * Image.MAX_IMAGE_PIXELS) ** 0.5) + 100
  data = _png_bits(tmp_path / "bomb.png", side, side).read_bytes()
  with pytest.raises(images.ImageError, match=r"^bomb.png: [\d,]+ pixels, over the limit"):
    datasets.decode({"name": "bomb.png", "clean": data})


# --- restore ----------------------------------------------------------------------------------


def test_restore_skips_unreadable_files_and_writes_the_others(tmp_path, model_dir, bad_images):
  # whole images: overlap=-1 (the model's receptive field) is not asked of a DnCNN then
  out = _cli("restore.py", f"--config={REPO / 'configs/restore.py'}",
             f"--config.input={bad_images}", f"--config.checkpoint={model_dir}",
             f"--config.output_dir={tmp_path / 'out'}", "--config.tile=0", "--config.overlap=-1")
  found = _error_lines(out, 1)
  *per_file, summary = found
  assert len(per_file) == len(BAD_IMAGES), found
  for name, line in zip(sorted(BAD_IMAGES), per_file):
    assert str(bad_images / name) in line and line.endswith("skipped"), line
  for name in ("bomb.png", "oversized.png"):  # our message, with the pixel count and the limit
    line = next(line for line in per_file if name in line)
    assert "pixels, over the limit of" in line and "decompression bomb" in line, line
  assert summary.startswith(f"error: {len(BAD_IMAGES)} of {len(BAD_IMAGES) + 1} image(s)")
  assert all(name in summary for name in BAD_IMAGES), summary
  assert [p.name for p in (tmp_path / "out").iterdir()] == ["good.png"]
  assert out.stdout.strip() == f"wrote 1 image(s) to {tmp_path / 'out'}"


# --- evaluate ---------------------------------------------------------------------------------


def test_evaluate_refuses_a_pickle_that_would_run_code(tmp_path, code_running_pickle):
  path, marker = code_running_pickle
  out = _cli("evaluate.py", f"--config={REPO / 'configs/evaluate_kair_dncnn25.py'}",
             f"--config.checkpoint={path}", "--config.model=dncnn",
             f"--config.output_dir={tmp_path / 'ev'}")
  assert "refused to load" in _one_error(out, path)
  assert not marker.exists()


def test_evaluate_names_a_missing_folder(tmp_path, model_dir):
  missing = tmp_path / "no_such_folder"
  out = _cli("evaluate.py", f"--config={REPO / 'configs/evaluate_kair_dncnn25.py'}",
             f"--config.checkpoint={model_dir}", f"--config.data_dir={missing}",
             f"--config.output_dir={tmp_path / 'ev'}")
  _one_error(out, missing)


# --- port -------------------------------------------------------------------------------------


def test_port_names_a_checkpoint_of_another_model(tmp_path, model_dir):
  weights = porting.convert(model_dir, tmp_path / "dncnn_depth4.safetensors")
  out = _cli("port.py", f"--config={REPO / 'configs/port.py'}", f"--config.src={weights}",
             f"--config.dst={tmp_path / 'ported'}", "--config.model=dncnn",
             "--config.model_kwargs={'depth': 6, 'features': 8}")
  assert "does not match" in _one_error(out, weights)
  assert not (tmp_path / "ported").exists()


def test_verbose_shows_the_traceback(tmp_path, code_running_pickle):
  path, marker = code_running_pickle
  out = _cli("port.py", f"--config={REPO / 'configs/port.py'}", f"--config.src={path}",
             f"--config.dst={tmp_path / 'ported'}", "--config.model=dncnn",
             env={"JAXRESTORE_VERBOSE": "1"})
  assert out.returncode == 1
  assert "Traceback" in out.stderr and "CheckpointError" in out.stderr
  assert str(path) in out.stderr and not marker.exists()


# --- train and sweep --------------------------------------------------------------------------


def _train(workdir, cache, *extra):
  return _cli("train.py", f"--config={REPO / 'configs/smoke.py'}", f"--workdir={workdir}",
              f"--config.data.cache_dir={cache}", "--config.model_kwargs.depth=2",
              "--config.model_kwargs.features=8", "--config.data.batch_size=4",
              "--config.data.crop=32", "--config.eval.max_images=1", *extra)


def test_train_refuses_a_workdir_of_another_model(tmp_path, data_cache):
  workdir = tmp_path / "run"
  workdir.mkdir()
  other = json.dumps({"model": "n2n_unet", "model_kwargs": {}, "data": {"channels": 1}})
  (workdir / "config.json").write_text(other)
  assert "different model" in _one_error(_train(workdir, data_cache), workdir)
  assert (workdir / "config.json").read_text() == other


def test_train_refuses_a_bad_config_value(tmp_path, data_cache):
  out = _train(tmp_path / "run", data_cache, "--config.optimizer.name=nope")
  assert "unknown optimizer 'nope'" in _one_error(out)


def test_sweep_refuses_a_bad_config_value(tmp_path):
  out = _cli("sweep.py", f"--config={REPO / 'configs/sweep_course_net_b.py'}",
             f"--workdir={tmp_path / 'sweep'}", "--config.optimizer.name=adam")
  assert "optimizer.name='sgd'" in _one_error(out)


# --- synthesis and bench ----------------------------------------------------------------------


def test_synth_snow_names_a_missing_folder(tmp_path):
  missing = tmp_path / "no_such_folder"
  out = _cli("synth_snow.py", f"--config={REPO / 'configs/synth_snow.py'}",
             f"--config.train={missing}", f"--config.out={tmp_path / 'snow'}")
  _one_error(out, missing)


def test_synth_raindrop_names_an_unreadable_image(tmp_path):
  folder = tmp_path / "photos"
  folder.mkdir()
  (folder / "text.png").write_text("a text file renamed .png\n")
  out = _cli("synth_raindrop.py", f"--config={REPO / 'configs/synth_raindrop.py'}",
             f"--config.train={folder}", f"--config.out={tmp_path / 'rain'}")
  _one_error(out, folder / "text.png")


def test_bench_usage_error_is_one_line_with_exit_code_2():
  out = _cli("bench.py", f"--config={REPO / 'configs/bench.py'}", "extra_argument")
  assert "unexpected arguments" in _one_error(out, "extra_argument", exit_code=2)


# --- The runner, in this process --------------------------------------------------------------


def _run_in_process(main, *argv):
  with flagsaver.flagsaver():
    cli.run(main, argv=["prog", *argv])


def _raise(exc):
  def main(argv):
    del argv
    raise exc
  return main


@pytest.mark.parametrize("exc, exit_code", [
    (errors.ConfigError("unknown model 'nope'"), 1),
    (errors.NotFoundError("/data/x: no finished\ncheckpoint"), 1),
    (app.UsageError("unexpected arguments: ['x']"), 2)])
def test_runner_prints_user_errors_as_one_line(capsys, monkeypatch, exc, exit_code):
  monkeypatch.delenv("JAXRESTORE_VERBOSE", raising=False)
  with pytest.raises(SystemExit) as stop:
    _run_in_process(_raise(exc))
  assert stop.value.code == exit_code
  assert capsys.readouterr().err == "error: " + " ".join(str(exc).split()) + "\n"


@pytest.mark.parametrize("arg, names", [("--no_such_flag=1", "no_such_flag"),
                                        ("--config=/no/such/config.py:arg", "/no/such/config.py")])
def test_runner_usage_error_for_a_bad_flag(capsys, arg, names):
  with pytest.raises(SystemExit) as stop:
    _run_in_process(_raise(RuntimeError("not reached")), arg)
  assert stop.value.code == 2
  err = capsys.readouterr().err
  assert err.startswith("error: ") and names in err and err.count("\n") == 1


def test_runner_lets_a_bug_and_a_verbose_user_error_through(monkeypatch):
  monkeypatch.delenv("JAXRESTORE_VERBOSE", raising=False)
  with pytest.raises(RuntimeError, match="a bug"):
    _run_in_process(_raise(RuntimeError("a bug")))
  with pytest.raises(errors.ConfigError):
    _run_in_process(_raise(errors.ConfigError("bad value")), "--verbose")
  monkeypatch.setenv("JAXRESTORE_VERBOSE", "1")
  with pytest.raises(errors.ConfigError):
    _run_in_process(_raise(errors.ConfigError("bad value")))


# --- A quiet console --------------------------------------------------------------------------


def test_training_console_shows_progress_and_results_only(tmp_path):
  """A fresh data cache, so that TFDS's preparation output is covered too, and a data
  worker process, as the DnCNN-17 recipe has (its shared memory left nothing to warn of)."""
  workdir = tmp_path / "run"
  out = _train(workdir, tmp_path / "cache", "--config.num_steps=20", "--config.log_every=10",
               "--config.eval_every=20", "--config.checkpoint_every=20",
               "--config.data.num_workers=1")
  assert out.returncode == 0, out.stderr[-3000:]
  expected = ("step 10/20 loss ", "step 20/20 loss ", "eval step 20: psnr ", "final eval: psnr=")
  lines = out.stdout.splitlines()
  assert len(lines) == len(expected), lines
  assert all(line.startswith(start) for line, start in zip(lines, expected)), lines
  assert all(_is_bar(line) for line in _lines(out.stderr)), _lines(out.stderr)
  log = (workdir / "train.log").read_text()
  for library_line in ("Unable to initialize backend", "checkpoint_manager.py",
                       "Downloading and preparing dataset"):
    assert library_line in log


def test_warnings_a_user_cannot_act_on_go_to_the_log_file_only(tmp_path):
  """TFDS warns 'Using custom data configuration' whenever a snow100k or raindrop dataset
  is built: logged at INFO in the file; a real warning still reaches the console."""
  code = ("import sys\nfrom absl import app, logging\nfrom jaxrestore import cli\n"
          "def main(argv):\n  cli.log_to_file(sys.argv[1])\n"
          "  logging.warning('Using custom data configuration: %s', 'cfg')\n"
          "  logging.warning('a real warning')\napp.run(main)\n")
  log = tmp_path / "run.log"
  out = subprocess.run([sys.executable, "-c", code, str(log)], capture_output=True, text=True,
                       timeout=120)
  assert out.returncode == 0, out.stderr
  assert "a real warning" in out.stderr and "custom data configuration" not in out.stderr
  text = log.read_text()
  assert re.search(r"^I.*Using custom data configuration: cfg$", text, re.M), text
  assert re.search(r"^W.*a real warning$", text, re.M), text
