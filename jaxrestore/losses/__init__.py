"""Losses. Pixel losses here; model-specific ones in their own modules."""
from jaxrestore.losses.pixel import get_pixel_loss, l1, mse, sum_squared_half

__all__ = ["get_pixel_loss", "l1", "mse", "sum_squared_half"]
