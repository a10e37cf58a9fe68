"""Sweeps: the grid over any config key, groups, incompatible shapes, data, stages, repeats,
outputs and resume; vmapped groups equal separate runs."""
import csv
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxrestore import errors, explicit, sweep
from jaxrestore.models import registry
from jaxrestore.porting import mapping
from recipes import load_config


def tiny_config():
  """Net A on 8x8 crops of the embedded images: 2 groups trainable, 2 incompatible
  (kernel 2, stride 2, padding 1: 8 -> 5 -> 3 -> 4 -> 6, as in the source's table)."""
  c = load_config("sweep_course_net_a.py")
  c.sweep.images = ""  # the embedded images: no ../shared needed
  c.sweep.train_pairs = 48
  c.data.crop, c.data.batch_size = 8, 4
  c.sweep.val_images, c.sweep.val_crops, c.sweep.val_crop = 2, 2, 8
  c.sweep.axes = (("optimizer.lr", (0.5, 0.1)), ("model_kwargs.channels", ((2, 4), (4, 4))),
                  (("model_kwargs.kernel_size", "model_kwargs.stride", "model_kwargs.padding"),
                   ((2, 1, 1), (2, 2, 1))))
  c.sweep.repeats = 2
  c.sweep.max_lanes = 0  # whole groups (the chunk test sets its own)
  c.sweep.stages = ((24, 1, 2), (48, 1, 1))
  c.sweep.table_rows = 3
  return c


# --- the grid -------------------------------------------------------------------------------


def test_grid_takes_any_key_zipped_keys_and_groups_by_static_values():
  c = load_config("sweep_course_net_a.py")
  # the source's net A (32 and 64 channels, plain SGD), not the net-B recipe it starts from
  assert (c.model_kwargs.channels, c.optimizer.momentum, c.optimizer.nesterov) == (
      (32, 64), 0.0, False)
  # its lr 1e-4 on a summed MSE is lr 1e-4 * N on our mean, exactly only without momentum
  # or weight decay
  assert c.optimizer.lr == pytest.approx(1e-4 * 10 * 3 * 32 * 32) and (
      c.data.batch_size, c.data.crop, c.optimizer.weight_decay) == (10, 32, 0.0)
  rows = sweep.grid(c.sweep)
  assert len(rows) == 7 and rows[4] == {"model_kwargs.kernel_size": 2, "model_kwargs.stride": 1,
                                        "model_kwargs.padding": 1, "model_kwargs.dilation": 1}
  b = load_config("sweep_course_net_b.py")
  # net A trains in the framework project's explicit engine, net B by autodiff (faster)
  assert (c.sweep.engine, b.sweep.engine) == ("explicit", "autodiff")
  settings = sweep.grid(b.sweep)
  assert len(settings) == 576
  grouped = sweep.groups(settings)
  # lr, momentum and Nesterov are traced (one program); widths, kernels and batch split groups
  assert len(grouped) == 4 * 2 * 2 * 3 and all(len(m) == 12 for _, m in grouped)
  for gid, members in grouped:
    assert len({sweep.group_id(m) for m in members}) == 1 and "optimizer.lr" not in gid
  cfg = sweep.apply(b, settings[-1])
  assert (cfg.data.batch_size, cfg.optimizer.nesterov, cfg.model_kwargs.down_kernel) == (
      64, False, 4) and b.data.batch_size == 4  # a copy: the base config is unchanged
  with pytest.raises(errors.ConfigError, match="'data.batchsize' is not a config key"):
    sweep.apply(b, {"data.batchsize": 4})
  b.sweep.axes = ((("optimizer.lr", "optimizer.momentum"), ((0.1, 0.9), (0.1,))),)
  with pytest.raises(errors.ConfigError, match="one value for each"):
    sweep.grid(b.sweep)


