"""The live processes of a process group, read from /proc (Linux): for the tests that a
stopped or killed run leaves no process behind."""
import os
import signal
import time
from pathlib import Path


def in_group(pgid: int) -> dict[int, str]:
  """pid -> command line of every live (not zombie) process in process group ``pgid``."""
  found = {}
  for entry in Path("/proc").iterdir():
    if not entry.name.isdigit():
      continue
    try:
      stat = (entry / "stat").read_text()
      cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:  # it ended meanwhile
      continue
    state, _, group = stat[stat.rindex(")") + 2:].split()[:3]  # after "pid (comm) "
    if int(group) == pgid and state != "Z":
      found[int(entry.name)] = cmd.strip()
  return found


def left_after(pgid: int, timeout_s: float = 10.0) -> dict[int, str]:
  """Waits up to ``timeout_s`` for process group ``pgid`` to be empty and returns what is
  still in it (``in_group``), after killing that, so a failing test leaves nothing behind."""
  deadline = time.time() + timeout_s
  while (left := in_group(pgid)) and time.time() < deadline:
    time.sleep(0.1)
  if left:
    try:
      os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
      pass
  return left
