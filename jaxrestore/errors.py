"""Errors the user can fix (bad input, a refused checkpoint, a bad config value).

Every error of that kind derives from ``UserError``; the CLIs print it as one line
``error: <message>`` and exit 1, while any other exception is a bug and keeps its
traceback. The specific classes also derive from the builtin they refine
(``ValueError``, ``RuntimeError``, ...), so ``except ValueError`` keeps working.
"""


class UserError(Exception):
  """Something the user gave (a file, a folder, a config value) cannot be used as is."""


class ConfigError(UserError, ValueError):
  """A config value that is unknown or out of range."""


class NotFoundError(UserError, FileNotFoundError):
  """A file or folder the user named does not exist, or is not the kind expected."""


class OutputExistsError(UserError, FileExistsError):
  """An output path already holds something, which is never overwritten."""
