"""grain input pipelines: aligned random crops, flips/rotations, noise on the fly.

Batch ``k`` of a pipeline is a pure function of (seed, k): records are shuffled
per epoch by grain, and each sample's randomness comes from grain's per-index
generator. So the batches do not depend on the number of worker processes, and
a restored iterator state (``get_state``/``set_state``, checkpointed with the
model) continues with exactly the batches an uninterrupted run would see.

Multi-process runs: ``train_dataset(..., shard_index=i, shard_count=n)`` yields
process ``i``'s contiguous block of rows of every global batch, reading only the
records of that block. The global batch (the blocks in process order) is the
single-process batch, for any number of processes.

Worker processes (``num_workers > 0``) end by themselves when the training process
dies, even by SIGKILL (``process_lifetime.exit_with_parent``); grain's own workers
would outlive it.

Modes (what a sample holds, all float32 HWC in [0, 1] before noise):

* ``noise2clean``: ``input`` = clean + noise, ``target`` = clean.
* ``noise2noise``: ``input`` and ``target`` = two independent noisy draws of the
  clean image, ``clean`` kept for evaluation only.
* ``paired``: ``input`` / ``target`` (and any other keys) read from the record,
  e.g. snowy / clean / mask; no synthetic noise. A ``mask`` is read as one
  channel whatever its file holds (an RGB mask as its luma, ``datasets.decode_mask``).
"""
import dataclasses
import os

import grain
from absl import flags
import numpy as np

from jaxrestore import errors, process_lifetime
from jaxrestore.data import datasets, images