def test_a_sweep_refuses_bfloat16_or_an_unknown_engine_before_building_anything(tmp_path):
  c = tiny_config()
  c.precision = "bfloat16"  # the explicit-backward nets compute in float32 only
  with pytest.raises(errors.ConfigError, match="config.precision must be 'float32'"):
    sweep.run_sweep(c, tmp_path / "sweep")
  assert not (tmp_path / "sweep").exists()
  c.precision = "float32"
  c.sweep.engine = "autograd"
  with pytest.raises(errors.ConfigError, match="sweep.engine must be one of"):
    sweep.run_sweep(c, tmp_path / "sweep")
  assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("model,kwargs,crop,fits", [
    ("course_net_b", dict(down_kernel=2), 32, True),
    ("course_net_b", dict(down_kernel=2), 30, False),  # 30 -> 15 -> 7 -> 14 -> 28
    ("course_net_a", dict(kernel_size=2, stride=1, padding=0), 32, True),
    ("course_net_a", dict(kernel_size=2, stride=2, padding=0), 32, True),
    ("course_net_a", dict(kernel_size=2, stride=2, padding=1), 32, False),  # the source's too
])
def test_incompatible_shapes_are_found_without_running(model, kwargs, crop, fits):
  c = load_config("sweep_course_net_b.py")
  c.model, c.data.crop = model, crop
  c.model_kwargs.update(kwargs)
  error = sweep.check_shapes(c, sweep.build_net(c), (4, crop, crop, 3))
  assert (error == "") == fits, error
  assert fits or "shapes" in error


def test_rank_orders_ok_by_psnr_then_diverged_incompatible_invalid():
  rows = [sweep._row({"i": 0}, sweep.INCOMPATIBLE), sweep._row({"i": 1}, sweep.OK, pf=[20.0]),
          sweep._row({"i": 2}, sweep.DIVERGED), sweep._row({"i": 3}, sweep.OK, pf=[25.0, 23.0]),
          sweep._row({"i": 4}, sweep.INVALID)]
  ranked = sweep.rank(rows)
  assert [r["setting"]["i"] for r in ranked] == [3, 1, 2, 0, 4]
  assert ranked[0]["psnr_float_mean"] == 24.0 and ranked[0]["psnr_float_std"] == 1.0


# --- data -----------------------------------------------------------------------------------


def test_pairs_and_validation_are_held_out_fixed_and_independently_noisy():
  c = tiny_config()
  source, train, val = sweep.split_images(c.sweep, c.seed)
  assert "embedded" in source and len(val) == 2
  assert not {n for n, _ in train} & {n for n, _ in val}
  pool = sweep.course_pairs(c, train)
  assert pool.shape == (48, 2, 8, 8, 3) and pool.dtype == np.uint8
  noise_diff = pool[:, 0].astype(int) - pool[:, 1]
  assert np.abs(noise_diff).mean() > 3  # two independent draws, not one image twice
  np.testing.assert_array_equal(pool, sweep.course_pairs(c, train))  # fixed by the seed
  noisy, clean = sweep.validation_set(c, val)
  assert noisy.shape == clean.shape == (4, 8, 8, 3)
  np.testing.assert_array_equal(noisy, sweep.validation_set(c, val)[0])


# --- the whole sweep ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
  """One uninterrupted tiny sweep (3 jitted groups over 2 stages, ~30 s on 2 cores)."""
  workdir = tmp_path_factory.mktemp("sweep")
  c = tiny_config()
  return c, workdir, sweep.run_sweep(c, workdir)


def _separate_run(c, setting, repeat, pool, n_pairs, epochs, val):
  """One configuration alone: a plain jitted step, no vmap."""
  cfg = sweep.apply(c, setting)
  net = sweep.build_net(cfg)
  params = net.init(jax.random.PRNGKey(cfg.seed + repeat))
  opt = explicit.sgd_init(params)
  hp = sweep.hyper(cfg.optimizer)
  step = jax.jit(sweep.make_step(net))
  for epoch in range(epochs):
    for idx in sweep.epoch_order(cfg.seed, repeat, epoch, n_pairs, cfg.data.batch_size):
      params, opt, loss = step(params, opt, hp, *sweep.gather_pairs(jnp.asarray(pool), idx))
  return loss, sweep.psnr_both(net(params, jnp.asarray(val[0])), jnp.asarray(val[1]))


@pytest.mark.slow  # trains the tiny sweep end to end; the other slow tests reuse it
@pytest.mark.parametrize("lanes,engine", [("map", "explicit"), ("vmap", "explicit"),
                                          ("map", "autodiff")])
