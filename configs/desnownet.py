"""DesnowNet (Liu et al. 2018): 64x64 aligned crops of (snowy, clean, mask), batch 5, Adam
3e-5 with torch-style (coupled) L2 weight decay 5e-4, pyramid loss (tau 4, mask weight 3).

    python scripts/synth_snow.py --config=configs/synth_snow.py --config.out=data/snow
    python scripts/train.py --config=configs/desnownet.py --workdir=workdirs/desnownet_w4
    python scripts/train.py --config=configs/desnownet.py:w2 --workdir=workdirs/desnownet_w2

w4 (the default) and w2: Inception-v4 widths / 4 and / 2, the public
re-implementation's smaller and larger models. Pooling replaced by 3x3 conv
units (w4: 27M parameters, w2 about 4x that); --config.model_kwargs.pool=pool
keeps stride-1 pooling (w4: 9M). Real Snow100K: point --config.data.train.path
and --config.data.val.path at its root (train/ or all/, test/Snow100K-{S,M,L}/).
On a 2-core CPU a step takes tens of seconds: these are GPU configs.

cpu: a narrow model that trains on a 2-core CPU, snow synthesised over CBSD68,
tested on Kodak24:

    python scripts/synth_snow.py --config=configs/synth_snow.py --config.out=data/snow_cbsd
    python scripts/train.py --config=configs/desnownet.py:cpu --workdir=workdirs/desnownet_cpu
    python scripts/evaluate.py --config=configs/evaluate_desnownet.py \
        --config.checkpoint=workdirs/desnownet_cpu --config.data_dir=data/snow_cbsd

Widths / 16, one block per Inception stage, stride-1 pooling, BN, started from
the identity (``identity_init``: mask and residual heads zeroed, so step 0
returns its input), lr raised to 3e-4 for a short run. Measured (1500 steps,
~1.3 s/step on 2 CPU cores): held-out Kodak24 PSNR input -> output S 31.66 ->
31.70, M 25.11 -> 27.01, L 19.19 -> 21.41 dB (SSIM 0.93 / 0.85 / 0.73), still rising.

smoke: the same narrow model (without identity_init) on snow synthesised from
the embedded images, no other data needed:

    python scripts/train.py --config=configs/desnownet.py:smoke --workdir=workdirs/desnownet_smoke

lr raised to 1e-3. Writes snowy | output | mask | clean grids; eval reports the
input's PSNR beside the output's (eval/psnr_input vs eval/psnr). Measured (2 CPU
cores, ~1.3 s/step alone): after 200 steps eval/psnr 18.1 dB against the input's
25.1 dB, i.e. not yet better than the input: the initial residual is large and
still falling.
"""
from jaxrestore.config_defaults import base_config

WIDTH_FACTORS = {"w4": 4, "w2": 2, "cpu": 16, "smoke": 16}  # variant -> widths / factor
VARIANTS = tuple(WIDTH_FACTORS)


def get_config(arg="w4"):
  if arg not in VARIANTS:
    raise ValueError(f"configs/desnownet.py: unknown variant {arg!r}; "
                     f"known: {', '.join(VARIANTS)}")
  c = base_config()
  c.task = "desnow"
  c.model = "desnownet"
  c.model_kwargs.width_factor = WIDTH_FACTORS[arg]
  c.data.train = {"kind": "snow100k", "path": "data/snow"}
  c.data.train_split = "train"
  c.data.val = {"kind": "snow100k", "path": "data/snow"}
  c.data.val_split = "test_m"
  c.data.channels = 3
  c.data.mode = "paired"
  c.data.image_keys = ("input", "clean", "mask")
  c.data.crop = 64
  c.data.batch_size = 5
  c.data.augment = False
  c.data.pad_small = True
  c.optimizer.lr = 3e-5
  c.optimizer.weight_decay = 5e-4
  c.num_steps = 100_000
  c.log_every = 50
  c.eval_every = 2000
  c.checkpoint_every = 1000
  c.eval.max_images = 0
  c.eval.num_grids = 4
  if arg in ("cpu", "smoke"):  # the narrow model
    c.model_kwargs.blocks = (1, 1, 1)
    c.model_kwargs.pool = "pool"
  if arg == "cpu":
    c.model_kwargs.identity_init = True
    c.data.train = {"kind": "snow100k", "path": "data/snow_cbsd"}
    c.data.val = {"kind": "snow100k", "path": "data/snow_cbsd"}
    c.optimizer.lr = 3e-4
    c.num_steps = 1500
    c.log_every = 25
    c.eval_every = 250
    c.checkpoint_every = 250
    c.eval.max_images = 8
  if arg == "smoke":
    c.data.train = {"kind": "synthetic_snow", "max_size": 128, "seed": 0}
    c.data.val = {"kind": "synthetic_snow", "max_size": 128, "seed": 0}
    c.optimizer.lr = 1e-3
    c.num_steps = 200
    c.log_every = 20
    c.eval_every = 100
    c.checkpoint_every = 100
  return c
