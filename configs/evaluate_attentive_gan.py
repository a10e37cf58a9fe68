"""Evaluates an Attentive GAN generator on the test splits of a Raindrop-layout folder.

    python scripts/evaluate.py --config=configs/evaluate_attentive_gan.py \\
        --config.checkpoint=workdirs/attentive_gan_cpu --config.data_dir=data/raindrop_synth

As the authors' script: H and W cropped to multiples of 4, PSNR and SSIM on the
BT.601 luma of the uint8 output (the paper: 31.57 dB / 0.9023 on test_a).
per_image_{test_a,test_b}.csv and rainy | attention | output | clean grids in
output_dir. The checkpoint is a training workdir, a model directory, or a torch
.pth of the official ``Generator`` (then also --config.channel_order=bgr: it was
trained on cv2's BGR images).
"""
import ml_collections


def get_config():
  config = ml_collections.ConfigDict()
  config.task = "derain"
  config.checkpoint = "workdirs/attentive_gan"
  config.checkpoint_key = ""
  config.checkpoint_rename = ()  # ((regex, replacement), ...) for a torch file's keys
  config.model = "attentive_gan_generator"
  config.model_kwargs = ml_collections.ConfigDict()
  config.channel_order = "rgb"  # rgb | bgr (weights trained on BGR input)
  config.data_dir = "data/raindrop"
  config.splits = ("test_a", "test_b")
  config.cache_dir = ""
  config.output_dir = "outputs/evaluate_attentive_gan"
  config.save_grids = True
  return config
