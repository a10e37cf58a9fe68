"""Porting the checkpoints people have: wrappers, old and GPU-saved files, rename rules,
BatchNorm folding, safetensors, inspect. Every file is built here; nothing is downloaded."""
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
import torch.serialization
from flax import nnx

import jaxrestore.models as jm
import torch_ref.models as tm
from jaxrestore import checkpoints, porting
from jaxrestore.porting import CheckpointError, PortingError

REPO = Path(__file__).resolve().parents[1]
RULE = [(r"^dncnn\.", "model.")]


def _randomise_bn(net):
  torch.manual_seed(1)
  for m in net.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
      m.weight.data.uniform_(0.5, 1.5)
      m.bias.data.normal_()
      m.running_mean.normal_(0, 0.1)
      m.running_var.uniform_(0.5, 2.0)
  return net.eval()


def _plain(sd):
  """A state dict as a plain dict: no ``_metadata``, as files written before torch 0.4.1."""
  return {k: v.clone() for k, v in sd.items()}


def _save_on_cuda(obj, path, **kw):
  """``torch.save`` as on a GPU machine: every storage tagged 'cuda:0'."""
  tag = torch.serialization.location_tag
  torch.serialization.location_tag = lambda storage: "cuda:0"
  try:
    torch.save(obj, path, **kw)
  finally:
    torch.serialization.location_tag = tag


def _x(channels=1, size=24):
  return np.random.RandomState(0).rand(2, size, size, channels).astype(np.float32)


def _torch_out(net, x):
  with torch.no_grad():
    return net(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)


def _jax_out(model, x):
  model.eval()
  return np.asarray(model(x))


def _reimplementation_file(tmp_path):
  """A DnCNN as the widely used PyTorch re-implementation publishes it: bias-free convs,
  BatchNorm not merged, ``nn.DataParallel`` keys ``module.dncnn.{i}``, no
  ``num_batches_tracked`` (torch < 0.4.1), legacy (non-zip) format, tensors on CUDA.
  Returns (path, the torch twin with the same weights)."""
  net = _randomise_bn(tm.create("dncnn", use_bias=False))
  sd = {"module.dncnn." + k[len("model."):]: v for k, v in net.state_dict().items()
        if not k.endswith("num_batches_tracked")}
  path = tmp_path / "net.pth"
  _save_on_cuda(sd, path, _use_new_zipfile_serialization=False)
  return path, net


def test_reimplementation_checkpoint_ports_through_one_rename_rule(tmp_path, caplog):
  path, net = _reimplementation_file(tmp_path)
  with pytest.raises(RuntimeError, match="CUDA"):  # the file really is CUDA-tagged
    torch.load(path, weights_only=True)
  model = jm.create("dncnn", use_bias=False, rngs=nnx.Rngs(0))
  with pytest.raises(PortingError, match=r"missing keys \['model.0.weight'"):
    porting.load_torch(model, path)
  with caplog.at_level(logging.WARNING):
    porting.load_torch(model, path, rename=RULE)
  assert "every key starts with 'module.'" in caplog.text
  x = _x()
  np.testing.assert_allclose(_jax_out(model, x), _torch_out(net, x), rtol=1e-5, atol=1e-5)
  assert all(int(bn.num_batches_tracked[...]) == 0 for bn in model.bn)


def test_torch_compile_prefix_inside_data_parallel_is_removed(tmp_path, caplog):
  sd = tm.create("kair_dncnn17_merged").state_dict()
  path = tmp_path / "compiled.pth"
  torch.save({f"module._orig_mod.{k}": v for k, v in sd.items()}, path)
  with caplog.at_level(logging.WARNING):
    state = porting.read_state_dict(path)
  assert list(state) == list(sd)
  assert "'module.'" in caplog.text and "'_orig_mod.'" in caplog.text
  partly = tmp_path / "partly.pth"  # only when *every* key has it: nothing is stripped
  mixed = [("module." if i else "") + k for i, k in enumerate(sd)]
  torch.save(dict(zip(mixed, sd.values())), partly)
  caplog.clear()
  with caplog.at_level(logging.WARNING):
    assert list(porting.read_state_dict(partly)) == mixed
  assert "'module.'" not in caplog.text


