"""Evaluates an Attentive GAN generator on the test splits of a Raindrop-layout folder.

    python scripts/evaluate.py --config=configs/evaluate_attentive_gan.py \\
        --config.checkpoint=workdirs/attentive_gan_cpu --config.data_dir=data/raindrop_synth

As the authors' script: H and W cropped to multiples of 4, the float output
x255 and cast to uint8 as their predict.py (``np.array(out * 255., dtype='uint8')``:
toward zero, not clipped; ``uint8_cast="truncate"``, the default here;
``--config.uint8_cast=round`` clips and rounds as the other evaluations), PSNR
and SSIM on the BT.601 luma of the uint8 output (the paper: 31.57 dB / 0.9023 on
test_a).
per_image_{test_a,test_b}.csv and rainy | attention | output | clean grids in
output_dir. The checkpoint is a training workdir, a model directory, or a torch
.pth of the official ``Generator`` (then also --config.channel_order=bgr: it was
trained on cv2's BGR images).
"""
from jaxrestore.config_defaults import base_evaluate_config


def get_config():
  c = base_evaluate_config()
  c.task = "derain"
  c.checkpoint = "workdirs/attentive_gan"
  c.model = "attentive_gan_generator"
  c.data_dir = "data/raindrop"
  c.splits = ("test_a", "test_b")
  c.uint8_cast = "truncate"  # DeRaindrop's predict.py; "round": clip and round
  c.output_dir = "outputs/evaluate_attentive_gan"
  return c
