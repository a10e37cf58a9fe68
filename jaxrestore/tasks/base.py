"""What a task is: the pieces the training loop, the evaluate CLI and the checkpoint
loader ask of it (``Task``), and the helpers the tasks share."""
import dataclasses
import os
from pathlib import Path
from typing import Callable, Sequence

import ml_collections
import numpy as np
from flax import nnx

from jaxrestore import evaluate, models, steps
from jaxrestore.data import images

# (apply, record, EvalOptions) -> (ImageResult, grid uint8 HWC: input | output | ... | target)
EvaluateRecord = Callable[..., tuple[evaluate.ImageResult, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class EvalOptions:
  """The evaluation settings a record's evaluation may read: ``channels`` of the images,
  ``sigma`` (0-255 scale) and ``seed`` of the noise added to clean ones (denoising),
  ``uint8_cast`` of the output (derain: a key of ``metrics.UINT8_CASTS``), the
  ``value_range`` the model was trained in (denoise: ``minus_one_one`` adds the
  ECE285 PSNR; ``apply`` already works on [0, 1]) and ``random_crop`` (denoise: 0,
  the whole image, or a random k x k crop per image with its own noise)."""
  channels: int
  sigma: float
  seed: int
  protocol: str = ""  # the task's evaluation protocol where it has several; "": its default
  uint8_cast: str = "round"
  value_range: str = "zero_one"
  random_crop: int = 0


@dataclasses.dataclass(frozen=True)
class Task:
  """A restoration task; ``config.task`` names one (``jaxrestore.tasks.get``).

  Attributes:
    make_setup: ``config -> steps.Setup``: the model(s), optimiser(s), loss and jitted step.
    evaluate_record: ``(apply, record, EvalOptions) -> (ImageResult, grid)`` of one
      validation or test record; ``ImageResult.psnr_input`` is the input's PSNR.
    eval_sources: ``(data_dir, splits, cache_dir) -> {split: records}``: the dataset
      layout the evaluate CLI reads (a record is a dict of encoded images and ``name``).
    input_name: what the input is (``noisy``, ``snowy``, ``rainy``), for printed tables.
    model_state_path: where the trained model's ``params`` / ``buffers`` sit in the
      training state (``()``: the state is its ``TrainState``; ``("g",)``: a GAN's
      generator), for loading a training workdir as a model.
  """
  make_setup: Callable[[ml_collections.ConfigDict], steps.Setup]
  evaluate_record: EvaluateRecord
  eval_sources: Callable[[str, Sequence[str], str | None], dict[str, Sequence[dict]]]
  input_name: str
  model_state_path: tuple[str, ...] = ()


def create_model(config: ml_collections.ConfigDict) -> models.RestorationModel:
  """``config.model`` with ``config.model_kwargs``, initialised from ``config.seed``, computing
  in ``config.precision``."""
  return models.create(config.model, rngs=nnx.Rngs(config.seed), precision=config.precision,
                       **config.model_kwargs.to_dict())


def record_name(record: dict) -> str:
  return record["name"].decode() if isinstance(record["name"], bytes) else str(record["name"])


class FolderRecords(Sequence[dict]):
  """The image files of a folder as records ``{"name": file name, key: encoded bytes}``,
  read when indexed."""

  def __init__(self, folder: str | os.PathLike, key: str = "clean"):
    self._files = images.list_images(Path(folder))
    self._key = key

  def __len__(self) -> int:
    return len(self._files)

  def __getitem__(self, i: int) -> dict:
    path = self._files[i]
    return {"name": path.name, self._key: path.read_bytes()}
