"""The full set of training options with their defaults; configs/*.py override them."""
import ml_collections


def base_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.task = "denoise"  # denoise | desnow (jaxrestore/tasks.py: loss and evaluation)
  c.model = "kair_dncnn17"
  c.model_kwargs = ml_collections.ConfigDict()
  c.loss = "mse"  # mse | l1 | sum_squared_half
  c.seed = 0
  c.num_steps = 1000
  c.log_every = 50
  c.eval_every = 500
  c.checkpoint_every = 500
  c.keep_checkpoints = 3
  c.num_devices = 0  # 0: all local devices; the batch is split over them
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
  c.data.val = ml_collections.ConfigDict({"kind": "skimage", "config": "gray"})
  c.data.val_split = "validation"
  c.data.cache_dir = ""  # prepared array_record files; default ~/.cache/jaxrestore/tfds
  c.data.channels = 1
  c.data.image_keys = ("clean",)
  c.data.mode = "denoise"  # denoise | noise2noise | paired
  c.data.crop = 40
  c.data.batch_size = 128
  c.data.augment = True
  c.data.pad_small = False  # pad images smaller than the crop (symmetric) instead of refusing
  c.data.num_workers = 0  # grain worker processes; resume needs the same number
  c.data.noise = ml_collections.ConfigDict(
      {"kind": "gaussian", "sigma": 25.0, "sigma_min": None, "sigma_max": None, "peak": 30.0})
  c.data.noise.sigma_min = ml_collections.FieldReference(None, field_type=float)
  c.data.noise.sigma_max = ml_collections.FieldReference(None, field_type=float)

  c.optimizer = ml_collections.ConfigDict({
      "name": "adam", "lr": 1e-4, "weight_decay": 0.0, "b1": 0.9, "b2": 0.999, "eps": 1e-8,
      "momentum": 0.0, "dampening": 0.0, "nesterov": False})
  c.optimizer.schedule = ml_collections.ConfigDict({"name": "constant"})

  c.eval = ml_collections.ConfigDict(
      {"sigma": 25.0, "seed": 0, "max_images": 0, "num_grids": 2})

  # Multi-process runs (jaxrestore/distributed.py, docs/distributed.md); the defaults and an
  # environment without JAX_NUM_PROCESSES > 1 give the single-process run.
  c.distributed = ml_collections.ConfigDict({
      "coordinator": "",  # host:port of process 0; "": $JAX_COORDINATOR_ADDRESS
      "num_processes": 0,  # 0: $JAX_NUM_PROCESSES, else 1
      "process_id": -1,  # -1: $JAX_PROCESS_ID
      "cluster": "",  # "": explicit only; "auto": JAX's detection; or "slurm", "ompi", "tpu", ...
      "initialization_timeout": 300})  # seconds to wait for all processes
  return c


def ece285_config(model: str) -> ml_collections.ConfigDict:
  """The ECE285 assignment's recipe: D=6, C=64, RGB, sigma=30, 180x180 crops, Adam 1e-3, batch 4."""
  c = base_config()
  c.model = model
  c.data.train = {"kind": "skimage", "config": "rgb"}
  c.data.train_split = "train"
  c.data.val = {"kind": "folder", "path": "../shared/data/color/cbsd68"}
  c.data.val_split = "data"
  c.data.channels = 3
  c.data.crop = 180
  c.data.batch_size = 4
  c.data.noise.sigma = 30.0
  c.eval.sigma = 30.0
  c.eval.max_images = 8
  c.optimizer.lr = 1e-3
  c.num_steps = 20_000
  c.log_every = 50
  c.eval_every = 1000
  c.checkpoint_every = 1000
  return c


def n2n_config(mode: str) -> ml_collections.ConfigDict:
  """The N2N U-Net on gray train400, Gaussian noise sigma ~ U[0, 50], validated on BSD68 at 25.

  ``mode``: 'noise2noise' (target: a second, independent noisy draw) or 'denoise'
  (noise-to-clean). NVlabs' optimiser: Adam 3e-4, beta2 = 0.99, L2 loss.
  """
  c = base_config()
  c.model = "n2n_unet"
  c.model_kwargs.in_channels = 1
  c.model_kwargs.out_channels = 1
  c.data.train = {"kind": "folder", "path": "../shared/data/bsd/train400"}
  c.data.train_split = "data"
  c.data.val = {"kind": "folder", "path": "../shared/data/bsd/bsd68"}
  c.data.val_split = "data"
  c.data.mode = mode
  c.data.crop = 128
  c.data.batch_size = 8
  c.data.noise.sigma_min = 0.0
  c.data.noise.sigma_max = 50.0
  c.eval.sigma = 25.0
  c.eval.max_images = 0
  c.optimizer.lr = 3e-4
  c.optimizer.b2 = 0.99
  c.num_steps = 20_000
  c.log_every = 50
  c.eval_every = 2000
  c.checkpoint_every = 1000
  return c


