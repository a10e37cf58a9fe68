"""Scaling of DnCNN-17 training with the dataset size and the batch size.

The recipe is DnCNN-17's (``config_defaults.base_config()``: KAIR DnCNN-17 with
BN, gray, 40x40 crops, Gaussian noise sigma 25, its Adam); the step is the one
``train.py`` runs (``tasks.get("denoise").make_setup``, i.e.
``steps.make_train_step``, state donated).

* **Dataset size** (``train+pipeline`` rows): an in-memory random-access source
  of ``400 * k`` synthetic gray 180x180 images, k in (1, 4, 16), in the record
  format of the TFDS sources (``{"clean": PNG bytes, "name", "height", "width",
  "channels"}``), fed through the real ``pipeline.train_dataset`` (decode, crop,
  flips/rotations, noise, batch 16) into the jitted step, looping as ``train.py``
  does: ``batch = next(it)``, ``state, metrics = train_step(state, batch)``.
  Like ``train.py``, the loop never blocks between steps (dispatch is
  asynchronous, so ``next(it)`` prepares the next batch while the step runs); a
  row's ``ms`` is the wall time of ``repeats`` steps over their number, and
  ``extra["data_wait_ms"]`` the median time the loop spent in ``next(it)`` (on a
  2-core machine that work still shares the cores with the step).
  The pipeline streams: grain's ``MapDataset`` reads record ``i`` on demand and
  shuffles by computing each epoch's permuted index per position (no permutation
  list, no copy of the dataset), so the work and the memory of a step do not
  depend on the number of records. Throughput should therefore be flat in k, and
  the resident memory (``extra["rss_start_mib"]`` after warm-up,
  ``extra["rss_end_mib"]`` after the last step) should not grow over the steps;
  between multiples it grows only by the in-memory source itself
  (``extra["source_mib"]``, the encoded bytes, which stand in for array_record
  files read on demand). Building the source is not timed. A full run times at
  least 40 steps after 20 warm-up steps (``PIPELINE_MIN_STEPS``), for a steady
  mean. The train step is
  compiled once, in the 1x case (its ``compile_s``); later multiples continue
  from the state the previous one left.
* **Batch size** (``train`` rows): the train step alone on a fixed batch in
  memory, batch 1 ... 128 of 40x40, ``jax jit`` vs ``torch eager``
  (``denoisers.case_runners``; no ``torch.compile`` here).

``plot(json_or_rows, png)`` draws both as a PNG (``--config.plot``).
"""
import copy
import gc
import json
import os
import statistics
import time
from pathlib import Path
from typing import Callable

import jax
import ml_collections
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from jaxrestore import config_defaults, tasks
from benchmarks import denoisers
from benchmarks.core import Measurement, rows_for_case, section
from jaxrestore.data import datasets, pipeline

SECTION = "scaling"
MULTIPLES = (1, 4, 16)
BATCHES = (1, 2, 4, 8, 16, 32, 64, 128)
PIPELINE_IMPL = "jax jit"
BATCH_IMPLS = ("jax jit", "torch eager")
PIPELINE_MIN_STEPS = (20, 40)  # (warm-up, timed) steps of a full (not quick) pipeline row


