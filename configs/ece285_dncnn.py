"""ECE285 DnCNN / UDnCNN / DUDnCNN (D=6, C=64, RGB), sigma=30, 180x180 crops, Adam 1e-3, batch 4.

    python scripts/train.py --config=configs/ece285_dncnn.py --workdir=workdirs/ece285_dncnn
    python scripts/train.py --config=configs/ece285_dncnn.py --config.model=ece285_udncnn ...
    python scripts/train.py --config=configs/ece285_dncnn.py --config.model=ece285_dudncnn ...

Training set: any folder of RGB images (the assignment used BSDS300 train;
here CBSD68 is the available colour set, so point --config.data.train.path at your
own training folder and keep CBSD68 for validation). The assignment reports
~29.5-30 dB on its test images after 200 epochs; the embedded default data gives
a quick run with ``--config.data.train='{"kind":"skimage","config":"rgb"}'``.
"""
from jaxrestore.config_defaults import base_config


def get_config():
  c = base_config()
  c.model = "ece285_dncnn"
  c.data.train = {"kind": "skimage", "config": "rgb"}
  c.data.train_split = "train"
  c.data.val = {"kind": "folder", "path": "../shared/data/color/cbsd68"}
  c.data.val_split = "data"
  c.data.channels = 3
  c.data.crop = 180
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
