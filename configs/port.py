"""Converts checkpoints between PyTorch and jaxrestore.

    python scripts/port.py --config=configs/port.py \
        --config.src=../shared/data/checkpoints/kair_dncnn_25.pth --config.dst=outputs/dncnn25
    python scripts/port.py --config=configs/port.py --config.src=outputs/dncnn25 \
        --config.dst=outputs/dncnn25_back.pth

Expected: 'wrote <dst>'; the round trip .pth equals the original tensor for tensor.
"""
import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.src = ""
  c.dst = ""
  c.model = "kair_dncnn17_merged"  # the model a torch .pth holds
  c.model_kwargs = ml_collections.ConfigDict()
  c.checkpoint_key = ""
  return c
