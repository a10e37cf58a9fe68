"""Runs N processes of a command on this machine as one JAX job:

    python scripts/launch_local.py --num_processes=2 --cpu_devices=2 -- \
        python scripts/train.py --config=configs/smoke.py --workdir=workdirs/smoke_2x2
"""
from jaxrestore.cli import launch_local

if __name__ == "__main__":
  launch_local.run()