def test_vmapped_groups_equal_separate_runs_across_shapes(finished, lanes, engine, tmp_path):
  c, _, stages = finished
  if (lanes, engine) != (c.sweep.lanes, c.sweep.engine):
    c = c.copy_and_resolve_references()
    c.sweep.lanes, c.sweep.engine, c.sweep.stages = lanes, engine, c.sweep.stages[:1]
    stages = sweep.run_sweep(c, tmp_path)
  _, train, val_imgs = sweep.split_images(c.sweep, c.seed)
  pool, val = sweep.course_pairs(c, train), sweep.validation_set(c, val_imgs)
  n_pairs, epochs, _ = c.sweep.stages[0]
  trained = [r for r in stages[0] if r["status"] == sweep.OK]
  assert len({sweep.group_id(r["setting"]) for r in trained}) == 2  # widths (2,4) and (4,4)
  for row in trained:
    for repeat in range(c.sweep.repeats):
      loss, (pf, pu) = _separate_run(c, row["setting"], repeat, pool, n_pairs, epochs, val)
      assert abs(row["psnr_float"][repeat] - float(pf)) <= 1e-3
      assert abs(row["psnr_uint8"][repeat] - float(pu)) <= 1e-3
  # the configurations and the repeats really differ (a broadcast lane would pass above)
  assert len({round(p, 4) for r in trained for p in r["psnr_float"]}) == 8


@pytest.mark.slow  # reuses the finished sweep
def test_stages_repeats_incompatible_rows_and_outputs(finished):
  c, workdir, (stage1, stage2) = finished
  assert [r["status"] for r in stage1] == [sweep.OK] * 4 + [sweep.INCOMPATIBLE] * 4
  assert all(r["note"] and np.isnan(r["psnr_float_mean"]) for r in stage1[4:])
  for r in stage1[:4]:
    assert len(r["psnr_float"]) == 2 and r["psnr_float"][0] != r["psnr_float"][1]
    assert r["psnr_float_mean"] == pytest.approx(np.mean(r["psnr_float"]))
    assert r["psnr_float_std"] == pytest.approx(np.std(r["psnr_float"]))
  assert [r["setting"] for r in stage2] != [] and {json.dumps(r["setting"]) for r in stage2} == {
      json.dumps(r["setting"]) for r in stage1[:2]}  # stage 2 retrains stage 1's top 2
  rows = list(csv.DictReader(open(workdir / "stage1.csv")))
  assert [int(r["rank"]) for r in rows] == list(range(1, 9))
  assert {"optimizer.lr", "model_kwargs.channels", "psnr_float_mean", "psnr_uint8_std",
          "status"} <= set(rows[0])
  assert float(rows[0]["psnr_float_mean"]) >= float(rows[3]["psnr_float_mean"])
  table = (workdir / "table.md").read_text().splitlines()
  assert len(table) == 2 + c.sweep.table_rows and "stage 2 PSNR (dB)" in table[0]
  first, third = table[2].split(" | "), table[4].split(" | ")
  assert " ± " in first[-2] and " ± " in first[-1]  # the top 2 trained in both stages
  assert " ± " in third[-2] and third[-1].strip(" |") == ""
  assert (workdir / "sweep.png").stat().st_size > 10_000
  with pytest.raises(errors.OutputExistsError, match="finished and is not overwritten"):
    sweep.run_sweep(c, workdir)


