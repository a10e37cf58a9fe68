"""Losses of the PyTorch twins (NCHW); same names as ``jaxrestore.losses``."""
from torch_ref.losses import derain
from torch_ref.losses.desnow import desnow_loss, pyramid_loss

__all__ = ["derain", "desnow_loss", "pyramid_loss"]