def test_legacy_format_and_cuda_tensors_load_on_cpu(tmp_path):
  sd = tm.create("kair_dncnn17_merged").state_dict()
  for name, kw in (("legacy.pth", {"_use_new_zipfile_serialization": False}), ("zip.pth", {})):
    _save_on_cuda(sd, tmp_path / name, **kw)
    state = porting.read_state_dict(tmp_path / name)
    for k, v in sd.items():
      np.testing.assert_array_equal(state[k], v.numpy())


def test_bn_without_counter_ports_as_torch_loads_it():
  net = _randomise_bn(tm.create("kair_dncnn17"))
  sd = {k: v for k, v in _plain(net.state_dict()).items() if "num_batches_tracked" not in k}
  twin = tm.create("kair_dncnn17")
  twin.load_state_dict(sd, strict=True)  # torch accepts it: no _metadata, so version None
  model = porting.load_torch(jm.create("kair_dncnn17", rngs=nnx.Rngs(0)), sd)
  back = porting.to_torch_state_dict(model)
  for k, v in twin.state_dict().items():
    assert torch.equal(back[k], v), k


def test_counter_missing_from_a_version_2_state_is_an_error():
  sd = tm.create("kair_dncnn17").state_dict()  # _metadata: BN version 2
  del sd["model.3.num_batches_tracked"]
  with pytest.raises(RuntimeError, match="model.3.num_batches_tracked"):
    tm.create("kair_dncnn17").load_state_dict(sd, strict=True)
  with pytest.raises(PortingError, match=r"missing keys \['model.3.num_batches_tracked'\]"):
    porting.load_torch(jm.create("kair_dncnn17", rngs=nnx.Rngs(0)), sd)
  del sd["model.3.running_var"]  # any other missing key stays an error, legacy or not
  with pytest.raises(PortingError, match="model.3.running_var"):
    porting.load_torch(jm.create("kair_dncnn17", rngs=nnx.Rngs(0)), _plain(sd))


def test_wrapped_file_with_one_state_dict_is_unwrapped(tmp_path, caplog):
  sd = tm.create("kair_dncnn17_merged").state_dict()
  path = tmp_path / "ckpt.pth"
  torch.save({"state_dict": sd, "epoch": 12, "psnr": 30.1, "optimizer": {"lr": 1e-4}}, path)
  with caplog.at_level(logging.WARNING):
    state = porting.read_state_dict(path)
  assert list(state) == list(sd)
  assert "entry 'state_dict'" in caplog.text
  nested = tmp_path / "nested.pth"
  torch.save({"a": {"b": sd, "c": 1}, "d": {"e": sd}}, nested)
  assert list(porting.read_state_dict(nested, key="a/b")) == list(sd)


def test_wrapped_file_with_two_state_dicts_lists_its_entries(tmp_path):
  g, d = tm.create("kair_dncnn17_merged").state_dict(), tm.create("dncnn").state_dict()
  path = tmp_path / "gan.pth"
  torch.save({"net_g": g, "net_d": d, "epoch": 3}, path)
  with pytest.raises(CheckpointError, match=r"2 entries are state dicts.*'net_g'.*'net_d'.*"
                                            r"'epoch': 'int'"):
    porting.read_state_dict(path)
  assert list(porting.read_state_dict(path, key="net_g")) == list(g)
  torch.save({"epoch": 3, "best": 30.0}, path)
  with pytest.raises(CheckpointError, match="no entry is a dict of tensors"):
    porting.read_state_dict(path)


def test_rename_rule_that_matches_nothing_is_named(tmp_path):
  path, _ = _reimplementation_file(tmp_path)
  with pytest.raises(CheckpointError, match=re.escape(r"[('^net\\.', 'model.')]")):
    porting.read_state_dict(path, rename=[(r"^net\.", "model."), *RULE])


def test_rename_rules_that_collide_name_the_keys(tmp_path):
  path, _ = _reimplementation_file(tmp_path)
  with pytest.raises(CheckpointError, match=r"onto one name.*'model.0.weight': "
                                            r"\['dncnn.0.weight', 'dncnn.2.weight', 'dncnn.3.weight', '... 29 more'\]"):
    porting.read_state_dict(path, rename=[(r"^dncnn\.\d+\.", "model.0.")])


def test_rules_apply_in_order_to_the_renamed_key():
  sd = {"a.0.weight": torch.zeros(1)}
  state = porting.apply_renames(porting.to_numpy_state(sd), [(r"^a\.", "b."), (r"^b\.0", "c.1")])
  assert list(state) == ["c.1.weight"]


