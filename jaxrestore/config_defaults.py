"""Every option the code reads, with its default; the recipes in configs/*.py override them.

``base_config()`` is training's (``scripts/train.py``), ``base_sweep_config()`` the sweep's,
``base_evaluate_config()`` the evaluate CLI's and ``base_restore_config()`` the
restore CLI's. A key the code reads is declared here, so any key of any recipe can
be set from the command line (``--config.gan.theta=0.9``).
"""
import importlib.util
import os
import types

import ml_collections


def optimizer_config() -> ml_collections.ConfigDict:
  """The optimiser and its lr schedule (``jaxrestore.optim.make_optimizer``)."""
  return ml_collections.ConfigDict({
      "name": "adam",  # adam | adamw | sgd (torch.optim's)
      "lr": 1e-4,
      "weight_decay": 0.0,  # adam, sgd: coupled L2 (torch's); adamw: decoupled
      "b1": 0.9, "b2": 0.999, "eps": 1e-8,  # adam, adamw
      "momentum": 0.0, "dampening": 0.0, "nesterov": False,  # sgd
      "schedule": {
          "name": "constant",  # constant | multistep | cosine | exponential
          "milestones": (),  # multistep: the steps at which the lr is multiplied by gamma
          "gamma": 0.1,  # multistep; exponential: lr * gamma ** (step / transition_steps)
          "transition_steps": 0,  # exponential
          "decay_steps": 0,  # cosine: from lr to alpha * lr over decay_steps
          "alpha": 0.0}})


