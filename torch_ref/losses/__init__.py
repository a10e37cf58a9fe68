"""Losses of the PyTorch twins (NCHW); same names as ``jaxrestore.losses``."""
from torch_ref.losses.desnow import desnow_loss, pyramid_loss

__all__ = ["desnow_loss", "pyramid_loss"]
