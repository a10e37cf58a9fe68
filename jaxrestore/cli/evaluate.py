"""``jaxrestore-evaluate --config=configs/evaluate_kair_dncnn25.py [--config.key=value]``.

The task (``config.task``, ``jaxrestore.tasks``) says what ``data_dir`` holds and
how each image is scored. Denoising (``'denoise'``, the default): a folder of clean
images, noise added with the standard protocol; prints a per-image table and
``mean_psnr=<value>``; writes per_image.csv and noisy | output | clean grids
(``grids/``) to ``config.output_dir``. Desnowing (``'desnow'``, configs/evaluate_desnownet.py):
the same per split of a Snow100K-layout folder (S, M, L), input PSNR beside output
PSNR, snowy | output | mask | clean grids. Deraining (``'derain'``,
configs/evaluate_attentive_gan.py): per split of a Raindrop-layout folder (test_a,
test_b), PSNR / SSIM on the luma as the authors, rainy | attention | output | clean
grids; ``config.channel_order='bgr'`` for weights trained on BGR (the official ones).
"""
from pathlib import Path

from absl import app, flags
from ml_collections import config_flags
from tqdm import tqdm

from jaxrestore import cli, evaluate, porting, tasks
from jaxrestore.data import images

_CONFIG = config_flags.DEFINE_config_file("config", None, "Evaluation config file.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  cfg = _CONFIG.value
  task = tasks.get(cfg.task)
  model = porting.load_checkpoint(cfg.checkpoint, cfg.model, cfg.model_kwargs.to_dict(),
                                  key=cfg.checkpoint_key or None,
                                  rename=tuple(cfg.checkpoint_rename),
                                  precision=cfg.precision)
  apply = evaluate.make_model_apply(model)
  if cfg.channel_order == "bgr":
    apply = evaluate.swap_rgb_bgr(apply)
  apply = evaluate.in_value_range(apply, cfg.value_range)
  opts = tasks.EvalOptions(channels=cfg.channels, sigma=cfg.sigma, seed=cfg.seed,
                           protocol=cfg.protocol, uint8_cast=cfg.uint8_cast,
                           value_range=cfg.value_range, random_crop=cfg.random_crop)
  out = Path(cfg.output_dir)
  sources = task.eval_sources(cfg.data_dir, tuple(cfg.splits), cfg.cache_dir or None)
  for split, source in sources.items():
    results = []
    for i in tqdm(range(len(source)), desc=f"evaluate {split}".strip(), unit="img", leave=False):
      result, grid = task.evaluate_record(apply, source[i], opts)
      results.append(result)
      if cfg.save_grids:
        images.write_image(out / "grids" / split / f"{Path(result.name).stem}.png", grid)
    csv = out / (f"per_image_{split}.csv" if split else "per_image.csv")
    evaluate.write_csv(csv, results)
    print(f"== {split or cfg.data_dir} (psnr_input: the {task.input_name} input) ==")
    print(evaluate.format_table(results))
    print(f"wrote {csv}")
    mean = lambda field: sum(getattr(r, field) for r in results) / len(results)  # noqa: E731
    protocol = f" protocol={results[0].protocol}" if results[0].protocol else ""
    others = "".join(f" mean_{k}={v:.4f}" for k, v in evaluate.mean_metrics(results).items())
    print(f"{split + ': ' if split else ''}mean_psnr_input={mean('psnr_input'):.4f} "
          f"mean_psnr={mean('psnr'):.4f} mean_ssim={mean('ssim'):.4f}{others}{protocol}")


def run():
  flags.mark_flags_as_required(["config"])
  cli.run(main, log_file=lambda: Path(_CONFIG.value.output_dir) / "evaluate.log")
