"""DnCNN-17 (KAIR, with BN), sigma=25, on BSD train400: the KAIR recipe.

    python scripts/train.py --config=configs/dncnn17_sigma25.py --workdir=workdirs/dncnn17_s25

40x40 random crops with the 8 flips/rotations, batch 128, Adam 1e-4 halved at
the KAIR milestones, MSE on the clean image (output = x - net(x)), KAIR's init
(orthogonal convs with gain 0.2, BN weight U(0.1, 1): the preset's ``init='kair'``).
Validation: Set12 at sigma=25 with the standard protocol. Expected with the full
schedule (hundreds of epochs; GPU-days on CPU): ~30.4 dB on Set12, 29.2 dB on BSD68.
Measured on 2 CPU cores, before the preset took KAIR's init (He-normal then): ~15
s/step; after 200 steps (68 CPU-minutes) Set12 21.67 dB, BSD68 21.93 dB (noisy
input: 20.37 / 20.50 dB), still rising.
Differences from KAIR: random crops instead of a fixed patch set; MSE rather
than KAIR's L1 default (the DnCNN paper's loss).
"""
from jaxrestore.config_defaults import base_config


def get_config():
  c = base_config()
  c.model = "kair_dncnn17"
  c.data.train = {"kind": "folder", "path": "../shared/data/bsd/train400"}
  c.data.train_split = "data"
  c.data.val = {"kind": "folder", "path": "../shared/data/bsd/set12"}
  c.data.val_split = "data"
  c.data.channels = 1
  c.data.crop = 40
  c.data.batch_size = 128
  c.data.num_workers = 1
  c.optimizer.lr = 1e-4
  c.optimizer.schedule.name = "multistep"
  c.optimizer.schedule.gamma = 0.5
  c.optimizer.schedule.milestones = (200_000, 400_000, 600_000, 800_000, 1_000_000)
  c.num_steps = 1_000_000
  c.log_every = 10
  c.eval_every = 100
  c.checkpoint_every = 100
  c.eval.max_images = 0
  return c
