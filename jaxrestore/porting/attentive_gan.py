"""Torch key names of the Attentive GAN: the attribute paths (the authors' layout).

Every layer group is an ``nn.Sequential`` in torch and an ``nnx.List`` here, so
``leaves_by_attribute_path`` gives the official keys (``deconv1.0.weight``,
``fc.0.weight``). Registers the ``nnx.Linear`` leaf (torch weight (out, in) <->
kernel (in, out)); the ``ConvTranspose2d`` leaf is registered by ``course_nets``.
"""
import numpy as np
from flax import nnx

from jaxrestore.models.attentive_gan import Discriminator, Generator
from jaxrestore.porting import course_nets  # noqa: F401  (registers the ConvTranspose2d leaf)
from jaxrestore.porting.mapping import leaves_by_attribute_path, register_leaf, register_model

_linear_kernel = (lambda w: np.transpose(w), lambda k: np.transpose(k))  # (out, in) <-> (in, out)


@register_leaf(nnx.Linear)
def _linear_leaves(m: nnx.Linear):
  yield "weight", "kernel", _linear_kernel
  if m.bias is not None:
    yield "bias", "bias", (lambda a: a, lambda a: a)


register_model(Generator)(leaves_by_attribute_path)
register_model(Discriminator)(leaves_by_attribute_path)
