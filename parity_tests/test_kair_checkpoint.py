"""KAIR's public DnCNN sigma=25 checkpoint, ported, on Set12 and BSD68 in both trees.

Protocol of ../shared/README.md; known PyTorch means: Set12 30.43 dB, BSD68 29.23 dB.
Each tree's PSNRs of one folder and precision are computed once per process (Set12 in
float32 serves both the known result and the bf16 comparison). The cached functions
take every argument positionally and have no defaults: ``functools.cache`` keys on the
arguments as written, so ``f(a, b)`` and ``f(a, b, "float32")`` would compute twice.
Torch runs the twin in channels-last memory format: the same convolutions, which
oneDNN computes about 30% faster on CPU than in NCHW (one thread, 481x321: 1.9 s
against 2.7 s an image).
"""
import functools

import numpy as np
import pytest
import torch

import torch_ref.models as tm
from jaxrestore import evaluate, porting
from jaxrestore.data import images
from jaxrestore.data.noise import gaussian_noise_seeded
from torch_ref import metrics as tmetrics

CKPT = "data/checkpoints/kair_dncnn_25.pth"


@functools.cache
def _jax_psnrs(ckpt, folder, precision: str) -> tuple[float, ...]:
  model = porting.load_checkpoint(ckpt, "kair_dncnn17_merged", precision=precision)
  results = evaluate.evaluate_denoiser(evaluate.make_model_apply(model), folder, 25.0, 1, seed=0)
  return tuple(r.psnr for r in results)


@functools.cache
def _torch_psnrs(ckpt, folder, autocast: bool) -> tuple[float, ...]:
  net = tm.create("kair_dncnn17_merged")
  net.load_state_dict(torch.load(ckpt, weights_only=True), strict=True)
  net.eval().to(memory_format=torch.channels_last)
  out = []
  for path in images.list_images(folder):
    clean_u8 = images.read_uint8(path, 1)
    noisy = gaussian_noise_seeded((clean_u8 / 255.0).astype(np.float32), 25.0, seed=0)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
      x = torch.from_numpy(noisy.transpose(2, 0, 1))[None]
      y = net(x.contiguous(memory_format=torch.channels_last))[0].float().numpy()
    y = y.transpose(1, 2, 0)
    out.append(float(tmetrics.psnr_uint8(tmetrics.to_uint8(y), clean_u8)))
  return tuple(out)


def _assert_known_result(ckpt, folder, expected):
  jax_psnr = np.array(_jax_psnrs(ckpt, folder, "float32"))
  torch_psnr = np.array(_torch_psnrs(ckpt, folder, False))
  assert abs(jax_psnr.mean() - expected) <= 0.01, jax_psnr.mean()
  assert abs(torch_psnr.mean() - expected) <= 0.01, torch_psnr.mean()
  np.testing.assert_allclose(jax_psnr, torch_psnr, rtol=0, atol=1e-3)


@pytest.mark.slow(seconds=70)  # DnCNN-17 on Set12 in both trees, in float32 and in bf16
def test_kair_dncnn25_set12_both_trees_and_bf16_against_float32(shared_path):
  """The known 30.43 dB in both trees, image by image; then bf16 (jaxrestore
  precision='bfloat16', torch autocast) loses at most 0.05 dB of the mean against
  float32 in each tree. One test, so that the float32 runs serve both checks."""
  ckpt, folder = shared_path(CKPT), shared_path("data/bsd/set12")
  _assert_known_result(ckpt, folder, 30.43)
  mean_psnr = {}
  for precision in ("float32", "bfloat16"):
    mean_psnr["jax", precision] = np.mean(_jax_psnrs(ckpt, folder, precision))
    mean_psnr["torch", precision] = np.mean(_torch_psnrs(ckpt, folder, precision == "bfloat16"))
  print(mean_psnr)
  for tree in ("jax", "torch"):
    assert abs(mean_psnr[tree, "bfloat16"] - mean_psnr[tree, "float32"]) <= 0.05, mean_psnr


@pytest.mark.slow(seconds=250)  # DnCNN-17 on the 68 BSD68 images in both trees
def test_kair_dncnn25_bsd68_both_trees(shared_path):
  _assert_known_result(shared_path(CKPT), shared_path("data/bsd/bsd68"), 29.23)