def test_full_module_pickle_is_refused_with_how_to_resave(tmp_path):
  path = tmp_path / "model.pth"
  torch.save(tm.create("kair_dncnn17_merged"), path)
  with pytest.raises(CheckpointError, match=r"pickles the Python object torch_ref.models.dncnn."
                                            r"DnCNN.*torch.save\(model.state_dict\(\)"):
    porting.read_state_dict(path)


def test_safetensors_both_ways(tmp_path):
  net = _randomise_bn(tm.create("kair_dncnn17"))
  path = tmp_path / "in.safetensors"
  safetensors.torch.save_file(net.state_dict(), str(path))
  model = jm.create("kair_dncnn17", rngs=nnx.Rngs(0))
  porting.load_torch(model, path)
  x = _x()
  np.testing.assert_allclose(_jax_out(model, x), _torch_out(net, x), rtol=1e-5, atol=1e-5)
  model_dir = checkpoints.save_model(tmp_path / "m", model, "kair_dncnn17")
  out = porting.convert(model_dir, tmp_path / "out.safetensors")
  with open(out, "rb") as f:  # safetensors: 8-byte little-endian header length, JSON header
    size = int.from_bytes(f.read(8), "little")
    assert json.loads(f.read(size))["model.0.weight"]["dtype"] == "F32"
  twin = tm.create("kair_dncnn17")
  twin.load_state_dict(safetensors.torch.load_file(str(out)), strict=True)
  for k, v in net.state_dict().items():
    assert torch.equal(twin.state_dict()[k], v), k


@pytest.mark.parametrize("name,kwargs", [("kair_dncnn17", {}), ("dncnn", {"use_bias": False}),
                                         ("ece285_dncnn", {"features": 16})])
def test_merge_bn_parity(name, kwargs):
  net = _randomise_bn(tm.create(name, **kwargs))
  model = porting.load_torch(jm.create(name, rngs=nnx.Rngs(0), **kwargs), net.state_dict())
  merged = porting.merge_bn(model)
  merged_name, merged_kwargs = porting.merged_spec(name, kwargs)
  assert type(jm.create(merged_name, rngs=nnx.Rngs(0), **merged_kwargs)) is type(merged)
  assert not merged.use_bn and all(c.bias is not None for c in merged.conv)
  net_merged = tm.merge_bn(net)
  channels = 3 if name.startswith("ece285") else 1
  x = _x(channels)
  unmerged_torch = _torch_out(net, x)
  np.testing.assert_allclose(_jax_out(model, x), unmerged_torch, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(_jax_out(merged, x), unmerged_torch, rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(_torch_out(net_merged, x), unmerged_torch, rtol=1e-5, atol=1e-5)
  ours = porting.to_torch_state_dict(merged)  # the same file in both trees
  twin = tm.create(merged_name, **merged_kwargs)
  twin.load_state_dict(ours, strict=True)
  for k, v in net_merged.state_dict().items():
    np.testing.assert_allclose(ours[k].numpy(), v.numpy(), rtol=1e-6, atol=1e-7)


def test_merge_bn_refuses_models_it_cannot_fold():
  with pytest.raises(PortingError, match="no BatchNorm"):
    porting.merge_bn(jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0)))
  with pytest.raises(PortingError, match="UDnCNN has no BN-free variant"):
    porting.merge_bn(jm.create("ece285_udncnn", features=8, rngs=nnx.Rngs(0)))


def test_inspect_shows_both_columns_and_suggests_the_rule(tmp_path):
  path, _ = _reimplementation_file(tmp_path)
  report = porting.inspect_checkpoint(path, "dncnn", {"use_bias": False})
  lines = report.splitlines()[1:]  # after the note on the missing counters
  assert "no BatchNorm num_batches_tracked" in report.splitlines()[0]
  assert lines[1].startswith("> dncnn.0.weight (64, 1, 3, 3)")
  assert lines[1].rstrip().endswith("model.0.weight (64, 1, 3, 3)")
  assert "dncnn.3.running_var (64,)" in lines[6] and "model.3.running_var (64,)" in lines[6]
  rules = porting.suggest_renames(
      list(porting.read_state_dict(path)),
      [k for k in porting.to_torch_state_dict(jm.create("dncnn", use_bias=False, rngs=nnx.Rngs(0)))
       if "num_batches_tracked" not in k])
  assert rules == [(r"^dncnn\.", "model.")]
  assert "((r'^dncnn\\.', 'model.'),)" in report
  fitted = porting.inspect_checkpoint(path, "dncnn", {"use_bias": False}, rename=rules)
  assert "matches DnCNN: every key and shape" in fitted