def base_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.task = "denoise"  # denoise | desnow | derain (jaxrestore/tasks/: loss and evaluation)
  c.model = "kair_dncnn17"
  c.model_kwargs = ml_collections.ConfigDict()
  c.loss = "mse"  # mse | l1 | sum_squared_half
  c.seed = 0
  c.num_steps = 1000
  # > 0: the run's length in epochs of its training set instead (train.resolve_num_steps:
  # num_steps = ceil(num_epochs * training images / data.batch_size)); 0: num_steps
  c.num_epochs = 0
  c.log_every = 50
  c.eval_every = 500
  c.checkpoint_every = 500
  c.keep_checkpoints = 3
  c.num_devices = 0  # 0: all local devices; the batch is split over them
  # Compute precision of the models: float32 | bfloat16 (bf16 compute; parameters, BN
  # statistics, losses, metrics and the optimiser stay float32; checkpoints are the same).
  c.precision = "float32"
  # Start a new run from these weights (fresh optimiser; ignored when resuming): a torch
  # file (.pth / .safetensors of config.model, with the key and rename rules of porting),
  # a jaxrestore model directory or another training workdir (its best checkpoint).
  c.init_checkpoint = ""
  c.init_checkpoint_key = ""
  c.init_checkpoint_rename = ()  # ((regex, replacement), ...)

  c.data = ml_collections.ConfigDict()
  # {"kind": "skimage", "config": "gray"|"rgb"} or {"kind": "folder", "path": ..., "subdirs": {...}}
  c.data.train = ml_collections.ConfigDict({"kind": "skimage", "config": "gray"})
  c.data.train_split = "train"
  c.data.val = ml_collections.ConfigDict({"kind": "skimage", "config": "gray"})  # None: no eval
  c.data.val_split = "validation"
  c.data.cache_dir = ""  # prepared array_record files; default ~/.cache/jaxrestore/tfds
  c.data.channels = 1
  c.data.image_keys = ("clean",)
  c.data.mode = "noise2clean"  # noise2clean | noise2noise (target: a second noisy draw) | paired
  c.data.crop = 40
  c.data.batch_size = 128
  c.data.augment = True
  # denoise: zero_one | minus_one_one, the range the network sees. minus_one_one (the ECE285
  # course's Normalize(.5, .5)) maps input and target to 2x - 1 in the task's loss, so
  # the noise of std sigma/255 on [0, 1] is 2 sigma/255 there, and outputs back by
  # (y + 1) / 2 for metrics; it also logs the course's PSNR (psnr_ece285).
  c.data.value_range = "zero_one"
  c.data.pad_small = False  # pad images smaller than the crop (symmetric) instead of refusing
  c.data.num_workers = 0  # grain worker processes; resume needs the same number
  # Batches are prepared by ``read_threads`` threads (in each worker process, if any; one
  # per core by default), at most ``prefetch`` batches ahead of the step
  # (pipeline.train_dataset). grain's own defaults (16 threads, 500 batches ahead) decode
  # hundreds of batches a short run never uses, next to the train step: on 2 cores the
  # smoke run took 123 s instead of 98 s, and the test suite 964 s instead of 772 s.
  c.data.read_threads = os.cpu_count() or 1
  c.data.prefetch = 16
  c.data.noise = ml_collections.ConfigDict(
      {"kind": "gaussian", "sigma": 25.0, "sigma_min": None, "sigma_max": None, "peak": 30.0})
  c.data.noise.sigma_min = ml_collections.FieldReference(None, field_type=float)
  c.data.noise.sigma_max = ml_collections.FieldReference(None, field_type=float)

  c.optimizer = optimizer_config()

  c.eval = ml_collections.ConfigDict(
      {"sigma": 25.0, "seed": 0, "max_images": 0, "num_grids": 2,
       # derain: how the float output becomes uint8 before PSNR / SSIM (metrics.UINT8_CASTS):
       # round: clip to [0, 1], x255, round (KAIR's) | truncate: x255 and cast, as DeRaindrop's
       # predict.py (toward zero, no clipping: out-of-range values wrap modulo 256).
       "uint8_cast": "round",
       # denoise: 0 evaluates whole images; k: one random k x k crop of each image (from
       # seed and the image's name) with its own noise draw (the ECE285 test protocol: 320).
       "random_crop": 0})

  # The derain task's GAN (jaxrestore/tasks/derain.py, jaxrestore/losses/derain.py):
  # L_G = gan_weight L_GAN + L_ATT(theta) + L_M + L_P, L_D = ... + map_weight L_map.
  c.gan = ml_collections.ConfigDict()
  c.gan.discriminator = "attentive_gan_discriminator"
  c.gan.discriminator_kwargs = ml_collections.ConfigDict()  # its input_size is data.crop
  c.gan.vgg = ""  # model dir of torchvision's VGG16 for L_P (configs/port_vgg16.py); "": random
  c.gan.gan_weight = 0.01
  c.gan.map_weight = 0.05
  c.gan.theta = 0.8  # weight theta^(N-t) of the t-th of N attention maps in L_ATT
  c.gan.gan_loss = "paper"  # paper: log(1 - D(O)) | non_saturating: -log D(O)
  # raw: O, T in [0, 1] straight into VGG16, as the authors' models/vgg_init.py | imagenet:
  # normalised with the ImageNet mean / std first (what torchvision's weights expect).
  c.gan.vgg_input = "raw"
  c.gan.d_optimizer = optimizer_config()
  # True: train only the generator's attentive-recurrent network, on L_ATT (no autoencoder,
  # no discriminator step): a first phase a full run starts from (init_checkpoint). Not the
  # paper's, which trains everything together (configs/attentive_gan.py, cpu_attention).
  c.gan.attention_only = False

  # The desnow task's loss (jaxrestore/losses/desnow.py): pyramid losses of y', y_hat and
  # (times mask_weight) the mask z, over 2^0 ... 2^pyramid_levels poolings. pyramid_reduction:
  # "mean" (the paper: each level's MSE) | "sum" (the public re-implementation: squared
  # error summed over pixels and channels, averaged over the batch).
  c.desnow = ml_collections.ConfigDict(
      {"pyramid_levels": 4, "mask_weight": 3.0, "pyramid_reduction": "mean"})

  # Multi-process runs (jaxrestore/distributed.py, docs/distributed.md); the defaults and an
  # environment without JAX_NUM_PROCESSES > 1 give the single-process run.
  c.distributed = ml_collections.ConfigDict({
      "coordinator": "",  # host:port of process 0; "": $JAX_COORDINATOR_ADDRESS
      "num_processes": 0,  # 0: $JAX_NUM_PROCESSES, else 1
      "process_id": -1,  # -1: $JAX_PROCESS_ID
      "cluster": "",  # "": explicit only; "auto": JAX's detection; or "slurm", "ompi", "tpu", ...
      "initialization_timeout": 300})  # seconds to wait for all processes
  return c


