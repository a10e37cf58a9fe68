"""The configs of configs/ for code outside the CLIs (tests, benchmarks), loaded the way
the CLIs load them: ``load_config("ece285.py:udncnn", "--config.num_steps=10")`` is the
config that ``--config=configs/ece285.py:udncnn --config.num_steps=10`` gives a CLI.

It lives beside the package, like configs/ and benchmarks/: ``pip install`` ships neither.
"""
import warnings
from pathlib import Path

import ml_collections
from absl import flags
from ml_collections import config_flags

CONFIGS = Path(__file__).resolve().parent / "configs"


def load_config(spec: str, *overrides: str) -> ml_collections.ConfigDict:
  """``configs/<file>.py[:variant]`` with ``--config.<key>=<value>`` overrides applied.

  Parsed by a fresh ``absl.flags.FlagValues``, so it leaves the process's flags alone;
  the result is unlocked (a test may add keys).
  """
  argv = ["load_config", f"--config={CONFIGS / spec}", *overrides]
  flag_values = flags.FlagValues()
  config_flags.DEFINE_config_file("config", flag_values=flag_values, lock_config=False,
                                  sys_argv=argv)
  with warnings.catch_warnings():  # ml_collections loads the file with importlib's load_module
    warnings.filterwarnings("ignore", "the load_module", DeprecationWarning)
    flag_values(argv)
  return flag_values.config
