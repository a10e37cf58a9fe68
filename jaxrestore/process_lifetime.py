"""Helper processes end by themselves when the process that started them dies.

A process killed by SIGKILL (``kill -9``, the out-of-memory killer, a cluster's
pre-emption) runs no cleanup, and its children are reparented to init and live on.
Neither Python nor grain stops them: a grain worker (a daemonic ``multiprocessing``
spawn child) stops only when its parent sets its stop event or terminates it at a
normal exit, so after a SIGKILL it keeps producing into a queue nobody reads,
forever. Every helper process the project starts is therefore tied to its parent's
life here, one way per kind of child:

* ``exit_with_parent``, called in a grain worker (``mp_prefetch``'s
  ``worker_init_fn``): a daemon thread waits on ``multiprocessing.parent_process()``,
  i.e. on a pipe whose write end only the parent holds; the kernel closes it when
  the parent process dies, by any signal, and the worker exits at once. If the
  parent died before the thread started, the wait returns immediately. Linux's
  parent-death signal does not fit here: it fires when the parent *thread* that
  started the child ends, and grain starts its workers from a prefetch thread that
  it replaces on ``set_state`` (resuming a run), which would kill a live run's
  workers.
* ``die_with_parent``, a ``subprocess.Popen`` ``preexec_fn`` (``launch_local``'s
  children, which are not multiprocessing children): the child gets SIGKILL when
  the thread that started it ends (``prctl(PR_SET_PDEATHSIG)``, Linux only), which
  fits callers whose starting thread waits for the children, as ``launch_local``
  does. A child whose parent died before the ``prctl`` exits at once.

A child so ended takes its own helpers with it: a training process killed by the
launcher's death ends its grain workers through ``exit_with_parent``.
"""
import ctypes
import multiprocessing
import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def exit_with_parent():
  """In a ``multiprocessing`` child: exits this process (``os._exit``) as soon as its
  parent process has died, without waiting for anything else in it."""
  parent = multiprocessing.parent_process()

  def watch():
    parent.join()  # waits for EOF on the parent's sentinel pipe
    os._exit(1)

  threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def die_with_parent():
  """A ``preexec_fn`` for ``subprocess.Popen`` that has the child killed (SIGKILL) when
  the calling thread ends; ``None`` (nothing to do) where prctl does not exist."""
  if not sys.platform.startswith("linux"):
    return None
  prctl = ctypes.CDLL(None, use_errno=True).prctl  # bound here: the child only calls it
  parent = os.getpid()

  def preexec():
    if prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
      raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the signal was set
      os._exit(1)

  return preexec
