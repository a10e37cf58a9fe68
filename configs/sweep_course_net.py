"""Grid search of the EE-559 course net B's SGD settings, all configurations in one jit.

    python scripts/sweep.py --config=configs/sweep_course_net.py --workdir=workdirs/sweep

4 learning rates x 3 momenta x 2 weight decays = 24 configurations of the
explicit-backward net, trained together (vmapped) noise-to-noise on 32x32 crops
of the embedded images (Gaussian noise sigma ~ U[0, 50] per image) for 1000
steps at batch 4, validated on 64x64 centre crops at sigma=25. Writes sweep.csv
(ranked), sweep.png and sweep.json.
Measured with --config.num_steps=500: 519 s on 2 CPU cores; best lr=0.03 with
momentum 0.9 (19.35 dB, the noisy input 21.29 dB: 500 steps rank learning speed;
the same net reaches 24.65 dB after 5000 steps, configs/course_net_b_n2n.py).
Add batch sizes with --config.sweep.batch_size="(4, 16)" (one program per size)
and init seeds with --config.sweep.seed="(0, 1)".
"""
import ml_collections

from jaxrestore.config_defaults import base_config


def get_config():
  c = base_config()
  c.model = "course_net_b"
  c.data.train = {"kind": "skimage", "config": "rgb"}
  c.data.val = {"kind": "skimage", "config": "rgb"}
  c.data.channels = 3
  c.data.mode = "noise2noise"
  c.data.crop = 32
  c.data.noise.sigma_min = 0.0
  c.data.noise.sigma_max = 50.0
  c.eval.sigma = 25.0
  c.optimizer.name = "sgd"  # lr, momentum and weight decay: the grid's
  c.num_steps = 1000
  c.sweep = ml_collections.ConfigDict({
      "lr": (0.001, 0.003, 0.01, 0.03), "momentum": (0.0, 0.5, 0.9),
      "weight_decay": (0.0, 1e-3), "batch_size": (4,), "seed": (0,),
      "steps_per_call": 50,  # steps per jitted call
      "val_crop": 64, "val_images": 0})  # 0: all validation images
  return c
