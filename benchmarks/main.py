"""``python scripts/bench.py --config=configs/bench.py [--config.sections="('explicit',)"] [--out=F]``.

Prints the table and writes the JSON: ``environment``, ``config``, ``rows`` (one
``Measurement`` each, with its section-specific ``extra`` numbers, plus ``mfu``
where FLOPs were counted and ``config.peak_flops`` is set) and ``skipped``
(implementations that failed on the machine, e.g. ``torch.compile``, with the
reason). With ``config.plot`` set and the ``scaling`` section run, its PNG is
written there too (``benchmarks.scaling.plot``).
"""
import dataclasses
import json

from absl import app, flags
from ml_collections import config_flags

from benchmarks import core
from jaxrestore import cli

# Imported to register their sections (``scaling`` also draws its plot).
from benchmarks import attentive_gan, denoisers, desnownet, explicit, scaling, sweep  # noqa: F401

_CONFIG = config_flags.DEFINE_config_file("config", None, "Bench config file.")
_OUT = flags.DEFINE_string("out", "bench.json", "Where the JSON results go.")


def _row_json(row: core.Measurement, peak_flops: dict[str, float]) -> dict:
  d = dataclasses.asdict(row)
  if row.flops and core.mfu(row, peak_flops):
    d["mfu"] = core.mfu(row, peak_flops)
  return d


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  c = _CONFIG.value
  env, rows = core.run_sections(list(c.sections), quick=c.quick, warmup=c.warmup,
                                 repeats=c.repeats, threads=c.threads,
                                 precisions=tuple(c.precisions))
  print(f"threads={env['threads']} (torch.set_num_threads; XLA CPU uses its own pool over "
        f"{env['cpu_count']} cores) backend={env['backend']} jax={env['jax']} "
        f"torch={env['torch']}")
  peaks = {"float32": c.peak_flops, "bfloat16": c.peak_flops_bf16}
  print(core.format_table(rows, peaks if any(peaks.values()) else 0.0))
  measured = [r for r in rows if isinstance(r, core.Measurement)]
  with open(_OUT.value, "w") as f:
    json.dump({"environment": env, "config": c.to_dict(),
               "rows": [_row_json(r, peaks) for r in measured],
               "skipped": [dataclasses.asdict(r) for r in rows if isinstance(r, core.Skipped)]},
              f, indent=1)
  print(f"wrote {_OUT.value}")
  if "sweep" in c.sections and not c.quick:
    for impl, est in sweep.estimate(measured).items():
      print(f"network-B sweep schedule, {impl}: " + ", ".join(
          f"{k} {v / 3600:.2f} h" for k, v in est.items()))
  if c.plot and "scaling" in c.sections:
    scaling.plot(_OUT.value, c.plot)
    print(f"wrote {c.plot}")


def run():
  flags.mark_flags_as_required(["config"])
  cli.run(main)
