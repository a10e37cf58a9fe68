"""Flax NNX models. ``create(name, rngs=..., **kwargs)`` builds any registered model."""
from jaxrestore.models import course_nets, desnownet, dncnn, n2n_unet
from jaxrestore.models.registry import create, names, register

__all__ = ["create", "names", "register", "course_nets", "desnownet", "dncnn", "n2n_unet"]
