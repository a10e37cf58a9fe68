"""Attentive GAN for raindrop removal (Qian et al., CVPR 2018): generator + discriminator,
Adam 1e-4 each, D step then G step per batch, batch 1, 224x224 aligned crops of (rainy, clean).

    python scripts/train.py --config=configs/attentive_gan.py --workdir=workdirs/attentive_gan \
        --config.data.train.path=/path/to/Raindrop --config.data.val.path=/path/to/Raindrop \
        --config.gan.vgg=models/vgg16

``L_G = 0.01 L_GAN + L_ATT + L_M + L_P``, ``L_D = -log D(R) - log(1 - D(O)) + 0.05 L_map``
(``jaxrestore/losses/derain.py``, weights in ``config.gan``). The crop is sized to
the discriminator's fully connected layer: the official ``Discriminator`` has
``nn.Linear(32 * 14 * 14, 1024)``, which conv7 + conv8 (5x5, stride 4, padding 1)
give for 224x224 inputs only; the discriminator's FC here follows ``data.crop``.
Batch 1 and Adam 1e-4 for both networks as the source trained it (the released
code, predict.py and models/, has no training script to check them against).
The perceptual loss feeds VGG16 the raw [0, 1] images as the authors'
``models/vgg_init.py`` (``gan.vgg_input``). Raindrop layout:
train/{data,gt}/N_rain.png|N_clean.png, test_a, test_b. The VGG16 of the
perceptual loss is torchvision's ``vgg16-397923af.pth`` ported to a model dir
(configs/port_vgg16.py); without --config.gan.vgg it is random (a warning says
so). Evaluation casts the output to uint8 as the authors' predict.py
(``eval.uint8_cast``). Anchor from the paper: 31.57 dB / SSIM 0.9023 on test_a
(luma). paper (the default) is a GPU config: a CPU step at 224x224 takes seconds.

cpu: trains on a 2-core CPU, drops synthesised over the colour test sets:

    python scripts/synth_raindrop.py --config=configs/synth_raindrop.py --config.out=data/raindrop_synth
    python scripts/train.py --config=configs/attentive_gan.py:cpu --workdir=workdirs/attentive_gan_cpu
    python scripts/evaluate.py --config=configs/evaluate_attentive_gan.py \
        --config.checkpoint=workdirs/attentive_gan_cpu --config.data_dir=data/raindrop_synth

The full generator and discriminator, the paper's losses and batch 1, random VGG16;
what differs: 64x64 crops (the discriminator's FC sized for them), as a 224x224 step
takes seconds on a CPU, and lr 5e-4 for both networks with a cosine decay to 0 over
the run's 5000 steps (the paper: constant 1e-4): at 1e-4 the generator learns to
rebuild its training crops about 3x slower (25.8 dB at step 2500, against 26.6 at
step 900). Change both schedules' decay_steps with num_steps. About 60 min alone on 2 cores (1.4 steps/s).

It does not beat its input with the authors' cast; clipped and rounded it comes
within 0.3 dB. Measured 2026-12-05, all 24 images, best checkpoint (4500; eval every
500 on 8 test_a images whose input scores 26.67 dB: 23.72, 23.50, 21.53, 21.77,
22.14, 20.56, 21.89, 25.11, 25.12, 24.76 dB):

    test_a input 27.49 dB -> 25.59 (truncate, the default) / 27.22 dB (round), SSIM 0.887 / 0.907
    test_b input 25.47 dB -> 24.42 / 25.39 dB
    its own 68 training images, whole (step 5000): input 24.99 -> 24.88 dB (round)

The gap between the two casts is the authors' cast, not the model: it wraps values
outside [0, 256/255) modulo 256, so a highlight the generator brightens to 1.004
comes out black. That is 0.26% of test_a's pixels here (1.1% in the worst image),
and it costs 1.6 dB: clipped before the same truncation the output scores 27.20 dB.
Nothing in the losses keeps the output below 256/255, and the eval swings with the
few pixels that cross it. The clip-and-round score is the one that tracks training:
26.54 dB after the paper's lr for 2000 steps, 26.69 after lr 5e-4 with a cosine
decay over 2000, 27.22 after 5000. That rate (+0.5 dB per 2.5x steps) predicted a
pass of test_a's input (27.49) at about 8000 steps; it did not hold. A run with the
cosine decay over 10000 steps, stopped at step 9000 (2 h 9 min, 1.2 steps/s) scored
test_a 25.20 / 27.18 dB (truncate / round; its best 8-image eval, step 8000: 25.80 /
27.00) and test_b 24.51 / 25.58 dB: test_b beats its input (25.47) when rounded, test_a
stays 0.3 dB short, no closer than the 5000-step run.

What else was tried (2000 steps each, best checkpoint, test_a truncate / round):
the paper's lr 1e-4, 25.69 / 26.54 dB (resumed to 4500 steps the eval fell to
21.2 dB); lr 5e-4 with a cosine decay over 2000, 25.38 / 26.69; the same with
gan_weight 0.001 instead of the paper's 0.01, 25.57 / 26.86. The generator's loss
is mostly L_ATT (0.28 at the end, against L_M 0.015, L_P 0.001, 0.01 L_GAN -0.007);
whole-image and 64x64-tiled inference of the lr 5e-4 run score the same (26.35 dB
RGB), so training on crops is not what holds the eval back.

cpu_residual: the cpu recipe with ``model_kwargs.residual=True`` (not the paper's: the
output adds the input, so the generator starts from the rainy image and learns only the
change):

    python scripts/train.py --config=configs/attentive_gan.py:cpu_residual \
        --workdir=workdirs/attentive_gan_cpu_residual

Measured 2026-12-06, 5000 steps in 65 min (sharing the cores with short
diagnostics), best checkpoint (step 500; eval every 500 on the 8 test_a images whose
input scores 26.67 dB, authors' cast: 26.54, 26.42, 26.40, 26.28, 26.14, 26.37, 26.45,
25.95, 26.23, 26.06 dB):

    test_a input 27.49 dB -> 27.19 (truncate) / 27.39 dB (round), SSIM 0.917 / 0.918
    test_b input 25.47 dB -> 25.39 / 25.44 dB

It starts at its input and drifts below it: it does not remove the drops, it adds
small errors everywhere. Why, in both recipes: the attention maps never leave the
constant. L_ATT stays at 0.28-0.30 from the first steps to the last, which is
sum_t theta^(N-t) p (1 - p) with p about 0.10, the share of training pixels the drops
cover (their 30/255 mask): the best a map that is the same everywhere can do. Trained
alone on L_ATT (the attentive-recurrent network, 2000 steps at the recipe's batch 1 and
lr 5e-4; 300 steps at batch 4, lr 1e-3, one iteration), its last map's MSE stays
within 1% of p (1 - p), and a plain 7-layer CNN (3x3, 32 wide, lecun init) stays there
too for 300 steps of batch 4. Without a map that finds the drops the autoencoder gets
no hint where to change the image, and in these budgets it learns to copy it. So the
run length this would need is the one that breaks the attention plateau, which no run
here reached (9000 steps at most): unknown, not extrapolated.

cpu_attention, then cpu_pretrained: the CPU recipe in two phases (not the paper's, which
trains everything together from the start). The first trains the attentive-recurrent
network alone on L_ATT (``gan.attention_only``) on 128x128 crops, batch 4, Adam 1e-3;
the second is cpu_residual started from that generator (``init_checkpoint``), its output
clipped to [0, 1] (``clip_output``, below); both with 2 recurrent iterations instead of
the paper's 4, for half the attention's cost:

    python scripts/train.py --config=configs/attentive_gan.py:cpu_attention \
        --workdir=workdirs/attentive_gan_cpu_attention
    python scripts/train.py --config=configs/attentive_gan.py:cpu_pretrained \
        --workdir=workdirs/attentive_gan_cpu_pretrained
    python scripts/evaluate.py --config=configs/evaluate_attentive_gan.py \
        --config.checkpoint=workdirs/attentive_gan_cpu_pretrained \
        --config.data_dir=data/raindrop_synth

Why 128x128 crops (measured 2026-12-06, batch 4, Adam 1e-3, the 68 synthesised training
images; MSE of the last map against p (1 - p) = 0.10, the constant map's): the
attentive-recurrent network alone, trained by a throwaway script (its own random
aligned crops), left the constant after about 1100 steps (0.090 at step 1100, 0.083 at
1200, 0.064 at 1500), at 1.2 s per step; a plain 9-layer dilated CNN (receptive field
~50 px) also did, after about 1100 steps (0.066 at 1900). On 64x64 crops the same CNN
stayed at the constant for 1000 steps of batch 8, and the network for 2000 of batch 1.
The whole GAN at 128x128, batch 4, costs 8.8 s per step here, hence the attention
alone first.

Measured 2026-12-06 (the synthesised set via --config.data.train.path / val.path).
Phase 1, seed 1 (this variant's), 3000 steps, 68 min at 1.35 s per step: L_ATT per
250-step mean, steps 250 to 3000: 0.183, 0.181, 0.181, 0.184, 0.178, 0.179, 0.173,
0.179, 0.176, 0.166, 0.145, 0.131; the constant maps' L_ATT (``loss_att_constant``,
logged beside it) is about 0.18, 0.173 at step 3000 against 0.113. On test_a's 24
whole images its last map scores MSE 0.049 against the mask (the constant map 0.061),
correlation 0.54. Seed 0 never left the constant (4000 steps) and never will: at step
4000 every pixel's ConvLSTM output gate was below 1e-3 (the residual blocks' features
had grown from a mean of 0.27 at initialisation to 31), so h = 0, the map is the mask
conv's bias, and no gradient reaches the gate through its saturated sigmoid. Seed 1's
gate fell to a mean of 0.08 at step 2000 and recovered. Which of the two a run does
first is chance here; the seed is the measured run's.

Phase 2 beats the input on both splits with the authors' cast: 3000 steps from that
generator (33 min, 1.5 steps per second), measured 2026-12-06, all 24 images of each
split (eval every 500 on the 8 test_a images whose input scores 26.67 dB: 26.51,
26.73, 26.52, 26.42, 26.38, 26.41 dB; the best checkpoint is step 1000):

    best (1000):  test_a input 27.49 dB -> 27.55 dB (SSIM 0.916), 16 of 24 images better
                  test_b input 25.47 dB -> 25.69 dB (SSIM 0.870), 19 of 24
    last (3000):  test_a 27.49 -> 27.63 dB (SSIM 0.907), 19 of 24 better
                  test_b 25.47 -> 26.06 dB (SSIM 0.866), 20 of 24

(clipped and rounded instead: best 27.52 / 25.67 dB). Why ``clip_output``: the same
phase 2 without it scored 26.99 / 25.36 dB (best checkpoint, step 500, by the
truncating eval) and its eval fell to 23.5 dB by step 3000 while its training PSNR
rose from 28.7 to 29.7 dB; clipped and rounded, that last checkpoint scored test_a
27.66, test_b 26.12 dB. The generator had learnt to remove drops, but its output
crossed 1 where the authors' cast wraps it to black, and the truncating eval picked
the checkpoint least affected by that. A short margin on test_a: the maps of phase 1
find the drops only in part, and the run is one seed of a phase 1 that can die.

smoke: drops synthesised over the embedded images (no other data):

    python scripts/train.py --config=configs/attentive_gan.py:smoke \
        --workdir=workdirs/attentive_gan_smoke

Two recurrent steps, 32x32 crops, batch 2, random VGG16: it exercises the whole
GAN loop (D then G, both checkpointed, rainy | attention | output | clean grids)
in a few minutes; the numbers mean little.
"""
from jaxrestore.config_defaults import base_config