def test_inspect_does_not_suggest_when_shapes_differ(tmp_path):
  path = tmp_path / "rgb.pth"
  torch.save(tm.create("dncnn", in_channels=3, use_bn=False).state_dict(), path)
  report = porting.inspect_checkpoint(path, "kair_dncnn17_merged")
  assert report.splitlines()[1].startswith("> model.0.weight (64, 3, 3, 3)")
  assert "shape sequences differ, so no rename rules" in report


def _port(*args):
  return subprocess.run([sys.executable, str(REPO / "scripts" / "port.py"),
                         f"--config={REPO / 'configs' / 'port.py'}", *args],
                        capture_output=True, text=True, timeout=300)


def test_port_cli_inspects_renames_and_merges(tmp_path):
  path, net = _reimplementation_file(tmp_path)
  out = _port(f"--config.src={path}", "--config.model=dncnn",
              "--config.model_kwargs={'use_bias': False}", "--config.inspect=True")
  assert out.returncode == 0, out.stderr[-3000:]
  assert "--config.checkpoint_rename=\"((r'^dncnn\\.', 'model.'),)\"" in out.stdout
  merged = tmp_path / "merged.pth"
  out = _port(f"--config.src={path}", "--config.model=dncnn", f"--config.dst={merged}",
              "--config.model_kwargs={'use_bias': False}", "--config.merge_bn=True",
              "--config.checkpoint_rename=((r'^dncnn\\.', 'model.'),)")
  assert out.returncode == 0, out.stderr[-3000:]
  sd = torch.load(merged, weights_only=True)
  assert list(sd) == [f"model.{i}.{p}" for i in range(0, 33, 2) for p in ("weight", "bias")]
  twin = tm.create("kair_dncnn17_merged")
  twin.load_state_dict(sd, strict=True)
  x = _x()
  np.testing.assert_allclose(_torch_out(twin.eval(), x), _torch_out(net, x), rtol=1e-5,
                             atol=1e-5)


def test_rename_rules_for_a_jaxrestore_checkpoint_are_an_error(tmp_path):
  model = jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0))
  path = checkpoints.save_model(tmp_path / "m", model, "kair_dncnn17_merged")
  with pytest.raises(CheckpointError, match="apply to torch files only"):
    porting.load_checkpoint(path, rename=RULE)


def test_parameters_saved_as_a_dict_are_tensors_too(tmp_path):
  net = tm.create("kair_dncnn17_merged")
  path = tmp_path / "params.pth"
  torch.save(dict(net.named_parameters()), path)  # nn.Parameter values, not plain tensors
  model = porting.load_checkpoint(path, "kair_dncnn17_merged")
  x = _x()
  np.testing.assert_allclose(_jax_out(model, x), _torch_out(net.eval(), x), rtol=1e-5, atol=1e-5)


def test_renumbering_rules_do_not_feed_each_other():
  src = ["model.1.weight", "model.2.weight", "model.3.weight"]
  dst = ["model.2.weight", "model.4.weight", "model.6.weight"]
  rules = porting.suggest_renames(src, dst)
  state = porting.apply_renames(porting.to_numpy_state(
      {k: np.zeros(i + 1) for i, k in enumerate(src)}), rules)
  assert list(state) == dst
  assert [v.shape for v in state.values()] == [(1,), (2,), (3,)]


def test_inspect_extends_the_users_rules(tmp_path):
  net = tm.create("dncnn", depth=4, use_bn=False)
  sd = {("net." if i < 2 else "tail.") + k[len("model."):]: v
        for i, (k, v) in enumerate(net.state_dict().items())}
  torch.save(sd, tmp_path / "two.pth")
  given = [(r"^net\.", "model.")]
  report = porting.inspect_checkpoint(tmp_path / "two.pth", "dncnn", {"depth": 4, "use_bn": False},
                                      rename=given)
  flag = report.splitlines()[-1].strip()
  rules = eval(flag[len('--config.checkpoint_rename="'):-1])  # the literal it prints
  assert rules[0] == given[0] and len(rules) > 1
  model = porting.load_torch(jm.create("dncnn", depth=4, use_bn=False, rngs=nnx.Rngs(0)),
                             tmp_path / "two.pth", rename=rules)
  x = _x()
  np.testing.assert_allclose(_jax_out(model, x), _torch_out(net.eval(), x), rtol=1e-5, atol=1e-5)


