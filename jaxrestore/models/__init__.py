"""Flax NNX models. ``create(name, rngs=..., **kwargs)`` builds any registered model."""
from jaxrestore.models import attentive_gan, course_nets, desnownet, dncnn, n2n_unet, vgg
from jaxrestore.models.registry import RestorationModel, create, names, register

__all__ = ["RestorationModel", "create", "names", "register", "attentive_gan", "course_nets", "desnownet", "dncnn",
           "n2n_unet", "vgg"]
