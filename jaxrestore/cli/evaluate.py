"""``jaxrestore-evaluate --config=configs/evaluate_kair_dncnn25.py [--config.key=value]``.

Denoising (``config.task='denoise'``, the default): prints a per-image table and
``mean_psnr=<value>``; writes per_image.csv and noisy | output | clean grids to
``config.output_dir``. Desnowing (``'desnow'``, configs/evaluate_desnownet.py):
the same per split of a Snow100K-layout folder (S, M, L), input PSNR beside output
PSNR, snowy | output | mask | clean grids.
"""
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags

from jaxrestore import evaluate, porting, tasks
from jaxrestore.data import datasets, images

_CONFIG = config_flags.DEFINE_config_file("config", None, "Evaluation config file.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  cfg = _CONFIG.value
  model = porting.load_checkpoint(cfg.checkpoint, cfg.model, cfg.model_kwargs.to_dict(),
                                  key=cfg.checkpoint_key or None)
  out = Path(cfg.output_dir)
  if cfg.get("task", "denoise") == "desnow":
    _desnow(cfg, model, out)
    return
  results = evaluate.evaluate_denoiser(
      evaluate.make_apply(model), cfg.data_dir, cfg.sigma, cfg.channels, seed=cfg.seed,
      grid_dir=out / "grids" if cfg.save_grids else None)
  evaluate.write_csv(out / "per_image.csv", results)
  print(evaluate.format_table(results))
  print(f"wrote {out / 'per_image.csv'}")
  print(f"mean_psnr={sum(r.psnr for r in results) / len(results):.4f}")


def _desnow(cfg, model, out: Path):
  apply = evaluate.make_apply(model)
  for split in cfg.splits:
    src = datasets.load({"kind": "snow100k", "path": cfg.data_dir}, split, cfg.get("cache_dir") or None)
    results = []
    for i in range(len(src)):
      result, grid = tasks.evaluate_desnow_record(apply, src[i])
      results.append(result)
      if cfg.save_grids:
        images.write_image(out / "grids" / split / f"{Path(result.name).stem}.png", grid)
    evaluate.write_csv(out / f"per_image_{split}.csv", results)
    print(f"== {split} (psnr_noisy: the snowy input) ==")
    print(evaluate.format_table(results))
    print(f"{split}: mean_psnr_input={sum(r.psnr_noisy for r in results) / len(results):.4f} "
          f"mean_psnr={sum(r.psnr for r in results) / len(results):.4f} "
          f"mean_ssim={sum(r.ssim for r in results) / len(results):.4f}")


def run():
  flags.mark_flags_as_required(["config"])
  app.run(main)
