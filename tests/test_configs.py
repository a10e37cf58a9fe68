"""Every config file and each of its variants loads, shows its command, names registered
models, and every one of its keys can be set from the command line; the code reads
config keys as attributes, never with a ``.get`` fallback."""
import ast
import re

import ml_collections
import pytest

import jaxrestore.models as jm
from jaxrestore.config_defaults import load_recipe_module
from recipes import CONFIGS, load_config

ROOT = CONFIGS.parent


MODULES = {p.name: load_recipe_module(p) for p in sorted(CONFIGS.glob("*.py"))}
WITH_VARIANTS = [name for name, module in MODULES.items() if hasattr(module, "VARIANTS")]
# "file.py", or "file.py:variant" for each variant of a file that has them
SPECS = [f"{name}:{v}" if v else name
         for name, module in MODULES.items() for v in getattr(module, "VARIANTS", ("",))]


@pytest.mark.parametrize("spec", SPECS)
def test_config_loads_and_names_registered_models(spec):
  cfg = load_config(spec)
  assert "python scripts/" in MODULES[spec.split(":")[0]].__doc__
  for key in ("model", "gan.discriminator"):
    name = _value(cfg, key) if _has(cfg, key) else ""
    assert not name or name in jm.names(), f"{spec}: {key}={name!r} is not registered"


@pytest.mark.parametrize("name", WITH_VARIANTS)
def test_variants_are_documented_and_checked(name):
  module = MODULES[name]
  default, *others = module.VARIANTS
  assert module.get_config() == module.get_config(default)  # the default is listed first
  for variant in others:
    assert f"--config=configs/{name}:{variant}" in module.__doc__
  with pytest.raises(ValueError, match=", ".join(module.VARIANTS)):
    module.get_config("no_such_variant")


def _leaves(cfg: ml_collections.ConfigDict, prefix: str = ""):
  """(dotted key, value, type) of every leaf; an empty ConfigDict (model_kwargs) is one."""
  for key, value in cfg.items():
    if isinstance(value, ml_collections.ConfigDict) and value:
      yield from _leaves(value, f"{prefix}{key}.")
    else:
      yield prefix + key, value, cfg.get_type(key)


def _other_value(value, kind):
  """(a value of type ``kind`` other than ``value`` where the type allows, its flag text)."""
  if kind is bool:
    return not value, str(not value)
  if kind is int:
    return value + 1, str(value + 1)
  if kind is float:
    return (value or 0.0) + 0.5, repr((value or 0.0) + 0.5)
  if kind is str:
    return value + "_x", value + "_x"
  if kind is tuple:
    return value[::-1], repr(value[::-1])
  if issubclass(kind, ml_collections.ConfigDict):
    return {"probe": 1}, "{'probe': 1}"
  raise AssertionError(f"no command-line value for a {kind.__name__}: {value!r}")


def _has(cfg, dotted: str) -> bool:
  *parents, last = dotted.split(".")
  for part in parents:
    cfg = cfg[part] if part in cfg else {}
  return last in cfg


def _value(cfg, dotted: str):
  for part in dotted.split("."):
    cfg = cfg[part]
  return cfg


@pytest.mark.parametrize("spec", SPECS)
def test_every_key_is_set_from_the_command_line(spec):
  expected, flags = {}, []
  for key, value, kind in _leaves(load_config(spec)):
    expected[key], text = _other_value(value, kind)
    flags.append(f"--config.{key}={text}")
  cfg = load_config(spec, *flags)
  for key, value in expected.items():
    got = _value(cfg, key)
    got = got.to_dict() if isinstance(got, ml_collections.ConfigDict) else got
    assert got == value, f"{spec}: --config.{key} gave {got!r}, not {value!r}"


def test_a_dataset_spec_is_replaced_from_the_command_line():
  cfg = load_config("ece285.py", "--config.data.train={'kind': 'folder', 'path': 'x'}",
                    "--config.optimizer.schedule.name=multistep",
                    "--config.optimizer.schedule.milestones=(10, 20)")
  assert cfg.data.train.to_dict() == {"kind": "folder", "path": "x"}
  assert cfg.optimizer.schedule.milestones == (10, 20)


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted(CONFIGS.glob("*.py")), *sorted((ROOT / "benchmarks").glob("*.py"))]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documented_configs_exist(path):
  for name, variant in re.findall(r"configs/(\w+\.py)(?::(\w+))?", path.read_text()):
    assert name in MODULES, f"{path.name} names configs/{name}, which does not exist"
    if variant:
      assert variant in MODULES[name].VARIANTS, f"{path.name}: configs/{name}:{variant}"


# --- Config keys are read as attributes -------------------------------------------------------

CONFIG_NAME = re.compile(r"config|cfg|\w+_cfg|\w+_config")
SCANNED = [p for folder in ("jaxrestore", "benchmarks") for p in sorted((ROOT / folder).rglob("*.py"))]


def _is_config(node: ast.expr, aliases: set[str]) -> bool:
  """Whether ``node`` is a config: a name like config / cfg / g_cfg, an alias of one, an
  attribute or item of either (config.data), or what ``workdir_config()`` returns."""
  while isinstance(node, (ast.Attribute, ast.Subscript)):
    node = node.value
  if isinstance(node, ast.Name):
    return bool(CONFIG_NAME.fullmatch(node.id)) or node.id in aliases
  if isinstance(node, ast.Call):
    func = node.func
    return (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) == (
        "workdir_config")
  return False


def _aliases(scope: ast.AST) -> set[str]:
  """Names assigned a config in ``scope`` (``d = config.data``, ``d, s = config.data, ...``)."""
  aliases = set()
  for _ in range(2):  # an alias of an alias
    for node in ast.walk(scope):
      if isinstance(node, ast.Assign):
        for target in node.targets:
          pairs = ([(target, node.value)] if isinstance(target, ast.Name) else
                   zip(target.elts, node.value.elts)
                   if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) else [])
          aliases |= {t.id for t, v in pairs
                      if isinstance(t, ast.Name) and _is_config(v, aliases)}
  return aliases


def config_gets(source: str) -> list[str]:
  """``line: code`` of every ``<config>.get("key", ...)`` in ``source``."""
  tree = ast.parse(source)
  found = set()
  for scope in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))]:
    aliases = _aliases(scope) if scope is not tree else set()
    for node in ast.walk(scope):
      if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
          and node.func.attr == "get" and node.args
          and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
          and _is_config(node.func.value, aliases)):
        found.add(f"{node.lineno}: {ast.unparse(node)}")
  return sorted(found)


def test_the_scan_finds_config_gets():
  source = ('def f(config, spec):\n  d, s = config.data, 1\n  e = d\n'
            '  return (config.get("a"), e.get("b", 1), cfg.optimizer.get("c"), spec.get("d"),\n'
            '          workdir_config(w).get("e"), config.get(key))\n')
  found = "\n".join(config_gets(source))
  assert all(f".get('{key}'" in found for key in "abce"), found
  assert ".get('d')" not in found and ".get(key)" not in found, found


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_keys_are_read_as_attributes(path):
  """A key the code reads is declared in config_defaults, so ``.get("key", fallback)``
  would only hide a second default; read it as ``config.key``."""
  assert not config_gets(path.read_text())
