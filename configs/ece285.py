"""ECE285 DnCNN, UDnCNN and DUDnCNN (D=6, C=64, RGB), sigma=30, 180x180 crops, Adam 1e-3, batch 4.

    python scripts/train.py --config=configs/ece285.py --workdir=workdirs/ece285_dncnn
    python scripts/train.py --config=configs/ece285.py:udncnn --workdir=workdirs/ece285_udncnn
    python scripts/train.py --config=configs/ece285.py:dudncnn --workdir=workdirs/ece285_dudncnn

The variant is the network: dncnn (the default), udncnn or dudncnn (registry
names ece285_<variant>). Trains on the embedded RGB images by default; point
--config.data.train="{'kind': 'folder', 'path': 'your/train/folder'}" (with
--config.data.train_split=data) at a real training set (the assignment used
BSDS300 train). Validation: 8 CBSD68 images at sigma=30. The assignment reports
about 29.5-30 dB (DnCNN < UDnCNN ~ DUDnCNN) after 200 epochs on BSDS300.

As the course: the networks see images in [-1, 1] (its Normalize((.5, .5, .5),
(.5, .5, .5))) with noise 2/255 sigma randn there (``data.value_range``; the
residual networks are not scale-invariant through their biases, so the range
matters; ``zero_one`` is jaxrestore's usual [0, 1]); training and validation log
its PSNR ``10 log10(4 n / ||y - d||^2)`` per mini-batch on [-1, 1]
(``psnr_ece285``) beside the uint8 PSNR; random 180x180 crops and no flips or
rotations (``data.augment``). Its test protocol, one random 320x320 crop of each
test image with fresh noise, is ``--config.eval.random_crop=320`` (the default
evaluates whole images with the standard seeded noise).
"""
from jaxrestore.config_defaults import base_config

VARIANTS = ("dncnn", "udncnn", "dudncnn")


def get_config(arg="dncnn"):
  if arg not in VARIANTS:
    raise ValueError(f"configs/ece285.py: unknown variant {arg!r}; known: {', '.join(VARIANTS)}")
  c = base_config()
  c.model = f"ece285_{arg}"
  c.data.train = {"kind": "skimage", "config": "rgb"}
  c.data.train_split = "train"
  c.data.val = {"kind": "folder", "path": "../shared/data/color/cbsd68"}
  c.data.val_split = "data"
  c.data.channels = 3
  c.data.crop = 180
  c.data.augment = False  # the course: random crops only
  c.data.value_range = "minus_one_one"  # the course's [-1, 1]
  c.data.batch_size = 4
  c.data.noise.sigma = 30.0
  c.eval.sigma = 30.0
  c.eval.max_images = 8
  c.optimizer.lr = 1e-3
  c.num_steps = 20_000
  c.log_every = 50
  c.eval_every = 1000
  c.checkpoint_every = 1000
  return c
