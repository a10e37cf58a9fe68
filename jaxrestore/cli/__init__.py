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
from typing import Callable, NoReturn

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


def fail(message: object, exit_code: int = 1) -> NoReturn:
  """Prints ``error: <message>`` as one line on stderr and exits with ``exit_code``."""
  print("error: " + " ".join(str(message).split()), file=sys.stderr)
  sys.stdout.flush()
  sys.stderr.flush()
  if jax.distributed.is_initialized():  # skip the shutdown barrier (distributed.exit_on_error)
    os._exit(exit_code)
  sys.exit(exit_code)


# Library warnings that say nothing a user can act on: logged at INFO (the log file keeps
# them). TFDS warns "Using custom data configuration" whenever an image-folder dataset
# (snow100k, raindrop) is built, which is how those datasets work.
_NOT_WARNINGS = ("Using custom data configuration",)


def _demote_not_warnings(record: logging.LogRecord) -> bool:
  if record.levelno == logging.WARNING and str(record.msg).startswith(_NOT_WARNINGS):
    record.levelno, record.levelname = logging.INFO, "INFO"
  return True


def log_to_file(path: str | os.PathLike | None) -> None:
  """Sends library log lines to ``path`` (None: nowhere) instead of the console.

  The console (absl's handler on stderr) keeps warnings and errors, or everything
  when ``verbose()``. Call it after flag parsing, as ``run`` does.
  """
  if not verbose():
    absl_logging.get_absl_handler().setLevel(logging.WARNING)
    if _demote_not_warnings not in absl_logging.get_absl_logger().filters:
      absl_logging.get_absl_logger().addFilter(_demote_not_warnings)
  if path is not None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, delay=True)
    handler.setFormatter(absl_logging.PythonFormatter())
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)


def _config_file(argv: list[str]) -> str | None:
  """The file of ``--config=FILE[:arg]`` (or ``--config FILE``) in ``argv``, if any."""
  argv = argv[:argv.index("--")] if "--" in argv else argv
  for i, arg in enumerate(argv):
    if arg.startswith("--config="):
      return arg.split("=", 1)[1].split(":", 1)[0]
    if arg == "--config" and i + 1 < len(argv):
      return argv[i + 1].split(":", 1)[0]
  return None


def _parse_flags(argv: list[str]) -> list[str]:
  """``flags.FLAGS(argv)``; what the user mistyped is a usage error (exit code 2)."""
  config_file = _config_file(argv)
  if config_file is not None and not Path(config_file).is_file():
    fail(f"--config: config file not found: {config_file}", 2)  # config_flags: a traceback
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    message = str(e)
    if "Traceback (most recent call last)" in message:  # get_config raised; config_flags
      lines = [line for line in message.splitlines() if line.strip()]  # quotes its traceback
      message = f"{lines[0]} {lines[-1]}"
    fail(f"{message} (--helpshort lists the flags)", 2)
  except (AttributeError, KeyError) as e:  # a --config.* override the config lacks
    key = str(e).strip('"')  # ml_collections quotes the quoted key once more
    fail(f"no such config key: {key} (in a --config.* override)", 2)


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
