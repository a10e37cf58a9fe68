"""jaxrestore: image restoration models in JAX/Flax NNX with PyTorch twins.

Images are float32 NHWC in [0, 1] everywhere inside this package.
"""
from jaxrestore import xla_cpu

xla_cpu.apply()

__version__ = "0.1.0"
