"""EE-559 course net B (strided convs + upsampling) trained noise-to-noise on 32x32 RGB crops.

    python scripts/train.py --config=configs/course_net_b_n2n.py --workdir=workdirs/course_net_b

The source's final model: widths (16, 32), down kernel 2, up kernel 5, Xavier init
(the preset's default), SGD with Nesterov momentum 0.9, lr 0.01, batch 4. Use
--config.model=course_net_a for the conv/transpose-conv net (kernel 2, stride 1,
padding 1, at this recipe's widths; the source's net A is
--config.model_kwargs="{'channels': (32, 64)}", other geometries add 'kernel_size' etc.).
Trains on the embedded images and validates on their held-out split, so it runs
anywhere; Gaussian noise sigma ~ U[0, 50] per image (the course's pairs had
unspecified real noise), evaluated against clean images at sigma=25. Measured:
5000 steps in ~20 minutes on 2 CPU cores shared with other jobs, final eval psnr
24.43 dB, ssim 0.69 (noisy input ~20.6 dB).
"""
from jaxrestore.config_defaults import base_config


def get_config():
  c = base_config()
  c.model = "course_net_b"  # Xavier init: the preset's default, as the source
  c.model_kwargs.channels = (16, 32)  # the final model's widths (down kernel 2, up kernel 5)
  c.data.train = {"kind": "skimage", "config": "rgb"}
  c.data.val = {"kind": "skimage", "config": "rgb"}
  c.data.channels = 3
  c.data.mode = "noise2noise"
  c.data.crop = 32
  c.data.batch_size = 4
  c.data.noise.sigma_min = 0.0
  c.data.noise.sigma_max = 50.0
  c.eval.sigma = 25.0
  c.optimizer.name = "sgd"
  c.optimizer.lr = 0.01
  c.optimizer.momentum = 0.9
  c.optimizer.nesterov = True
  c.num_steps = 5000
  c.log_every = 100
  c.eval_every = 2500
  c.checkpoint_every = 1000
  return c