VARIANTS = ("paper", "cpu", "cpu_residual", "cpu_attention", "cpu_pretrained", "smoke")


def get_config(arg="paper"):
  if arg not in VARIANTS:
    raise ValueError(f"configs/attentive_gan.py: unknown variant {arg!r}; "
                     f"known: {', '.join(VARIANTS)}")
  c = base_config()
  c.task = "derain"
  c.model = "attentive_gan_generator"
  c.model_kwargs.iterations = 4
  c.data.train = {"kind": "raindrop", "path": "data/raindrop"}
  c.data.train_split = "train"
  c.data.val = {"kind": "raindrop", "path": "data/raindrop"}
  c.data.val_split = "test_a"
  c.data.channels = 3
  c.data.mode = "paired"
  c.data.image_keys = ("input", "clean")
  c.data.crop = 224  # the official discriminator's FC, Linear(32 * 14 * 14, 1024), needs 224
  c.data.batch_size = 1
  c.data.augment = False
  c.optimizer.lr = 1e-4
  c.gan.d_optimizer.lr = 1e-4
  c.num_steps = 100_000
  c.log_every = 50
  c.eval_every = 2000
  c.checkpoint_every = 1000
  c.eval.max_images = 0
  c.eval.num_grids = 4
  c.eval.uint8_cast = "truncate"  # as the authors' predict.py (configs/evaluate_attentive_gan.py)
  if arg in ("cpu", "cpu_residual", "cpu_pretrained"):
    c.data.train = {"kind": "raindrop", "path": "data/raindrop_synth"}
    c.data.val = {"kind": "raindrop", "path": "data/raindrop_synth"}
    c.data.crop = 64
    c.num_steps = 5000
    for opt in (c.optimizer, c.gan.d_optimizer):  # not the paper's: see the docstring
      opt.lr = 5e-4
      opt.schedule.name = "cosine"
      opt.schedule.decay_steps = c.num_steps
    c.log_every = 25
    c.eval_every = 500
    c.checkpoint_every = 250
    c.eval.max_images = 8
  if arg in ("cpu_residual", "cpu_pretrained"):
    c.model_kwargs.residual = True  # not the paper's: see the docstring
  if arg in ("cpu_attention", "cpu_pretrained"):
    c.model_kwargs.iterations = 2  # not the paper's 4: half the attention's cost
  if arg == "cpu_attention":  # phase 1: the attention maps alone, on larger crops
    c.gan.attention_only = True
    c.data.train = {"kind": "raindrop", "path": "data/raindrop_synth"}
    c.data.val = {"kind": "raindrop", "path": "data/raindrop_synth"}
    c.data.crop = 128
    c.data.batch_size = 4
    c.optimizer.lr = 1e-3
    c.seed = 1  # seed 0's run ended with a dead output gate: see the docstring
    c.num_steps = 3000
    c.log_every = 25
    c.eval_every = c.num_steps  # one evaluation, so the workdir's best is its last step
    c.checkpoint_every = 250
    c.eval.max_images = 8
  if arg == "cpu_pretrained":  # phase 2: the whole GAN from phase 1's generator
    c.init_checkpoint = "workdirs/attentive_gan_cpu_attention"
    c.model_kwargs.clip_output = True  # not the paper's: see the docstring
    c.num_steps = 3000
    for opt in (c.optimizer, c.gan.d_optimizer):
      opt.schedule.decay_steps = c.num_steps
  if arg == "smoke":
    c.model_kwargs.iterations = 2
    c.data.train = {"kind": "synthetic_raindrop", "max_size": 128, "seed": 0}
    c.data.val = {"kind": "synthetic_raindrop", "max_size": 128, "seed": 0}
    c.data.crop = 32
    c.data.batch_size = 2
    c.num_steps = 40
    c.log_every = 10
    c.eval_every = 20
    c.checkpoint_every = 20
    c.eval.max_images = 2
  return c