def synthetic_source(n: int, size: int, seed: int = 0) -> list[dict]:
  """``n`` gray ``size`` x ``size`` records as a TFDS source gives them: smooth random
  shapes plus grain, PNG-encoded like the stored datasets (``datasets._png``)."""
  rng = np.random.default_rng(seed)
  records = []
  for i in range(n):
    coarse = rng.integers(0, 256, (size // 8 + 1,) * 2, dtype=np.uint8)
    smooth = np.asarray(Image.fromarray(coarse).resize((size, size), Image.BICUBIC), np.float32)
    img = np.clip(smooth + rng.normal(0.0, 8.0, smooth.shape), 0, 255).astype(np.uint8)
    records.append({"clean": datasets._png(img),  # pylint: disable=protected-access
                    "name": f"synthetic_{i:05d}.png".encode(), "height": size, "width": size,
                    "channels": 1})
  return records


def rss_mib() -> float:
  """This process's current resident memory (``/proc/self/statm``), MiB."""
  with open("/proc/self/statm") as f:
    resident_pages = int(f.read().split()[1])
  return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _stream_steps(state, train_step: Callable, it, *, warmup: int, repeats: int):
  """``batch = next(it)``, ``state, _ = train_step(state, batch)`` as in ``train.py``:
  dispatch is asynchronous, so ``next(it)`` prepares a batch while the previous step
  runs, and only the end of the timed window blocks. Returns (state, first step s,
  [ms in each ``next(it)``], ms per step over the window, RSS MiB after warm-up, RSS
  MiB after the last step)."""
  t0 = time.perf_counter()
  state, _ = train_step(state, next(it))
  jax.block_until_ready(state)
  first_s = time.perf_counter() - t0
  for _ in range(warmup):
    state, _ = train_step(state, next(it))
  jax.block_until_ready(state)
  rss_start = rss_mib()
  waits = []
  t0 = time.perf_counter()
  for _ in range(repeats):
    t1 = time.perf_counter()
    batch = next(it)
    waits.append((time.perf_counter() - t1) * 1e3)
    state, _ = train_step(state, batch)
  jax.block_until_ready(state)
  per_step_ms = (time.perf_counter() - t0) * 1e3 / repeats
  return state, first_s, waits, per_step_ms, rss_start, rss_mib()


def pipeline_rows(recipe: ml_collections.ConfigDict, *, images: int, size: int, crop: int,
                  batch: int, warmup: int, repeats: int,
                  multiples: tuple[int, ...] = MULTIPLES) -> list[Measurement]:
  """One ``train+pipeline`` row per dataset multiple (``images * k`` records of ``size``)."""
  config = copy.deepcopy(recipe)
  config.data.crop, config.data.batch_size = crop, batch
  d = config.data
  setup = tasks.get(config.task).make_setup(config)
  state, train_step = setup.state, setup.train_step
  rows = []
  for k in multiples:
    source = synthetic_source(images * k, size)
    ds = pipeline.train_dataset(
        source, batch_size=batch, crop=crop, channels=d.channels, seed=config.seed, mode=d.mode,
        noise=pipeline.NoiseSpec(**d.noise.to_dict()), keys=tuple(d.image_keys),
        augment=d.augment)
    state, first_s, waits, ms, rss_start, rss_end = _stream_steps(
        state, train_step, iter(ds), warmup=warmup, repeats=repeats)
    row = Measurement(
        SECTION, f"{config.model} data {k}x ({len(source)} images) b{batch} train+pipeline",
        PIPELINE_IMPL, ms, batch * 1e3 / ms, first_s,
        extra={"dataset_multiple": float(k), "dataset_images": float(len(source)),
               "batch": float(batch), "data_wait_ms": statistics.median(waits),
               "rss_start_mib": rss_start, "rss_end_mib": rss_end,
               "source_mib": sum(len(r["clean"]) for r in source) / 2**20})
    if rows:
      row.ratios = {f"data {multiples[0]}x": ms / rows[0].ms}
    rows.append(row)
    del source, ds
    gc.collect()  # the next multiple's RSS should not carry this one's source
  return rows


def batch_rows(recipe: ml_collections.ConfigDict, *, batches: tuple[int, ...], size: int,
               warmup: int, repeats: int) -> list[Measurement]:
  """The train step alone on a fixed batch: ``jax jit`` (with its ratio to ``torch eager``)
  and ``torch eager`` rows per batch size."""
  rows = []
  for b in batches:
    train, _, (train_flops, _) = denoisers.case_runners(recipe, b, size)
    got = rows_for_case(SECTION, f"{recipe.model} b{b} {size}x{size} train", b,
                        {impl: train[impl] for impl in BATCH_IMPLS},
                        {BATCH_IMPLS[0]: BATCH_IMPLS[1:]}, warmup=warmup, repeats=repeats,
                        flops=train_flops)
    for row in got:
      row.extra = {"batch": float(b)}
    rows += got
  return rows


@section(SECTION)
def scaling_section(*, quick: bool, warmup: int, repeats: int) -> list[Measurement]:
  recipe = config_defaults.base_config()  # DnCNN-17: model, data, noise and optimiser
  if quick:
    return (pipeline_rows(recipe, images=8, size=48, crop=16, batch=2, warmup=warmup,
                          repeats=repeats)
            + batch_rows(recipe, batches=(1, 2), size=16, warmup=warmup, repeats=repeats))
  # At least 20 + 40 steps, for a steady mean. (With grain's default read-ahead, 500
  # batches, 5 steps read 30% slow while its threads filled the buffer; with the
  # pipeline's bounded one, 5 after 1 read as 40 after 20: docs/performance.md.)
  return (pipeline_rows(recipe, images=400, size=180, crop=recipe.data.crop, batch=16,
                        warmup=max(warmup, PIPELINE_MIN_STEPS[0]),
                        repeats=max(repeats, PIPELINE_MIN_STEPS[1]))
          + batch_rows(recipe, batches=BATCHES, size=recipe.data.crop, warmup=warmup,
                       repeats=repeats))


def plot(results: str | os.PathLike | list[dict], png_path: str | os.PathLike) -> None:
  """Writes the two scaling panels of ``results`` (the bench JSON's path, or its row dicts)
  to ``png_path``: images/s vs dataset multiple (with the data wait and RSS), and images/s
  vs batch size for each implementation. Rows of other sections are ignored."""
  env = {}
  if isinstance(results, (str, os.PathLike)):
    data = json.loads(Path(results).read_text())
    results, env = data["rows"], data["environment"]
  rows = [r for r in results if r["section"] == SECTION]
  streamed = sorted((r for r in rows if "dataset_multiple" in r["extra"]),
                    key=lambda r: r["extra"]["dataset_multiple"])
  fixed = [r for r in rows if "dataset_multiple" not in r["extra"]]

  fig = Figure(figsize=(12, 4.8), layout="constrained")
  FigureCanvasAgg(fig)
  left, right = fig.subplots(1, 2)
  ks = [r["extra"]["dataset_multiple"] for r in streamed]
  left.plot(ks, [r["images_per_s"] for r in streamed], "o-", color="C0",
            label="train + pipeline")
  for k, r in zip(ks, streamed):
    e = r["extra"]
    left.annotate(f"{e['dataset_images']:.0f} images\nRSS {e['rss_start_mib']:.0f}"
                  f"\u2192{e['rss_end_mib']:.0f} MiB", (k, r["images_per_s"]),
                  textcoords="offset points", xytext=(0, -30), ha="center", fontsize=8)
  left.set(xscale="log", xlabel="dataset size (multiple of the base set)", ylabel="images/s",
           title=f"streamed training, batch {streamed[0]['extra']['batch']:.0f}"
           if streamed else "streamed training")
  if ks:  # room for the annotations at both ends
    left.set_xlim(ks[0] / 1.8, ks[-1] * 1.8)
  left.set_xticks(ks, [f"{k:.0f}x" for k in ks])
  left.set_ylim(0, 1.3 * max([r["images_per_s"] for r in streamed], default=1.0))
  wait_ax = left.twinx()
  wait_ax.plot(ks, [r["extra"]["data_wait_ms"] for r in streamed], "s--", color="C1",
               label="data wait (next(it))")
  wait_ax.set_ylabel("data wait, ms/step", color="C1")
  wait_ax.set_ylim(0, 3 * max([r["extra"]["data_wait_ms"] for r in streamed], default=1.0))
  handles = left.get_legend_handles_labels()[0] + wait_ax.get_legend_handles_labels()[0]
  left.legend(handles=handles, loc="lower right", fontsize=8)

  batches = sorted({r["extra"]["batch"] for r in fixed})
  for impl in sorted({r["impl"] for r in fixed}):
    pts = sorted((r["extra"]["batch"], r["images_per_s"]) for r in fixed if r["impl"] == impl)
    right.plot(*zip(*pts), "o-", label=impl)
  right.set_xscale("log", base=2)
  right.set(xlabel="batch size", ylabel="images/s", title="train step, fixed batch in memory")
  right.set_xticks(batches, [f"{b:.0f}" for b in batches])
  right.set_ylim(bottom=0)
  right.legend(fontsize=8)

  if env:
    fig.suptitle(f"DnCNN-17 training scaling: {env['machine']}, {env['backend']} "
                 f"({', '.join(env['devices'])}), {env['threads']} threads of "
                 f"{env['cpu_count']} CPUs, jax {env['jax']}, torch {env['torch']}")
  fig.savefig(png_path, dpi=120)