@pytest.mark.slow  # one more sweep, its programs loaded from the compilation cache
def test_a_killed_sweep_resumes_at_its_stage_and_group(finished, tmp_path):
  c, _, expected = finished
  sweep.run_sweep(c, tmp_path, stop_after=1)  # killed after its first group
  state = json.loads((tmp_path / sweep.STATE).read_text())
  assert not state["done"] and len(state["stages"][0]["groups_done"]) == 1
  sweep.run_sweep(c, tmp_path, stop_after=3)  # killed in stage 2, before its group
  state = json.loads((tmp_path / sweep.STATE).read_text())
  assert len(state["stages"]) == 2 and not state["stages"][1]["groups_done"]
  assert len(state["stages"][0]["groups_done"]) == 4  # the first group was not trained again
  assert (tmp_path / "stage1.csv").exists() and not (tmp_path / "stage2.csv").exists()
  c.sweep.repeats = 3
  with pytest.raises(errors.OutputExistsError, match=r"another config \(sweep.repeats: 2 -> 3\)"):
    sweep.run_sweep(c, tmp_path)
  c.sweep.repeats = 2
  # an option added to the code since the sweep started, at its default, is no change; one
  # the saved config lacks but this config sets away from the default is
  path = tmp_path / sweep.STATE
  state = json.loads(path.read_text())
  del state["config"]["gan"]["attention_only"], state["config"]["model"]
  path.write_text(json.dumps(state))
  with pytest.raises(errors.OutputExistsError, match=r"\(model: \(none\) -> 'course_net_a'\)"):
    sweep.run_sweep(c, tmp_path)
  state["config"]["model"] = c.model
  path.write_text(json.dumps(state))
  resumed = sweep.run_sweep(c, tmp_path)
  for got, want in zip(resumed, expected):
    assert [(r["setting"], r["status"], r["psnr_float"]) for r in got] == [
        (r["setting"], r["status"], r["psnr_float"]) for r in want]


@pytest.mark.slow  # one more sweep, its programs but the chunks' loaded from the cache
def test_chunked_groups_equal_whole_ones_and_a_kill_loses_one_chunk(finished, tmp_path,
                                                                     monkeypatch):
  c, _, expected = finished
  c = c.copy_and_resolve_references()
  c.sweep.max_lanes = 3  # a trained group's 4 lanes (2 lr x 2 repeats): chunks of 3 and 1
  sweep.run_sweep(c, tmp_path, stop_after=1)  # killed after the first group's first chunk
  stage = json.loads((tmp_path / sweep.STATE).read_text())["stages"][0]
  assert not stage["groups_done"] and not stage["rows"]
  [chunks] = stage["partial"].values()
  assert [len(chunk["psnr_float"]) for chunk in chunks] == [3]
  built = []  # a group's chunks share its step: one build (and trace) per group, not per chunk
  make = sweep.make_group_step
  monkeypatch.setattr(sweep, "make_group_step", lambda *a: built.append(a) or make(*a))
  resumed = sweep.run_sweep(c, tmp_path)
  assert len(built) == sum(len({sweep.group_id(r["setting"]) for r in rows
                                if r["status"] in (sweep.OK, sweep.DIVERGED)}) for rows in expected)
  assert not json.loads((tmp_path / sweep.STATE).read_text())["stages"][0]["partial"]
  for got, want in zip(resumed, expected, strict=True):
    assert [(r["setting"], r["status"]) for r in got] == [
        (r["setting"], r["status"]) for r in want]
    for g, w in zip(got, want):  # a lane's result does not depend on its neighbours
      assert g["psnr_float"] == w["psnr_float"] and g["psnr_uint8"] == w["psnr_uint8"]


_HP = [dict(lr=0.05, momentum=0.9, weight_decay=0.0, dampening=0.0, nesterov=True, seed=0),
       dict(lr=0.02, momentum=0.0, weight_decay=1e-2, dampening=0.0, nesterov=True, seed=1),
       dict(lr=0.1, momentum=0.5, weight_decay=1e-3, dampening=0.1, nesterov=False, seed=0),
       dict(lr=0.01, momentum=0.9, weight_decay=0.0, dampening=0.0, nesterov=False, seed=2),
       dict(lr=0.05, momentum=0.9, weight_decay=0.0, dampening=0.0, nesterov=False, seed=0)]


