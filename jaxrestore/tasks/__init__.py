"""Restoration tasks: the one place to plug in a task.

A task (``base.Task``) owns what is trained (``make_setup``: model(s), optimiser(s),
loss and the jitted step), how one record is evaluated (metrics and an image
grid), the dataset layout its evaluation reads, and where its trained model sits
in the training state. ``config.task`` names one; models, the training loop, the
evaluate CLI and the checkpoint loader ask the task instead of keeping tables.

* ``denoise`` (``denoise.py``): pixel loss; Gaussian-noise evaluation protocol.
* ``desnow`` (``desnow.py``): DesnowNet's losses; Snow100K-layout test splits.
* ``derain`` (``derain.py``): the Attentive GAN; Raindrop-layout test splits.

A new task is a module here with a ``TASK`` and one line in ``TASKS``.
"""
import os

from flax import nnx

from jaxrestore import checkpoints, errors
from jaxrestore.tasks import denoise, derain, desnow
from jaxrestore.tasks.base import EvalOptions, Task

TASKS: dict[str, Task] = {"denoise": denoise.TASK, "desnow": desnow.TASK, "derain": derain.TASK}


def get(name: str) -> Task:
  try:
    return TASKS[name]
  except KeyError:
    raise errors.ConfigError(f"unknown task {name!r}; known: {sorted(TASKS)}") from None


def load_trained_model(workdir: str | os.PathLike, which: str = "best", seed: int = 0,
                       precision: str = "float32") -> tuple[nnx.Module, str, dict, int]:
  """The trained model of a training workdir (the generator of a GAN run), from its best
  (by eval PSNR) or latest checkpoint, computing in ``precision``: (model, registry
  name, kwargs, step)."""
  task = get(checkpoints.workdir_config(workdir)["task"])
  return checkpoints.load_from_workdir(workdir, which, seed, state_path=task.model_state_path,
                                       precision=precision)


__all__ = ["EvalOptions", "Task", "TASKS", "get", "load_trained_model", "denoise", "derain",
           "desnow"]
