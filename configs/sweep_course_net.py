"""Grid search of the EE-559 course net B's SGD settings, all configurations in one jit.

    python scripts/sweep.py --config=configs/sweep_course_net.py --workdir=workdirs/sweep

4 learning rates x 3 momenta x 2 weight decays = 24 configurations of the
explicit-backward net, trained together (vmapped) noise-to-noise on 32x32 crops
of the embedded images for 1000 steps at batch 4, validated on 64x64 centre
crops at sigma=25. Writes sweep.csv (ranked), sweep.png and sweep.json.
Measured with --config.num_steps=500: 519 s on 2 CPU cores; best lr=0.03 with
momentum 0.9 (19.35 dB, the noisy input 21.29 dB: 500 steps rank learning speed;
the same net reaches 24.65 dB after 5000 steps, configs/course_net_b_n2n.py).
Add batch sizes with --config.sweep.batch_size="(4, 16)" (one program per size)
and init seeds with --config.sweep.seed="(0, 1)".
"""
from jaxrestore.config_defaults import course_net_config


def get_config():
  c = course_net_config("course_net_b")
  c.num_steps = 1000
  c.sweep = dict(lr=(0.001, 0.003, 0.01, 0.03), momentum=(0.0, 0.5, 0.9),
                 weight_decay=(0.0, 1e-3), batch_size=(4,), seed=(0,), steps_per_call=50,
                 val_crop=64, val_images=0)
  return c
