"""Converts torchvision's VGG16 (for the Attentive GAN's perceptual loss) to a model dir.

    python scripts/port.py --config=configs/port_vgg16.py \
        --config.src=/path/to/vgg16-397923af.pth --config.dst=models/vgg16

Keeps ``features.*`` (strictly: names and shapes), drops exactly ``classifier.*``.
Then train with --config.gan.vgg=models/vgg16. Nothing is downloaded: the .pth is yours.
"""
import ml_collections


def get_config():
  c = ml_collections.ConfigDict()
  c.src = ""
  c.dst = "models/vgg16"
  c.model = "vgg16"
  c.model_kwargs = ml_collections.ConfigDict()
  c.checkpoint_key = ""
  c.checkpoint_rename = ()
  c.merge_bn = False
  c.inspect = False
  return c
