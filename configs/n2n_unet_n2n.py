"""N2N U-Net trained noise-to-noise (target: a second noisy draw), gray train400.

    python scripts/train.py --config=configs/n2n_unet_n2n.py --workdir=workdirs/n2n_unet_n2n

Gaussian noise with sigma ~ U[0, 50] per image, 128x128 crops, batch 8, Adam
3e-4 (beta2 0.99), L2. Evaluated against clean BSD68 at sigma=25. Lehtinen et
al. find n2n and n2c nearly equal; compare this run with configs/n2n_unet_n2c.py
at equal steps. Without ../shared, train on the embedded images with
--config.data.train="{'kind': 'skimage', 'config': 'gray'}" --config.data.train_split=train.
"""
from jaxrestore.config_defaults import n2n_config


def get_config():
  return n2n_config("noise2noise")
