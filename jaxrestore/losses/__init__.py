"""Losses. Pixel losses here; model-specific ones in their own modules."""
from jaxrestore.losses import derain
from jaxrestore.losses.desnow import desnow_loss, pyramid_loss
from jaxrestore.losses.pixel import get_pixel_loss, l1, mse, sum_squared_half

__all__ = ["derain", "desnow_loss", "get_pixel_loss", "l1", "mse", "pyramid_loss", "sum_squared_half"]
