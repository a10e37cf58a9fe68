"""Torch key names of DesnowNet: the attribute paths, identical in both trees."""
from jaxrestore.models.desnownet import DesnowNet
from jaxrestore.porting.mapping import leaves_by_attribute_path, register_model

register_model(DesnowNet)(leaves_by_attribute_path)
