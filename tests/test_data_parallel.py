"""Data parallel: the batch split over 4 CPU devices gives the 1-device result."""
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import sys, jax, numpy as np
    from jaxrestore.config_defaults import base_config
    from jaxrestore import train
    assert jax.device_count() == 4, jax.devices()
    def cfg(n):
      c = base_config()
      c.model = "dncnn"; c.model_kwargs.depth = 4; c.model_kwargs.features = 8
      c.data.cache_dir = sys.argv[1]; c.data.batch_size = 8; c.data.crop = 24
      # SGD, not Adam: Adam's first steps are lr * sign(g) for gradients that are ~0
      # (conv biases in front of BN), so float reduction order alone moves them by lr.
      c.optimizer.name = "sgd"; c.optimizer.momentum = 0.9; c.optimizer.lr = 0.05
      c.num_steps = 5; c.log_every = 5; c.checkpoint_every = 5
      c.data.val = None; c.num_devices = n
      return c
    one, _ = train.train_and_evaluate(cfg(1), sys.argv[2] + "/one")
    four, _ = train.train_and_evaluate(cfg(4), sys.argv[2] + "/four")
    assert len(jax.tree.leaves(four.params)[0].sharding.device_set) == 4
    for a, b in zip(jax.tree.leaves((one.params, one.buffers)), jax.tree.leaves((four.params, four.buffers))):
      np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    print("OK")
""")


@pytest.mark.slow
def test_four_devices_match_one(tmp_path, data_cache):
  env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
         "JAX_PLATFORMS": "cpu"}
  out = subprocess.run([sys.executable, "-c", SCRIPT, str(data_cache), str(tmp_path)], env=env,
                       capture_output=True, text=True, timeout=600)
  assert out.returncode == 0 and "OK" in out.stdout, out.stderr[-3000:]
