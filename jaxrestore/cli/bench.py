"""``jaxrestore-bench --config=configs/bench.py [--config.sections="('explicit',)"] [--out=F]``."""
import dataclasses
import json

from absl import app, flags
from ml_collections import config_flags

from jaxrestore import bench
from jaxrestore.bench import desnownet, explicit  # noqa: F401  (register their sections)

_CONFIG = config_flags.DEFINE_config_file("config", None, "Bench config file.")
_OUT = flags.DEFINE_string("out", "bench.json", "Where the JSON results go.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  c = _CONFIG.value
  env, rows = bench.run_sections(list(c.sections), quick=c.quick, warmup=c.warmup,
                                 repeats=c.repeats, threads=c.threads)
  print(f"threads={env['threads']} (torch.set_num_threads; XLA CPU uses its own pool over "
        f"{env['cpu_count']} cores) backend={env['backend']} jax={env['jax']} "
        f"torch={env['torch']}")
  print(bench.format_table(rows))
  with open(_OUT.value, "w") as f:
    json.dump({"environment": env, "config": c.to_dict(),
               "rows": [dataclasses.asdict(r) for r in rows]}, f, indent=1)
  print(f"wrote {_OUT.value}")


def run():
  flags.mark_flags_as_required(["config"])
  app.run(main)
