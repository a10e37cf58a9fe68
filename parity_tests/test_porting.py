"""Strict porting: exact round trips, and clear errors for anything that does not fit."""
import pickle

import numpy as np
import pytest
import torch
from flax import nnx

import jaxrestore.models as jm
import torch_ref.models as tm
from jaxrestore import checkpoints, porting
from jaxrestore.porting import CheckpointError, PortingError

ALL = jm.names()


def test_registries_match():
  assert jm.names() == tm.names()


@pytest.mark.parametrize("name", ALL)
def test_torch_jax_torch_round_trip_is_bit_identical(name):
  torch.manual_seed(0)
  net = tm.create(name)
  for m in net.modules():  # non-trivial BN buffers, so they are really carried
    if isinstance(m, torch.nn.BatchNorm2d):
      m.running_mean.normal_()
      m.running_var.uniform_(0.5, 2.0)
      m.num_batches_tracked.fill_(7)
  sd = net.state_dict()
  model = porting.load_torch(jm.create(name, rngs=nnx.Rngs(0)), sd)
  back = porting.to_torch_state_dict(model)
  assert list(back) == list(sd)
  for k in sd:
    assert back[k].dtype == sd[k].dtype, k
    assert torch.equal(back[k], sd[k]), k
  tm.create(name).load_state_dict(back, strict=True)


def test_jax_to_torch_gives_torch_a_usable_model():
  model = jm.create("ece285_dudncnn", rngs=nnx.Rngs(3))
  net = tm.create("ece285_dudncnn")
  net.load_state_dict(porting.to_torch_state_dict(model), strict=True)
  kernel = np.asarray(model.conv[2].kernel[...])
  np.testing.assert_array_equal(net.conv[2].weight.detach().numpy(), kernel.transpose(3, 2, 0, 1))


def _kair_sd():
  return tm.create("kair_dncnn17_merged").state_dict()


def test_missing_key_is_named():
  sd = _kair_sd()
  del sd["model.16.bias"]
  with pytest.raises(PortingError, match=r"missing keys \['model.16.bias'\]"):
    porting.load_torch(jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0)), sd)


def test_unexpected_key_is_named():
  sd = _kair_sd()
  sd["model.34.weight"] = torch.zeros(1)
  with pytest.raises(PortingError, match=r"unexpected keys \['model.34.weight'\]"):
    porting.load_torch(jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0)), sd)


def test_shape_mismatch_is_named_and_model_untouched():
  sd = _kair_sd()
  sd["model.0.weight"] = torch.zeros(64, 3, 3, 3)  # an RGB checkpoint into the gray model
  model = jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0))
  before = np.asarray(model.conv[1].kernel[...]).copy()
  with pytest.raises(PortingError, match=r"'model.0.weight'.*\(64, 3, 3, 3\).*\(64, 1, 3, 3\)"):
    porting.load_torch(model, sd)
  np.testing.assert_array_equal(np.asarray(model.conv[1].kernel[...]), before)


def test_bn_checkpoint_into_merged_model_is_refused():
  sd = tm.create("kair_dncnn17").state_dict()
  with pytest.raises(PortingError, match="running_mean"):
    porting.load_torch(jm.create("kair_dncnn17_merged", rngs=nnx.Rngs(0)), sd)


def test_not_a_checkpoint(tmp_path):
  p = tmp_path / "notes.pth"
  p.write_text("this is not a checkpoint")
  with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
    porting.read_state_dict(p)


def test_missing_file(tmp_path):
  with pytest.raises(CheckpointError, match="checkpoint not found"):
    porting.read_state_dict(tmp_path / "nope.pth")


class _Evil:
  def __reduce__(self):
    return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickle_that_would_run_code_is_refused(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  p = tmp_path / "evil.pth"
  torch.save({"model.0.weight": _Evil()}, p)
  with pytest.raises(CheckpointError, match="refused to load"):
    porting.read_state_dict(p)
  assert not (tmp_path / "PWNED").exists()
  p.write_bytes(pickle.dumps(_Evil()))  # a bare pickle, not a torch zip
  with pytest.raises(CheckpointError, match="refused to load"):
    porting.read_state_dict(p)
  assert not (tmp_path / "PWNED").exists()


def test_wrapped_state_dict_by_key(tmp_path):
  p = tmp_path / "wrapped.pth"
  torch.save({"Net": _kair_sd(), "epoch": 3}, p)
  state = porting.read_state_dict(p, key="Net")
  assert "model.32.bias" in state
  with pytest.raises(CheckpointError, match="no entry 'state_dict'"):
    porting.read_state_dict(p, key="state_dict")


def test_gray_image_into_rgb_model_is_refused():
  model = jm.create("ece285_dncnn", rngs=nnx.Rngs(0))
  with pytest.raises(ValueError, match="expected NHWC input with 3 channel"):
    model(np.zeros((1, 16, 16, 1), np.float32))


def test_own_format_round_trip(tmp_path):
  model = jm.create("ece285_udncnn", rngs=nnx.Rngs(5), features=8)
  path = checkpoints.save_model(tmp_path / "m", model, "ece285_udncnn", features=8)
  loaded = porting.load_checkpoint(path)
  a, b = porting.to_torch_state_dict(model), porting.to_torch_state_dict(loaded)
  assert all(torch.equal(a[k], b[k]) for k in a)
  with pytest.raises(FileExistsError):
    checkpoints.save_model(path, model, "ece285_udncnn", features=8)
