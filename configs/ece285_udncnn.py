"""ECE285 UDnCNN (D=6, C=64, RGB), sigma=30, 180x180 crops, Adam 1e-3, batch 4.

    python scripts/train.py --config=configs/ece285_udncnn.py --workdir=workdirs/ece285_udncnn

Trains on the embedded RGB images by default; point
--config.data.train="{'kind': 'folder', 'path': 'your/train/folder'}" (with
--config.data.train_split=data) at a real training set (the assignment used
BSDS300 train). Validation: 8 CBSD68 images at sigma=30. The assignment reports
about 29.5-30 dB (DnCNN < UDnCNN ~ DUDnCNN) after 200 epochs on BSDS300.
"""
from jaxrestore.config_defaults import ece285_config


def get_config():
  return ece285_config("ece285_udncnn")