def base_sweep_config() -> ml_collections.ConfigDict:
  """The sweep CLI's (``scripts/sweep.py``, ``jaxrestore/sweep.py``): training's keys, the
  base every setting starts from, plus ``sweep``."""
  c = base_config()
  c.sweep = ml_collections.ConfigDict({
      # ((key, (value, ...)), ...): the grid is the product of the axes. A key is any config
      # key (model_kwargs.* too); a tuple of keys takes tuples of values (a table's rows).
      "axes": (),
      # "autodiff": the registry's NNX net, jax.value_and_grad (2.3-11x faster on CPU);
      # "explicit": the explicit-backward framework's net, as the course projects trained
      # (jaxrestore/sweep.py, docs/performance.md, Sweeps)
      "engine": "autodiff",
      # how a group's settings share one program: "vmap" (batched operations) or "map" (a
      # loop over them in the program; 1.2-3.5x faster per setting on a 2-core CPU, as
      # measured in docs/performance.md, Sweeps)
      "lanes": "map",
      # 0: a group's lanes (settings x repeats) train in one program; n > 0: in programs of
      # at most n lanes, one after another, each recorded in sweep_state.json when done (the
      # same results; a killed sweep loses at most one chunk's work)
      "max_lanes": 0,
      # seeds seed, seed + 1, ... per setting (init and data order): mean ± std (ddof 0)
      "repeats": 1,
      # ((training pairs (0: all), epochs, keep (0: all)), ...): each stage trains the
      # previous stage's best `keep` settings from scratch
      "stages": ((0, 1, 0),),
      "train_pairs": 50000,  # the pool of noisy pairs (2 draws of one crop), built once
      "images": "../shared/data/color",  # image folder (searched recursively); missing or
      # empty: the embedded scikit-image images
      "val_images": 8,  # held-out images (never in training)
      "val_crops": 4,  # crops of each held-out image
      "val_crop": 32,
      "table_rows": 20})  # rows of table.md: the first stage's best, with every stage's PSNR
  return c


def _checkpoint_options(c: ml_collections.ConfigDict):
  """The model the evaluate and restore CLIs load (``porting.load_checkpoint``)."""
  c.checkpoint = ""  # a training workdir, a jaxrestore model directory or a torch file
  c.checkpoint_key = ""  # entry of a wrapped torch file's state dict, e.g. "state_dict"
  c.checkpoint_rename = ()  # ((regex, replacement), ...) for a torch file's keys
  c.model = ""  # registry name of a torch file's model (workdirs and model dirs name theirs)
  c.model_kwargs = ml_collections.ConfigDict()
  c.channel_order = "rgb"  # rgb | bgr (weights trained on BGR images)
  c.value_range = "zero_one"  # zero_one | minus_one_one: the range the model was trained in
  c.precision = "float32"  # float32 | bfloat16: the model's compute precision


def base_evaluate_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.task = "denoise"  # what data_dir holds and how an image is scored (jaxrestore/tasks/)
  _checkpoint_options(c)
  c.data_dir = ""  # denoise: a folder of clean images; desnow, derain: the dataset's root
  c.splits = ()  # desnow, derain: the test splits to evaluate
  c.cache_dir = ""  # prepared array_record files; default ~/.cache/jaxrestore/tfds
  c.channels = 1  # denoise: 1 (gray) or 3
  c.sigma = 25.0  # denoise: the noise added to the clean images (0-255 scale)
  c.seed = 0  # denoise: the noise's seed; desnow crops: the crops' seed
  # desnow: "whole" (the default: whole images, PSNR / SSIM of the uint8 output) | "crops"
  # (the paper's validation: per image a batch of 5 seeded random aligned 64x64 crops, PSNR
  # with R = 1 of the batch on the clipped float output); named in the CSV and the summary
  c.protocol = ""
  c.uint8_cast = "round"  # derain: round (clip, x255, round) | truncate (DeRaindrop's predict.py)
  c.random_crop = 0  # denoise: 0: whole images | k: a random k x k crop each, own noise
  c.output_dir = "outputs/evaluate"  # per-image CSV and input | output | ... | target grids
  c.save_grids = True
  return c


def base_restore_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.input = ""  # an image or a folder of images
  c.output_dir = "outputs/restored"  # one PNG per input, same name
  _checkpoint_options(c)
  c.channels = 1  # 1 (gray) or 3
  c.tile = 512  # 0: whole image at once
  c.overlap = 48  # >= 2x the receptive-field radius (17 for DnCNN-17) gives exact results;
  # -1: twice the radius the model computes from its layers (DesnowNet)
  c.save_maps = ()  # other outputs to write as gray images, e.g. ("attention",); needs tile=0
  return c


def load_recipe_module(path: str | os.PathLike) -> types.ModuleType:
  """The recipe file ``path`` as a module (its ``get_config``, ``VARIANTS``, docstring)."""
  spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module


def recipe_config(path: str | os.PathLike, *args) -> ml_collections.ConfigDict:
  """``get_config(*args)`` of the recipe file ``path``: for a recipe built on another
  (the sweeps start from configs/course_net_b_n2n.py), wherever configs/ lies."""
  return load_recipe_module(path).get_config(*args)
