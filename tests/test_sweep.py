"""One-jit sweeps: vmapped configurations equal separate runs; ranking, outputs, divergence."""
import csv

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxrestore import explicit, sweep
from recipes import load_config

HP = [dict(lr=0.05, momentum=0.9, weight_decay=0.0, seed=0),
      dict(lr=0.02, momentum=0.0, weight_decay=1e-2, seed=1),
      dict(lr=0.1, momentum=0.5, weight_decay=1e-3, seed=0),
      dict(lr=0.01, momentum=0.9, weight_decay=0.0, seed=2)]


@pytest.mark.parametrize("nesterov,dampening", [(False, 0.1), (True, 0.0)])
def test_vmapped_configs_equal_separate_runs(nesterov, dampening):
  net = explicit.course_net_b(channels=(4, 8))
  rng = np.random.RandomState(0)
  xs = jnp.asarray(rng.rand(6, 2, 16, 16, 3), jnp.float32)
  ts = jnp.asarray(np.clip(np.asarray(xs) + rng.normal(0, 0.1, xs.shape), 0, 1), jnp.float32)

  params, opt = sweep.init_stacked(net, [h["seed"] for h in HP])
  hp = {k: jnp.asarray([h[k] for h in HP], jnp.float32) for k in sweep.HYPER}
  chunk = sweep.make_train_chunk(net, dampening, nesterov)
  params, opt, l1 = chunk(params, opt, hp, xs[:3], ts[:3])  # two calls: state carries over
  params, opt, l2 = chunk(params, opt, hp, xs[3:], ts[3:])
  losses = np.concatenate([l1, l2])

  step = jax.jit(sweep.make_step(net, dampening, nesterov))
  for i, h in enumerate(HP):
    p = net.init(jax.random.PRNGKey(h["seed"]))
    o = explicit.sgd_init(p)
    one = {k: jnp.float32(h[k]) for k in sweep.HYPER}
    for s in range(6):
      p, o, loss = step(p, o, one, xs[s], ts[s])
      np.testing.assert_allclose(losses[s, i], loss, rtol=1e-5, atol=1e-7)
    for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(jax.tree.map(lambda v: v[i], params))):
      np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
  # the configurations really differ (a vmap that broadcast one config would fail above too)
  assert np.ptp(losses[-1]) > 1e-4


def test_rank_puts_diverged_last():
  mk = lambda psnr, div: sweep.Result(4, 0, 0.1, 0.0, 0.0, 0.1, psnr, div)  # noqa: E731
  ranked = sweep.rank([mk(20.0, False), mk(float("nan"), True), mk(25.0, False)])
  assert [r.psnr for r in ranked][:2] == [25.0, 20.0] and ranked[2].diverged
  assert [r.rank for r in ranked] == [1, 2, 3]


@pytest.mark.slow
def test_run_sweep_writes_ranked_outputs_and_survives_divergence(tmp_path, data_cache):
  c = load_config("sweep_course_net.py")
  c.model_kwargs.channels = (4, 8)
  c.data.cache_dir = str(data_cache)
  c.num_steps = 4
  c.sweep = dict(lr=(0.05,), momentum=(0.0,), weight_decay=(0.0, 1e30), batch_size=(2, 4),
                 seed=(0,), steps_per_call=2, val_crop=32, val_images=2)
  results = sweep.run_sweep(c, tmp_path)
  assert len(results) == 4
  rows = list(csv.DictReader(open(tmp_path / "sweep.csv")))
  assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4]
  assert [r["diverged"] for r in rows] == ["False", "False", "True", "True"]
  assert {float(r["weight_decay"]) for r in rows[2:]} == {1e30}  # overflows to inf/NaN
  assert all(np.isfinite(float(r["psnr"])) for r in rows[:2])
  assert (tmp_path / "sweep.png").stat().st_size > 10_000
  assert (tmp_path / "sweep.json").exists()
  with pytest.raises(FileExistsError, match="not overwritten"):
    sweep.run_sweep(c, tmp_path)