@pytest.mark.parametrize("lanes", ["vmap", "map"])
@pytest.mark.parametrize("engine", ["explicit", "autodiff"])
def test_group_step_equals_separate_steps(lanes, engine):
  """Every step's loss and the final parameters of each lane equal its own run, the
  lanes mixing Nesterov and plain momentum, dampening and weight decay in one program,
  each run alone with its Nesterov flag a Python constant."""
  net = sweep.ENGINES[engine]("course_net_b", {"channels": (4, 8)})
  rng = np.random.RandomState(0)
  pool = rng.randint(0, 256, (12, 2, 16, 16, 3)).astype(np.uint8)
  idx = rng.randint(0, 12, (6, len(_HP), 2))
  params, opt = sweep.init_stacked(net, [h["seed"] for h in _HP])
  group = sweep.make_group_step(net, lanes)
  losses = []
  for s in range(6):
    params, opt, loss = group(params, opt, sweep.hyper(_HP), jnp.asarray(pool),
                              jnp.asarray(idx[s]))
    losses.append(np.asarray(loss))
  for i, h in enumerate(_HP):
    p = net.init(jax.random.PRNGKey(h["seed"]))
    o = explicit.sgd_init(p)
    one = {k: jnp.float32(h[k]) for k in sweep.HYPER if k != "nesterov"}
    step = jax.jit(lambda p, o, x, t, h=h: sweep.make_step(net)(
        p, o, {**one, "nesterov": h["nesterov"]}, x, t))
    for s in range(6):
      x, t = sweep.gather_pairs(jnp.asarray(pool), jnp.asarray(idx[s, i]))
      p, o, loss = step(p, o, x, t)
      np.testing.assert_allclose(losses[s][i], loss, rtol=1e-5, atol=1e-7)
    for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(jax.tree.map(lambda v: v[i], params))):
      np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
  assert np.ptp(losses[-1]) > 1e-4  # the lanes really differ


@pytest.mark.parametrize("model,kwargs", [
    ("course_net_b", {"channels": (4, 8), "down_kernel": 4, "up_kernel": 5}),
    ("course_net_b", {"channels": (4, 8), "down_kernel": 2, "up_kernel": 3}),
    ("course_net_a", {"channels": (4, 8), "kernel_size": 2, "stride": 2, "padding": 0}),
])
def test_both_engines_train_the_same_net(model, kwargs):
  """The explicit framework and autodiff of the NNX twin, from one init (ported by name),
  six Nesterov SGD steps: the same losses and parameters, so sweep.engine changes the
  speed of a sweep, not what it trains."""
  explicit_net, autodiff_net = (sweep.ENGINES[e](model, kwargs) for e in ("explicit", "autodiff"))
  nnx_model = registry.create(model, rngs=nnx.Rngs(0), **kwargs)
  p_ex = explicit_net.init(jax.random.PRNGKey(3))
  mapping.torch_to_nnx({k: np.asarray(v) for k, v in explicit.state_dict(p_ex).items()},
                       nnx_model)
  p_ad = nnx.state(nnx_model, nnx.Param)
  rng = np.random.RandomState(1)
  pool = jnp.asarray(rng.randint(0, 256, (16, 2, 16, 16, 3)).astype(np.uint8))
  hp = sweep.hyper(dict(lr=0.5, momentum=0.9, weight_decay=1e-3, dampening=0.0, nesterov=True))
  steps = [jax.jit(sweep.make_step(n)) for n in (explicit_net, autodiff_net)]
  o_ex, o_ad = explicit.sgd_init(p_ex), explicit.sgd_init(p_ad)
  x, t = sweep.gather_pairs(pool, jnp.asarray(rng.randint(0, 16, 4)))
  init = explicit.state_dict(p_ex)
  for _ in range(6):
    p_ex, o_ex, loss_ex = steps[0](p_ex, o_ex, hp, x, t)
    p_ad, o_ad, loss_ad = steps[1](p_ad, o_ad, hp, x, t)
    np.testing.assert_allclose(loss_ad, loss_ex, rtol=1e-5)
  nnx.update(nnx_model, p_ad)
  want = explicit.state_dict(p_ex)
  assert max(float(jnp.abs(want[k] - init[k]).max()) for k in want) > 1e-2  # they trained
  for key, got in mapping.nnx_to_torch(nnx_model).items():
    np.testing.assert_allclose(got, want[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_the_autodiff_engine_refuses_a_net_with_batch_norm():
  with pytest.raises(errors.ConfigError, match="besides its parameters"):
    sweep.AutodiffNet("dncnn", {"depth": 3, "features": 4})
