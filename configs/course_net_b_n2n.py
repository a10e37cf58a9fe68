"""EE-559 course net B (strided convs + upsampling) trained noise-to-noise on 32x32 RGB crops.

    python scripts/train.py --config=configs/course_net_b_n2n.py --workdir=workdirs/course_net_b

The projects' best settings: SGD momentum 0.9, lr 0.01, batch 4. Use
--config.model=course_net_a for the conv/transpose-conv net (kernel 2, stride 1,
padding 1; other geometries via --config.model_kwargs="{'kernel_size': 3}").
Embedded data, evaluated against clean images at sigma=25. Measured: 5000 steps
in ~7 minutes on 2 CPU cores (~11 it/s), final eval psnr 24.65 dB, ssim 0.69
(noisy input ~20.6 dB).
"""
from jaxrestore.config_defaults import course_net_config


def get_config():
  return course_net_config("course_net_b")
