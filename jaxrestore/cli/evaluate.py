"""``jaxrestore-evaluate --config=configs/evaluate_kair_dncnn25.py [--config.key=value]``.

Denoising (``config.task='denoise'``, the default): prints a per-image table and
``mean_psnr=<value>``; writes per_image.csv and noisy | output | clean grids to
``config.output_dir``. Desnowing (``'desnow'``, configs/evaluate_desnownet.py):
the same per split of a Snow100K-layout folder (S, M, L), input PSNR beside output
PSNR, snowy | output | mask | clean grids. Deraining (``'derain'``,
configs/evaluate_attentive_gan.py): per split of a Raindrop-layout folder (test_a,
test_b), PSNR / SSIM on the luma as the authors, rainy | attention | output | clean
grids; ``config.channel_order='bgr'`` for weights trained on BGR (the official ones).
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
                                  key=cfg.checkpoint_key or None,
                                  rename=tuple(cfg.checkpoint_rename))
  out = Path(cfg.output_dir)
  task = cfg.get("task", "denoise")
  if task in _PAIRED:
    _paired(cfg, model, out, *_PAIRED[task])
    return
  results = evaluate.evaluate_denoiser(
      evaluate.make_apply(model), cfg.data_dir, cfg.sigma, cfg.channels, seed=cfg.seed,
      grid_dir=out / "grids" if cfg.save_grids else None)
  evaluate.write_csv(out / "per_image.csv", results)
  print(evaluate.format_table(results))
  print(f"wrote {out / 'per_image.csv'}")
  print(f"mean_psnr={sum(r.psnr for r in results) / len(results):.4f}")


# task -> (dataset kind of ``data_dir``, per-record evaluation, name of the input)
_PAIRED = {"desnow": ("snow100k", tasks.evaluate_desnow_record, "snowy"),
           "derain": ("raindrop", tasks.evaluate_derain_record, "rainy")}


def _paired(cfg, model, out: Path, kind, evaluate_record, input_name):
  apply = evaluate.make_apply(model)
  if cfg.get("channel_order", "rgb") == "bgr":
    apply = evaluate.swap_rgb_bgr(apply)
  for split in cfg.splits:
    src = datasets.load({"kind": kind, "path": cfg.data_dir}, split, cfg.get("cache_dir") or None)
    results = []
    for i in range(len(src)):
      result, grid = evaluate_record(apply, src[i])
      results.append(result)
      if cfg.save_grids:
        images.write_image(out / "grids" / split / f"{Path(result.name).stem}.png", grid)
    evaluate.write_csv(out / f"per_image_{split}.csv", results)
    print(f"== {split} (psnr_noisy: the {input_name} input) ==")
    print(evaluate.format_table(results))
    print(f"{split}: mean_psnr_input={sum(r.psnr_noisy for r in results) / len(results):.4f} "
          f"mean_psnr={sum(r.psnr for r in results) / len(results):.4f} "
          f"mean_ssim={sum(r.ssim for r in results) / len(results):.4f}")


def run():
  flags.mark_flags_as_required(["config"])
  app.run(main)
