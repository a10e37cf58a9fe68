"""Metrics to ``metrics.jsonl`` and TensorBoard event files (tensorboardX)."""
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from jaxrestore import files


def _import_summary_writer():
  """tensorboardX's ``SummaryWriter``, imported without torch.

  tensorboardX 2.6's writer module runs ``import torch`` when torch is installed
  (only to name ``torch.Tensor`` in its annotations), which would load torch into
  every training process of a ``[torch]`` install: about 1.1 s of start-up and
  hundreds of MB, for nothing JAX training uses. While tensorboardX is imported,
  ``import torch`` raises ImportError, tensorboardX's own fallback (numpy arrays
  only, all this module gives it); torch stays importable afterwards. A process
  that has already loaded torch imports tensorboardX as it is.
  """
  if "torch" in sys.modules:
    from tensorboardX import SummaryWriter
    return SummaryWriter
  sys.modules["torch"] = None
  try:
    from tensorboardX import SummaryWriter
  finally:
    del sys.modules["torch"]
  return SummaryWriter


SummaryWriter = _import_summary_writer()


class MetricWriter:
  """Appends ``{"step": s, "time": unix seconds, **scalars}`` lines to metrics.jsonl and
  TensorBoard scalars.

  ``start_step``: the step the run starts from (a resumed run: its checkpoint's). What a
  stopped run wrote after it (steps it trained past its last checkpoint, trained again
  now) is dropped from metrics.jsonl and purged from TensorBoard: every step is logged once.
  ``enabled=False`` (processes other than 0) makes every call a no-op.
  """

  def __init__(self, workdir: str | os.PathLike, enabled: bool = True, start_step: int = 0):
    self.enabled = enabled
    if enabled:
      path = Path(workdir) / "metrics.jsonl"
      if path.exists():
        kept = [line for line in path.read_text().splitlines(keepends=True)
                if line.strip() and json.loads(line)["step"] <= start_step]
        files.write_text_atomically(path, "".join(kept))  # a kill here loses nothing
      self._jsonl = open(path, "a", buffering=1)
      self._tb = SummaryWriter(str(Path(workdir) / "tensorboard"), purge_step=start_step + 1)

  def write(self, step: int, scalars: dict, prefix: str = ""):
    if not self.enabled:
      return
    scalars = {f"{prefix}{k}": float(np.asarray(v)) for k, v in scalars.items()}
    self._jsonl.write(json.dumps({"step": int(step), "time": round(time.time(), 3), **scalars})
                      + "\n")
    for k, v in scalars.items():
      self._tb.add_scalar(k, v, int(step))

  def write_image(self, step: int, tag: str, image_hwc: np.ndarray):
    if self.enabled:
      self._tb.add_image(tag, image_hwc, int(step), dataformats="HWC")

  def close(self):
    if self.enabled:
      self._jsonl.close()
      self._tb.close()
