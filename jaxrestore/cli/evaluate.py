"""``jaxrestore-evaluate --config=configs/evaluate_kair_dncnn25.py [--config.key=value]``.

Prints a per-image table and ``mean_psnr=<value>``; writes per_image.csv and
noisy | output | clean grids to ``config.output_dir``.
"""
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags

from jaxrestore import evaluate, porting

_CONFIG = config_flags.DEFINE_config_file("config", None, "Evaluation config file.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  cfg = _CONFIG.value
  model = porting.load_checkpoint(cfg.checkpoint, cfg.model, cfg.model_kwargs.to_dict(),
                                  key=cfg.checkpoint_key or None)
  out = Path(cfg.output_dir)
  results = evaluate.evaluate_denoiser(
      evaluate.make_apply(model), cfg.data_dir, cfg.sigma, cfg.channels, seed=cfg.seed,
      grid_dir=out / "grids" if cfg.save_grids else None)
  evaluate.write_csv(out / "per_image.csv", results)
  print(evaluate.format_table(results))
  print(f"wrote {out / 'per_image.csv'}")
  print(f"mean_psnr={sum(r.psnr for r in results) / len(results):.4f}")


def run():
  flags.mark_flags_as_required(["config"])
  app.run(main)
