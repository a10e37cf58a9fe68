"""``config.init_checkpoint``: a new run starts from given weights; resuming always wins."""
import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest
import torch
from flax import nnx

import jaxrestore.models as jm
import torch_ref.models as tm
from jaxrestore import checkpoints, porting, train

KWARGS = {"depth": 3, "features": 8, "use_bn": False}


@pytest.fixture
def frozen_config(tiny_config):
  """The tiny DnCNN without BN, plain SGD with lr 0: training changes no weight."""
  tiny_config.model_kwargs = dict(KWARGS)
  tiny_config.optimizer.name = "sgd"
  tiny_config.optimizer.lr = 0.0
  tiny_config.num_steps = 2
  tiny_config.checkpoint_every = 2
  tiny_config.eval_every = 1000
  return tiny_config


def _saved_state_dict(workdir, step):
  with ocp.StandardCheckpointer() as ckptr:
    tree = ckptr.restore(workdir / "checkpoints" / str(step) / "state")
  model = jm.create("dncnn", rngs=nnx.Rngs(0), **KWARGS)
  _, params, rest = nnx.split(model, nnx.Param, ...)
  del rest  # no BN: parameters only
  nnx.update(model, jax.tree.unflatten(jax.tree.structure(params), jax.tree.leaves(tree["params"])))
  return porting.to_torch_state_dict(model)


def _torch_file(path, seed, prefix="model."):
  """A wrapped file of the twin's weights, its keys' ``model.`` replaced by ``prefix``."""
  torch.manual_seed(seed)
  sd = tm.create("dncnn", **KWARGS).state_dict()
  torch.save({"state_dict": {prefix + k[len("model."):]: v for k, v in sd.items()},
              "epoch": 9}, path)
  return sd


def _assert_same(a, b):
  assert list(a) == list(b)
  for k in a:
    np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)


@pytest.mark.slow
def test_run_starts_from_the_torch_file_and_resume_ignores_it(frozen_config, tmp_path, capsys):
  first = _torch_file(tmp_path / "a.pth", 1, prefix="net.")
  frozen_config.init_checkpoint = str(tmp_path / "a.pth")
  frozen_config.init_checkpoint_rename = ((r"^net\.", "model."),)
  train.train_and_evaluate(frozen_config, tmp_path / "run")
  assert "initialised dncnn from" in capsys.readouterr().out
  _assert_same(_saved_state_dict(tmp_path / "run", 2), first)
  _torch_file(tmp_path / "b.pth", 2)
  frozen_config.init_checkpoint = str(tmp_path / "b.pth")
  frozen_config.init_checkpoint_rename = ()
  frozen_config.num_steps = 4
  train.train_and_evaluate(frozen_config, tmp_path / "run")  # resumes at 2: b.pth unused
  assert "initialised" not in capsys.readouterr().out
  _assert_same(_saved_state_dict(tmp_path / "run", 4), first)


def test_run_starts_from_a_model_dir_or_another_workdir(frozen_config, tmp_path):
  model = jm.create("dncnn", rngs=nnx.Rngs(7), **KWARGS)
  frozen_config.init_checkpoint = str(checkpoints.save_model(tmp_path / "m", model, "dncnn",
                                                             **KWARGS))
  train.train_and_evaluate(frozen_config, tmp_path / "from_dir")
  _assert_same(_saved_state_dict(tmp_path / "from_dir", 2), porting.to_torch_state_dict(model))
  frozen_config.init_checkpoint = str(tmp_path / "from_dir")
  train.train_and_evaluate(frozen_config, tmp_path / "from_workdir")
  _assert_same(_saved_state_dict(tmp_path / "from_workdir", 2),
               porting.to_torch_state_dict(model))


def test_weights_of_another_model_are_refused(frozen_config, tmp_path):
  model = jm.create("dncnn", rngs=nnx.Rngs(7), depth=3, features=16, use_bn=False)
  frozen_config.init_checkpoint = str(checkpoints.save_model(tmp_path / "m", model, "dncnn",
                                                             depth=3, features=16, use_bn=False))
  with pytest.raises(train.TrainingError, match=r"init_checkpoint .*m: the initial weights do "
                                                 r"not fit the model: conv.0.bias has shape "
                                                 r"\(16,\), the model expects \(8,\)"):
    train.train_and_evaluate(frozen_config, tmp_path / "run")
  assert not (tmp_path / "run" / "checkpoints").exists() or not any(
      (tmp_path / "run" / "checkpoints").iterdir())


def test_bn_statistics_come_from_the_file(frozen_config, tmp_path):
  """BN momentum 0: training keeps the running statistics, so the checkpoint shows
  where they started."""
  kwargs = {"depth": 3, "features": 8, "bn_momentum": 0.0}
  frozen_config.model_kwargs = dict(kwargs)
  torch.manual_seed(3)
  net = tm.create("dncnn", **kwargs)
  net.model[3].running_mean.normal_()
  net.model[3].running_var.uniform_(0.5, 2.0)
  torch.save(net.state_dict(), tmp_path / "bn.pth")
  frozen_config.init_checkpoint = str(tmp_path / "bn.pth")
  state, _ = train.train_and_evaluate(frozen_config, tmp_path / "run")
  bn = state.buffers["bn"][0]
  np.testing.assert_array_equal(np.asarray(bn["mean"][...]), net.model[3].running_mean.numpy())
  np.testing.assert_array_equal(np.asarray(bn["var"][...]), net.model[3].running_var.numpy())


@pytest.mark.filterwarnings("ignore:config.gan.vgg is empty")
def test_gan_generator_starts_from_the_weights(tmp_path):
  from jaxrestore import tasks
  from recipes import load_config
  c = load_config("attentive_gan.py")
  c.model_kwargs.iterations = 1
  c.data.crop = 16
  setup = tasks.get("derain").make_setup(c)
  generator = jm.create(c.model, rngs=nnx.Rngs(11), iterations=1)
  state = setup.load_weights(setup.state, generator)
  _, params, _ = nnx.split(generator, nnx.Param, ...)
  for a, b in zip(jax.tree.leaves(state.g.params), jax.tree.leaves(params)):
    np.testing.assert_array_equal(a, b)
  for a, b in zip(jax.tree.leaves(state.d.params), jax.tree.leaves(setup.state.d.params)):
    np.testing.assert_array_equal(a, b)  # the discriminator is untouched
