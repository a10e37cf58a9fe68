"""absl entry points (console scripts); scripts/*.py call these.

Every CLI starts through ``run(main)``, ``absl.app.run`` with the console contract
of the project:

* A user error (``errors.UserError``: an unreadable image, a refused checkpoint, a
  bad config value, a missing folder) prints ``error: <message>`` as one line on
  stderr and exits 1; a usage error (an unknown flag, a value that does not parse,
  ``app.UsageError``) the same with exit code 2. Any other exception is a bug and
  keeps its traceback.
* Library log lines (absl, orbax, TFDS, JAX's backend probing) stay off the
  console, which keeps warnings and errors; they go to ``log_file`` when the CLI
  names one (``train.log`` in a training workdir).
* ``--verbose`` (or ``JAXRESTORE_VERBOSE=1``) shows the traceback of a user error
  too, and the log lines on the console.
"""
import logging
import os
import sys
from pathlib import Path
from typing import Callable

import jax
from absl import app, flags
from absl import logging as absl_logging

from jaxrestore import errors

_VERBOSE = flags.DEFINE_bool(
    "verbose", False, "Show the traceback of an error and the library log lines on the "
    "console (also JAXRESTORE_VERBOSE=1).")


def verbose() -> bool:
  """Whether ``--verbose`` or ``JAXRESTORE_VERBOSE`` (not '' or '0') asks for details."""
  return _VERBOSE.value or os.environ.get("JAXRESTORE_VERBOSE", "0") not in ("", "0")


def fail(message: str, exit_code: int = 1):
  """Prints ``error: <message>`` as one line on stderr and exits with ``exit_code``."""
  print("error: " + " ".join(str(message).split()), file=sys.stderr)
  sys.stdout.flush()
  sys.stderr.flush()
  if jax.distributed.is_initialized():  # skip the shutdown barrier (distributed.exit_on_error)
    os._exit(exit_code)
  sys.exit(exit_code)


def log_to_file(path: str | os.PathLike | None) -> None:
  """Sends library log lines to ``path`` (None: nowhere) instead of the console.

  The console (absl's handler on stderr) keeps warnings and errors, or everything
  when ``verbose()``. Call it after flag parsing, as ``run`` does.
  """
  if not verbose():
    absl_logging.get_absl_handler().setLevel(logging.WARNING)
  if path is not None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, delay=True)
    handler.setFormatter(absl_logging.PythonFormatter())
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)


def _parse_flags(argv: list[str]) -> list[str]:
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    fail(f"{e} (--helpshort lists the flags)", 2)


def run(main: Callable[[list[str]], None],
        log_file: Callable[[], str | os.PathLike] | None = None,
        argv: list[str] | None = None) -> None:
  """``app.run(main)`` with one-line errors and quiet logging (see the module docstring).

  Args:
    main: the CLI's ``main(argv)``.
    log_file: gives the log file's path once the flags are parsed; None: the
      library log lines are dropped.
    argv: the command line; None: ``sys.argv``.
  """
  def guarded_main(args):
    log_to_file(log_file() if log_file else None)
    try:
      return main(args)
    except app.UsageError as e:
      fail(e, 2)
    except errors.UserError as e:
      if verbose():
        raise
      fail(e)

  app.run(guarded_main, argv=argv, flags_parser=_parse_flags)
