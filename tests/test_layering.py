"""Layering: the JAX core never imports torch or torch_ref; torch_ref never imports jaxrestore.

Checked on the source (imports written in our files), and in a process: tensorboardX,
a dependency, runs ``import torch`` when torch is installed, which
``jaxrestore/metric_writers.py`` keeps from happening.
"""
import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Only porting touches torch inside the package (lazily: an extra installs it); the
# benchmarks, which import both trees, live outside it in benchmarks/.
JAX_CORE = [p for p in (ROOT / "jaxrestore").rglob("*.py")
            if "porting" not in p.relative_to(ROOT / "jaxrestore").parts]


def _imported(path: Path) -> set[str]:
  names = set()
  for node in ast.walk(ast.parse(path.read_text())):
    if isinstance(node, ast.Import):
      names |= {a.name.split(".")[0] for a in node.names}
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
      names.add(node.module.split(".")[0])
  return names


@pytest.mark.parametrize("path", JAX_CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_jax_core_does_not_import_torch(path):
  assert not _imported(path) & {"torch", "torch_ref", "benchmarks"}


@pytest.mark.parametrize("path", sorted((ROOT / "torch_ref").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_torch_ref_does_not_import_jaxrestore(path):
  assert not _imported(path) & {"jaxrestore", "jax", "flax"}


_NO_TORCH = "import sys; sys.modules['torch'] = None  # any `import torch` now raises ImportError\n"


def _run_without_torch(code: str, *argv: str) -> subprocess.CompletedProcess:
  return subprocess.run([sys.executable, "-c", _NO_TORCH + code, *argv], capture_output=True,
                        text=True, timeout=600, cwd=ROOT)


def test_the_jax_core_imports_without_torch():
  """Every module but the CLIs (each defines ``--config``: one per process; the smoke run
  below covers the train CLI)."""
  modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in JAX_CORE
                   if p.name != "__init__.py" and "cli" not in p.parts) + ["jaxrestore.porting"]
  out = _run_without_torch("import importlib\nfor m in sys.argv[1:]: importlib.import_module(m)",
                           *modules)
  assert out.returncode == 0, out.stderr[-3000:]


def test_pth_files_without_torch_name_the_extra(tmp_path):
  (tmp_path / "w.pth").write_bytes(b"not read: torch is missing")
  out = _run_without_torch(
      "from jaxrestore import errors, porting\n"
      "try: porting.read_state_dict(sys.argv[1])\n"
      "except errors.UserError as e: print(e)\n", str(tmp_path / "w.pth"))
  assert "pip install 'jaxrestore[torch]'" in out.stdout, out.stderr[-3000:]


def test_smoke_training_runs_without_torch(tmp_path, data_cache):
  """``pip install -e .`` (no torch) trains: the smoke config, shortened, with torch blocked."""
  out = _run_without_torch(
      "import runpy; sys.argv = sys.argv[1:]\n"
      "runpy.run_path(sys.argv[0], run_name='__main__')",
      str(ROOT / "scripts" / "train.py"), f"--config={ROOT / 'configs' / 'smoke.py'}",
      f"--workdir={tmp_path / 'run'}", f"--config.data.cache_dir={data_cache}",
      "--config.model_kwargs.depth=3", "--config.model_kwargs.features=8",
      "--config.data.batch_size=4", "--config.data.crop=24", "--config.num_steps=4",
      "--config.log_every=2", "--config.eval_every=4", "--config.checkpoint_every=4",
      "--config.eval.max_images=1")
  assert out.returncode == 0, out.stderr[-3000:]
  assert "final eval: psnr=" in out.stdout
  assert (tmp_path / "run" / "checkpoints" / "4").is_dir()


def test_training_never_loads_an_installed_torch(tmp_path):
  """With torch installed (``[torch]``), the train CLI's modules and the metric writer
  (tensorboardX: scalars and an image) leave it unloaded, and it still imports after."""
  if importlib.util.find_spec("torch") is None:
    pytest.skip("torch is not installed: nothing could load it")
  code = ("import sys\nimport numpy as np\nimport jaxrestore.cli.train\n"
          "from jaxrestore.metric_writers import MetricWriter\n"
          "w = MetricWriter(sys.argv[1])\nw.write(1, {'loss': 0.5}, prefix='train/')\n"
          "w.write_image(1, 'grid', np.zeros((8, 8, 3), np.uint8))\nw.close()\n"
          "print('torch loaded:', 'torch' in sys.modules)\n"
          "import torch\nprint(torch.__name__)\n")
  out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                       text=True, timeout=600, cwd=ROOT)
  assert out.returncode == 0, out.stderr[-3000:]
  assert out.stdout.splitlines() == ["torch loaded: False", "torch"], out.stdout
  assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
