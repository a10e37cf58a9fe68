"""The JAX core never imports torch; torch_ref never imports jaxrestore."""
import subprocess
import sys


def _modules_after(imports: str) -> set[str]:
  code = f"import sys\n{imports}\nprint('\\n'.join(sys.modules))"
  out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
  return set(out.stdout.split())


def test_jax_core_does_not_import_torch():
  mods = _modules_after("import jaxrestore.models, jaxrestore.losses, jaxrestore.metrics, "
                        "jaxrestore.train, jaxrestore.evaluate, jaxrestore.checkpoints, "
                        "jaxrestore.data.pipeline, jaxrestore.tiling")
  assert "jaxrestore.train" in mods and "torch" not in mods and "torch_ref" not in mods


def test_torch_ref_does_not_import_jaxrestore():
  mods = _modules_after("import torch_ref.models, torch_ref.metrics")
  assert "torch_ref.models" in mods and not any(m.startswith("jaxrestore") for m in mods)
  assert "jax" not in mods
