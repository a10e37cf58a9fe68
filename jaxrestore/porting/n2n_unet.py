"""Torch key names of the N2N U-Net: the attribute names are the same in both trees."""
from jaxrestore.models.n2n_unet import N2NUNet
from jaxrestore.porting.mapping import register_model

CONVS = ["enc_conv0", "enc_conv1", "enc_conv2", "enc_conv3", "enc_conv4", "enc_conv5",
         "enc_conv6", "dec_conv5", "dec_conv5b", "dec_conv4", "dec_conv4b", "dec_conv3",
         "dec_conv3b", "dec_conv2", "dec_conv2b", "dec_conv1a", "dec_conv1b", "dec_conv1"]


@register_model(N2NUNet)
def _n2n_unet(model: N2NUNet):
  for name in CONVS:
    yield name, getattr(model, name)