def test_rules_must_be_pairs_of_strings():
  sd = {"a.weight": torch.zeros(1)}
  with pytest.raises(CheckpointError, match=r"not a \(pattern, replacement\) pair.*\(\(pattern"):
    porting.apply_renames(porting.to_numpy_state(sd), (r"^a\.", "b."))  # a pair, not a list


def test_empty_state_dicts_are_errors(tmp_path):
  with pytest.raises(CheckpointError, match="empty"):
    porting.load_torch(jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0)), {})
  torch.save({}, tmp_path / "empty.pth")
  with pytest.raises(CheckpointError, match="non-empty state dict"):
    porting.read_state_dict(tmp_path / "empty.pth")


def test_in_memory_wrapped_dict_is_unwrapped_like_a_file():
  net = tm.create("kair_dncnn17_merged")
  wrapped = {"params": {"module." + k: v for k, v in net.state_dict().items()}, "step": 4}
  x = _x()
  for key in (None, "params"):
    model = porting.load_torch(jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0)), wrapped,
                               key=key)
    np.testing.assert_allclose(_jax_out(model, x), _torch_out(net.eval(), x), rtol=1e-5,
                               atol=1e-5)


def test_module_versions_survive_prefixes_and_renames(tmp_path):
  """A modern file (BN version 2) lacking one counter stays an error after 'module.' is
  removed and the names are renamed: the versions follow their modules."""
  net = torch.nn.DataParallel(tm.create("dncnn", depth=4))
  original = net.state_dict()
  sd = type(original)((k.replace("module.model.", "module.dncnn."), v)
                      for k, v in original.items())
  sd._metadata = type(original._metadata)(
      (k.replace("module.model", "module.dncnn"), v) for k, v in original._metadata.items())
  del sd["module.dncnn.3.num_batches_tracked"]
  torch.save(sd, tmp_path / "modern.pth")
  with pytest.raises(PortingError, match=r"missing keys \['model.3.num_batches_tracked'\]"):
    porting.load_checkpoint(tmp_path / "modern.pth", "dncnn", {"depth": 4}, rename=RULE)
  assert porting.read_state_dict(tmp_path / "modern.pth", rename=RULE).versions["model.3"] == 2


def test_missing_counter_keeps_the_models_own_value_as_torch():
  net = _randomise_bn(tm.create("dncnn", depth=4))
  sd = {k: v for k, v in _plain(net.state_dict()).items() if "num_batches_tracked" not in k}
  twin = tm.create("dncnn", depth=4)
  twin.model[3].num_batches_tracked.fill_(7)
  twin.load_state_dict(sd)
  model = jm.create("dncnn", depth=4, rngs=nnx.Rngs(0))
  model.bn[0].num_batches_tracked[...] = 7
  porting.load_torch(model, sd)
  assert int(model.bn[0].num_batches_tracked[...]) == int(twin.model[3].num_batches_tracked) == 7
  assert int(model.bn[1].num_batches_tracked[...]) == int(twin.model[6].num_batches_tracked) == 0


def test_convert_with_merge_bn_names_the_merged_preset(tmp_path):
  net = _randomise_bn(tm.create("kair_dncnn17"))
  torch.save(net.state_dict(), tmp_path / "bn.pth")
  out = porting.convert(tmp_path / "bn.pth", tmp_path / "merged", "kair_dncnn17", merge_bn=True)
  model, name, kwargs = checkpoints.load_model(out)
  assert (name, kwargs) == ("kair_dncnn17_merged", {})
  x = _x()
  np.testing.assert_allclose(_jax_out(model, x), _torch_out(net, x), rtol=1e-5, atol=1e-5)


def test_bfloat16_safetensors_port_exactly(tmp_path):
  net = tm.create("kair_dncnn17_merged").to(torch.bfloat16)
  safetensors.torch.save_file(net.state_dict(), str(tmp_path / "bf16.safetensors"))
  state = porting.read_state_dict(tmp_path / "bf16.safetensors")
  model = porting.load_torch(jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0)), state)
  back = porting.to_torch_state_dict(model)
  for k, v in net.state_dict().items():
    assert str(state[k].dtype) == "bfloat16"
    assert torch.equal(back[k], v.float()), k
