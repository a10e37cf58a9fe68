"""N2N U-Net (Lehtinen et al. 2018) on gray train400, noise-to-noise or noise-to-clean.

    python scripts/train.py --config=configs/n2n_unet.py --workdir=workdirs/n2n_unet_n2n
    python scripts/train.py --config=configs/n2n_unet.py:n2c --workdir=workdirs/n2n_unet_n2c

Variants: n2n (the default; the target is a second, independent noisy draw) and
n2c (the noise-to-clean baseline). Gaussian noise with sigma ~ U[0, 50] per
image, 128x128 crops, batch 8, NVlabs' optimiser: Adam 3e-4 (beta2 0.99), L2.
Evaluated against clean BSD68 at sigma=25. Lehtinen et al. find n2n and n2c
nearly equal; compare the two runs at equal steps. Without ../shared, train and
validate on the embedded images with
--config.data.train="{'kind': 'skimage', 'config': 'gray'}" --config.data.train_split=train
--config.data.val="{'kind': 'skimage', 'config': 'gray'}" --config.data.val_split=validation.
"""
from jaxrestore.config_defaults import base_config

MODES = {"n2n": "noise2noise", "n2c": "noise2clean"}  # variant -> data.mode
VARIANTS = tuple(MODES)


def get_config(arg="n2n"):
  if arg not in MODES:
    raise ValueError(f"configs/n2n_unet.py: unknown variant {arg!r}; known: {', '.join(MODES)}")
  c = base_config()
  c.model = "n2n_unet"
  c.model_kwargs.in_channels = 1
  c.model_kwargs.out_channels = 1
  c.data.train = {"kind": "folder", "path": "../shared/data/bsd/train400"}
  c.data.train_split = "data"
  c.data.val = {"kind": "folder", "path": "../shared/data/bsd/bsd68"}
  c.data.val_split = "data"
  c.data.mode = MODES[arg]
  c.data.crop = 128
  c.data.batch_size = 8
  c.data.noise.sigma_min = 0.0
  c.data.noise.sigma_max = 50.0
  c.eval.sigma = 25.0
  c.eval.max_images = 0
  c.optimizer.lr = 3e-4
  c.optimizer.b2 = 0.99
  c.num_steps = 20_000
  c.log_every = 50
  c.eval_every = 2000
  c.checkpoint_every = 1000
  return c
