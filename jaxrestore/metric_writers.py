"""Metrics to ``metrics.jsonl`` and TensorBoard event files (tensorboardX)."""
import json
import os
import time
from pathlib import Path

import numpy as np
from tensorboardX import SummaryWriter


class MetricWriter:
  """Appends ``{"step": s, "time": unix seconds, **scalars}`` lines to metrics.jsonl and
  TensorBoard scalars.

  ``enabled=False`` (processes other than 0) makes every call a no-op.
  """

  def __init__(self, workdir: str | os.PathLike, enabled: bool = True):
    self.enabled = enabled
    if enabled:
      self._jsonl = open(Path(workdir) / "metrics.jsonl", "a", buffering=1)
      self._tb = SummaryWriter(str(Path(workdir) / "tensorboard"))

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
