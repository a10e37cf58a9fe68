r"""Converts checkpoints between PyTorch and jaxrestore; inspects a file that does not fit.

    python scripts/port.py --config=configs/port.py \
        --config.src=../shared/data/checkpoints/kair_dncnn_25.pth --config.dst=outputs/dncnn25
    python scripts/port.py --config=configs/port.py --config.src=outputs/dncnn25 \
        --config.dst=outputs/dncnn25_back.pth

Expected: 'wrote <dst>'; the round trip .pth equals the original tensor for tensor.
A ``dst`` ending ``.safetensors`` writes safetensors. A checkpoint whose names differ
from the model's: ``--config.inspect=True`` prints both and the rename rules that
would map them; pass them back with ``--config.checkpoint_rename="((r'^dncnn\.', 'model.'),)"``.
``--config.merge_bn=True`` folds BatchNorm into the convs (e.g. ``kair_dncnn17`` ->
a ``kair_dncnn17_merged`` file in KAIR's released layout).
"""
import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.src = ""
  c.dst = ""
  c.model = "kair_dncnn17_merged"  # the model a torch file holds
  c.model_kwargs = ml_collections.ConfigDict()
  c.checkpoint_key = ""  # entry of a wrapped file, nested with '/'
  c.checkpoint_rename = ()  # ((regex, replacement), ...) applied in order to every key
  c.merge_bn = False  # fold BatchNorm into the preceding convs (DnCNN family)
  c.inspect = False  # print the file beside the model instead of converting
  return c
