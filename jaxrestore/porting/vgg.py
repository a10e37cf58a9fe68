"""Torch key names of VGG-16 (``features.N``, torchvision's indices) and loading a full
torchvision checkpoint.

A torchvision ``vgg16`` state dict also holds ``classifier.{0,3,6}.*``, which this
feature extractor does not have. Strict porting refuses them like any unknown key; reading
a file (``porting.load_checkpoint(path, "vgg16")``, ``scripts/port.py
--config=configs/port_vgg16.py``) drops exactly the keys starting with
``classifier.`` and ports the rest strictly (any other unknown or missing key is
still an error).
"""
from jaxrestore.models.vgg import VGG16
from jaxrestore.porting.mapping import leaves_by_attribute_path, register_file_adapter, register_model

register_model(VGG16)(leaves_by_attribute_path)


@register_file_adapter(VGG16)
def vgg16_features_state(state: dict) -> dict:
  """``state`` without its ``classifier.*`` keys (a torchvision vgg16 -> ``VGG16``)."""
  return {k: v for k, v in state.items() if not k.startswith("classifier.")}
