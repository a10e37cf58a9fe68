"""jaxrestore.xla_cpu: the XLA CPU flags the package sets before JAX starts."""
import os
import subprocess
import sys
import textwrap

import pytest

from jaxrestore import xla_cpu

FLAG = xla_cpu.FLAGS[0]


@pytest.fixture
def backend_not_started(monkeypatch):
  """This process's JAX backend has usually started (other tests ran): pretend it has not."""
  monkeypatch.setattr(xla_cpu, "_backend_started", lambda: False)


def test_apply_adds_the_flags_after_the_users(backend_not_started):
  env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
  assert xla_cpu.apply(env) == xla_cpu.FLAGS
  assert env["XLA_FLAGS"] == f"--xla_force_host_platform_device_count=4 {FLAG}"
  assert xla_cpu.apply(env) == ()  # idempotent
  assert env["XLA_FLAGS"].count(FLAG) == 1


def test_too_late_warns_and_changes_nothing(monkeypatch):
  monkeypatch.setattr(xla_cpu, "_backend_started", lambda: True)
  env = {}
  with pytest.warns(UserWarning, match="cannot apply"):
    assert xla_cpu.apply(env) == ()
  assert env == {}


def test_a_flag_the_user_sets_is_left_alone(backend_not_started):
  user = "--xla_cpu_experimental_ynn_fusion_type=individual_dot"
  env = {"XLA_FLAGS": user}
  assert xla_cpu.apply(env) == ()
  assert env["XLA_FLAGS"] == user


def test_opt_out(backend_not_started):
  env = {xla_cpu.OPT_OUT: "0"}
  assert xla_cpu.apply(env) == ()
  assert "XLA_FLAGS" not in env


_CONV_GRAD_HLO = """
import jax, jax.numpy as jnp
{before}
x, w = jnp.ones((2, 16, 16, 32)), jnp.ones((3, 3, 32, 32))  # big enough for YNN
conv = lambda x, w: jax.lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
grad = jax.jit(jax.grad(lambda x, w: conv(x, w).sum(), argnums=(0, 1)))
print("YNN" if "__ynn_fusion" in grad.lower(x, w).compile().as_text() else "XLA")
"""


def _run(before: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
  code = textwrap.dedent(_CONV_GRAD_HLO.format(before=before))
  env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", xla_cpu.OPT_OUT)}
  env.update(env_extra, JAX_PLATFORMS="cpu")
  return subprocess.run([sys.executable, "-W", "always", "-c", code], env=env,
                        capture_output=True, text=True, timeout=300, check=True)


def test_importing_jaxrestore_takes_convolutions_off_ynnpack():
  assert _run("import jaxrestore", {}).stdout.strip() == "XLA"


@pytest.mark.parametrize("env_extra", [{xla_cpu.OPT_OUT: "0"}, {}])
def test_without_the_flag_jaxlib_uses_ynnpack(env_extra):
  """The control: what the flag changes (opted out, or jaxrestore never imported)."""
  before = "import jaxrestore" if env_extra else ""
  assert _run(before, env_extra).stdout.strip() == "YNN"


def test_importing_jaxrestore_after_jax_started_warns():
  done = _run("jnp.zeros(1).block_until_ready()\nimport jaxrestore", {})
  assert done.stdout.strip() == "YNN"
  assert "cannot apply" in done.stderr
