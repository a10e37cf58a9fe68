"""Layering: the JAX core never imports torch or torch_ref; torch_ref never imports jaxrestore.

Checked on the source (imports written in our files): tensorboardX, a dependency,
itself tries ``import torch`` when torch is installed, which is not ours to change.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Only porting, the benchmarks and the CLIs that use them may touch torch.
JAX_CORE = [p for p in (ROOT / "jaxrestore").rglob("*.py")
            if not {"porting", "cli", "bench"} & set(p.relative_to(ROOT / "jaxrestore").parts)]


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
  assert not _imported(path) & {"torch", "torch_ref"}


@pytest.mark.parametrize("path", sorted((ROOT / "torch_ref").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_torch_ref_does_not_import_jaxrestore(path):
  assert not _imported(path) & {"jaxrestore", "jax", "flax"}