def course_net_config(model: str) -> ml_collections.ConfigDict:
  """The EE-559 projects' recipe: 32x32 RGB noise2noise pairs, SGD momentum 0.9, lr 0.01, batch 4.

  Trains on the embedded images and validates on their held-out split, so it runs
  anywhere; Gaussian noise sigma ~ U[0, 50] per image (the course's pairs had
  unspecified real noise).
  """
  c = base_config()
  c.model = model
  c.data.train = {"kind": "skimage", "config": "rgb"}
  c.data.val = {"kind": "skimage", "config": "rgb"}
  c.data.channels = 3
  c.data.mode = "noise2noise"
  c.data.crop = 32
  c.data.batch_size = 4
  c.data.noise.sigma_min = 0.0
  c.data.noise.sigma_max = 50.0
  c.eval.sigma = 25.0
  c.optimizer.name = "sgd"
  c.optimizer.lr = 0.01
  c.optimizer.momentum = 0.9
  c.num_steps = 5000
  c.log_every = 100
  c.eval_every = 2500
  c.checkpoint_every = 1000
  return c


def desnownet_config(width_factor: int) -> ml_collections.ConfigDict:
  """DesnowNet's recipe: 64x64 aligned crops of (snowy, clean, mask), batch 5, Adam 3e-5
  with torch-style (coupled) L2 weight decay 5e-4, pyramid loss (tau 4, mask weight 3).

  Data: a Snow100K-layout folder (``python scripts/synth_snow.py`` writes one).
  """
  c = base_config()
  c.task = "desnow"
  c.model = "desnownet"
  c.model_kwargs.width_factor = width_factor
  c.data.train = {"kind": "snow100k", "path": "data/snow"}
  c.data.train_split = "train"
  c.data.val = {"kind": "snow100k", "path": "data/snow"}
  c.data.val_split = "test_m"
  c.data.channels = 3
  c.data.mode = "paired"
  c.data.image_keys = ("input", "clean", "mask")
  c.data.crop = 64
  c.data.batch_size = 5
  c.data.augment = False
  c.data.pad_small = True
  c.optimizer.lr = 3e-5
  c.optimizer.weight_decay = 5e-4
  c.num_steps = 100_000
  c.log_every = 50
  c.eval_every = 2000
  c.checkpoint_every = 1000
  c.eval.max_images = 0
  c.eval.num_grids = 4
  return c


def attentive_gan_config() -> ml_collections.ConfigDict:
  """The Attentive GAN (Qian et al. 2018): generator + discriminator, Adam 1e-4 each,
  D step then G step per batch, 224x224 aligned crops of (rainy, clean).

  ``L_G = 0.01 L_GAN + L_ATT + L_M + L_P``, ``L_D = -log D(R) - log(1 - D(O)) + 0.05 L_map``
  (``jaxrestore/losses/derain.py``). The discriminator's FC input follows
  ``data.crop``. ``gan.vgg``: a jaxrestore model dir of torchvision's VGG16
  (``scripts/port.py --config=configs/port_vgg16.py``); empty = random VGG16.
  The batch size is not published; 4 is ours.
  """
  c = base_config()
  c.task = "derain"
  c.model = "attentive_gan_generator"
  c.model_kwargs.iterations = 4
  c.gan = ml_collections.ConfigDict({
      "discriminator": "attentive_gan_discriminator", "discriminator_kwargs": {},
      "vgg": "", "gan_weight": 0.01, "map_weight": 0.05, "theta": 0.8, "gan_loss": "paper"})
  c.gan.d_optimizer = ml_collections.ConfigDict(c.optimizer.to_dict())
  c.data.train = {"kind": "raindrop", "path": "data/raindrop"}
  c.data.train_split = "train"
  c.data.val = {"kind": "raindrop", "path": "data/raindrop"}
  c.data.val_split = "test_a"
  c.data.channels = 3
  c.data.mode = "paired"
  c.data.image_keys = ("input", "clean")
  c.data.crop = 224
  c.data.batch_size = 4
  c.data.augment = False
  c.optimizer.lr = 1e-4
  c.gan.d_optimizer.lr = 1e-4
  c.num_steps = 100_000
  c.log_every = 50
  c.eval_every = 2000
  c.checkpoint_every = 1000
  c.eval.max_images = 0
  c.eval.num_grids = 4
  return c