@dataclasses.dataclass(frozen=True)
class NoiseSpec:
  """Gaussian noise of std ``sigma``/255, or ~ U[sigma_min, sigma_max]/255 drawn anew for
  each noisy image: in noise2noise mode the input and the target each draw their own, as
  NVlabs' ``random_crop_noised_clean`` calls its ``add_noise`` twice.

  ``kind='poisson'``: Poisson noise with ``peak`` photons at intensity 1.
  """
  kind: str = "gaussian"
  sigma: float = 25.0
  sigma_min: float | None = None
  sigma_max: float | None = None
  peak: float = 30.0

  def __post_init__(self):
    if self.kind not in ("gaussian", "poisson"):
      raise errors.ConfigError(f"noise kind must be 'gaussian' or 'poisson', got {self.kind!r}")
    if (self.sigma_min is None) != (self.sigma_max is None):
      raise errors.ConfigError("give both sigma_min and sigma_max, or neither")

  def apply(self, clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if self.kind == "poisson":
      return (rng.poisson(clean * self.peak) / self.peak).astype(np.float32)
    sigma = self.sigma if self.sigma_min is None else rng.uniform(self.sigma_min, self.sigma_max)
    return (clean + rng.normal(0.0, sigma / 255.0, clean.shape)).astype(np.float32)


def augment_8(x: np.ndarray, mode: int) -> np.ndarray:
  """DnCNN's eight flips/rotations: rot90 by mode % 4, then a vertical flip if mode >= 4."""
  x = np.rot90(x, mode % 4, axes=(0, 1))
  return np.flipud(x) if mode >= 4 else x


class CropAugmentNoise(grain.transforms.RandomMap):
  """Record -> sample dict of float32 HWC arrays (see module docstring)."""

  def __init__(self, *, crop: int | None, channels: int, mode: str, keys: tuple[str, ...],
               noise: NoiseSpec | None, augment: bool, pad_small: bool = False):
    if mode not in ("noise2clean", "noise2noise", "paired"):
      raise errors.ConfigError(f"unknown data mode {mode!r} (noise2clean, noise2noise, paired)")
    self.crop, self.channels, self.mode = crop, channels, mode
    self.keys, self.noise, self.augment, self.pad_small = keys, noise, augment, pad_small

  def random_map(self, record, rng: np.random.Generator):
    arrays = {k: datasets.decode_mask(record, k) if k == "mask"
              else datasets.decode(record, k, self.channels) for k in self.keys}
    h, w = next(iter(arrays.values())).shape[:2]
    if self.crop and self.pad_small and (h < self.crop or w < self.crop):
      ph, pw = max(0, self.crop - h), max(0, self.crop - w)
      arrays = {k: np.pad(a, ((0, ph), (0, pw), (0, 0)), mode="symmetric")
                for k, a in arrays.items()}
      h, w = h + ph, w + pw
    if self.crop:
      top, left = rng.integers(0, h - self.crop + 1), rng.integers(0, w - self.crop + 1)
      arrays = {k: a[top:top + self.crop, left:left + self.crop] for k, a in arrays.items()}
    if self.augment:
      mode = int(rng.integers(0, 8))
      arrays = {k: augment_8(a, mode) for k, a in arrays.items()}
    arrays = {k: (a / 255.0).astype(np.float32) for k, a in arrays.items()}
    if self.mode == "paired":
      return arrays
    clean = arrays["clean"]
    if self.mode == "noise2clean":
      return {"input": self.noise.apply(clean, rng), "target": clean}
    return {"input": self.noise.apply(clean, rng), "target": self.noise.apply(clean, rng),
            "clean": clean}


def check_source(source, *, crop: int | None, channels: int, where: str = "dataset"):
  """Every record is large enough for ``crop`` (``None``: no size check) and has
  ``channels`` channels."""
  if len(source) == 0:
    raise images.ImageError(f"{where} is empty")
  for i in range(len(source)):
    r = source[i]
    name = r["name"].decode() if isinstance(r["name"], bytes) else r["name"]
    if int(r["channels"]) != channels:
      raise images.ImageError(f"{where}: {name} has {int(r['channels'])} channel(s), "
                              f"the config expects {channels}")
    if crop and (int(r["height"]) < crop or int(r["width"]) < crop):
      raise images.ImageError(f"{where}: {name} is {int(r['height'])}x{int(r['width'])}, "
                              f"smaller than the {crop}x{crop} crop")


def train_dataset(source, *, batch_size: int, crop: int, channels: int, seed: int,
                  mode: str = "noise2clean", noise: NoiseSpec | None = None,
                  keys: tuple[str, ...] = ("clean",), augment: bool = True,
                  num_workers: int = 0, read_threads: int = os.cpu_count() or 1,
                  prefetch: int = 16, pad_small: bool = False, where: str = "training data",
                  shard_index: int = 0, shard_count: int = 1) -> grain.IterDataset:
  """The infinite, shuffled, batched training stream of ``source``.

  ``pad_small``: images smaller than the crop are padded (symmetric, bottom/right)
  instead of refused. ``batch_size`` is the global batch: shard ``i`` of ``n`` yields
  rows ``[i * b, (i + 1) * b)`` of each one (``b = batch_size // n``), reading only
  their records (global batch ``k`` = local batches ``k * n, ..., k * n + n - 1``).
  ``read_threads`` threads (in each of ``num_workers`` processes, if any) prepare batches
  at most ``prefetch`` ahead of the one consumed (not grain's defaults, 16 threads and
  500 batches: ``config_defaults``); neither changes the batches.
  """
  if batch_size % shard_count:
    raise errors.ConfigError(f"batch size {batch_size} is not divisible by the {shard_count} "
                             "processes")
  if read_threads < 1 or prefetch < 1:
    raise errors.ConfigError(f"data.read_threads ({read_threads}) and data.prefetch ({prefetch}) "
                             "must be at least 1")
  check_source(source, crop=None if pad_small else crop, channels=channels, where=where)
  ds = grain.MapDataset.source(source).seed(seed).shuffle().repeat()
  ds = ds.random_map(CropAugmentNoise(crop=crop, channels=channels, mode=mode, keys=keys,
                                      noise=noise, augment=augment, pad_small=pad_small))
  ds = ds.batch(batch_size // shard_count, drop_remainder=True)
  if shard_count > 1:
    ds = ds[shard_index::shard_count]
  ids = ds.to_iter_dataset(grain.ReadOptions(num_threads=read_threads,
                                             prefetch_buffer_size=prefetch))
  if num_workers > 0:
    if not flags.FLAGS.is_parsed():  # grain's workers read absl flags; outside app.run
      flags.FLAGS.mark_as_parsed()
    ids = ids.mp_prefetch(grain.MultiprocessingOptions(num_workers=num_workers),
                          worker_init_fn=_init_worker)
    ids = ids.map(_copy_out_of_shared_memory)
  return ids


def _copy_out_of_shared_memory(batch):
  """A worker's batch arrives in shared memory. On CPU, JAX would alias that buffer,
  and the last batches' buffers would still be open at exit (the multiprocessing
  resource tracker's "leaked shared_memory objects" warning on the console); the
  copy lets grain unlink each one as soon as it is consumed."""
  return {k: np.array(v) for k, v in batch.items()}


def _init_worker(worker_index: int, worker_count: int):
  """grain's ``worker_init_fn``: the worker exits when the process iterating dies."""
  del worker_index, worker_count
  process_lifetime.exit_with_parent()
