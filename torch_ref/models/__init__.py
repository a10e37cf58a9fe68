"""Model registry of the PyTorch twins: ``create(name, **kwargs)``.

Names and keyword arguments are the same as in ``jaxrestore.models``.
"""
from torch_ref.models import attentive_gan, course_nets, desnownet, dncnn, n2n_unet, vgg
from torch_ref.models.dncnn import merge_bn
from torch_ref.models.registry import create, names, register

__all__ = ["create", "merge_bn", "names", "register", "attentive_gan", "course_nets", "desnownet", "dncnn",
           "n2n_unet", "vgg"]
