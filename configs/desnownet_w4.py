"""DesnowNet with Inception-v4 widths / 4 (the public re-implementation's smaller model).

    python scripts/synth_snow.py --config=configs/synth_snow.py --config.out=data/snow
    python scripts/train.py --config=configs/desnownet_w4.py --workdir=workdirs/desnownet_w4

Recipe of jaxrestore.config_defaults.desnownet_config; real Snow100K: point
--config.data.train.path and --config.data.val.path at its root (train/ or all/,
test/Snow100K-{S,M,L}/). Pooling replaced by 3x3 conv units (27M parameters);
--config.model_kwargs.pool=pool keeps stride-1 pooling (9M). On a 2-core CPU a
step takes tens of seconds: this is a GPU config (the CPU run is
configs/desnownet_cpu.py).
"""
from jaxrestore.config_defaults import desnownet_config


def get_config():
  return desnownet_config(4)
