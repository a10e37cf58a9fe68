"""XLA CPU settings that ``import jaxrestore`` applies before JAX's backend starts.

jaxlib 0.10 hands every CPU convolution to YNNPACK ("individual_convolution" YNN
fusions). On the 2-core machines this project is measured on, those run on one
thread and the kernel-gradient convolution takes 4x as long as the forward one;
XLA's own (Eigen) convolutions use every core. Turning the YNN convolution fusion
off made the DnCNN-17 train step (batch 16, 40x40) 2.2x faster and the N2N U-Net
step 2.1x faster (docs/performance.md, "Measured changes").

Flags only take effect if set before the first JAX computation, so they are added
to ``XLA_FLAGS`` at import time. A flag the user already sets in ``XLA_FLAGS`` is
left alone; ``JAXRESTORE_XLA_DEFAULTS=0`` turns the whole mechanism off (the
bench uses it to measure the change).
"""
import os
import sys
import warnings
from collections.abc import MutableMapping

FLAGS = ("--xla_cpu_experimental_ynn_fusion_type=-individual_convolution",)
OPT_OUT = "JAXRESTORE_XLA_DEFAULTS"


def _backend_started() -> bool:
  bridge = sys.modules.get("jax._src.xla_bridge")
  return bridge is not None and bridge.backends_are_initialized()


def apply(environ: MutableMapping[str, str] = os.environ) -> tuple[str, ...]:
  """Adds the missing ``FLAGS`` to ``environ["XLA_FLAGS"]``; returns the ones added."""
  if environ.get(OPT_OUT, "1") == "0":
    return ()
  current = environ.get("XLA_FLAGS", "")
  missing = tuple(f for f in FLAGS if f.split("=", 1)[0] not in current)
  if not missing:
    return ()
  if _backend_started():
    warnings.warn(f"JAX's backend started before jaxrestore was imported, so {missing} "
                  "cannot apply and CPU convolutions run slower: import jaxrestore before "
                  "the first JAX computation, or set XLA_FLAGS yourself "
                  "(see jaxrestore/xla_cpu.py)", stacklevel=3)
    return ()
  environ["XLA_FLAGS"] = " ".join([current, *missing]).strip()
  return missing
