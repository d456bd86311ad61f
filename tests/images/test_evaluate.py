"""Sampling helpers: NFE bookkeeping, shared noise, the latent swap, generation shapes."""

import pytest
import torch

from discodock.core.prior import ARPrior
from discodock.images.evaluate import (
    balanced_labels, generate, num_steps_for_nfe, sample_noise, swapped_denoiser,
)
from discodock.images.encoder import EncoderConfig
from discodock.images.train import ImageDisCo, TrainConfig
from discodock.images.unet import UNetConfig

SMALL = UNetConfig(resolution=8, ch=16, ch_mult=(1, 2), attn_resolutions=(4,), heads=2, m=2, k=4, latent_dim=16)
SMALL_ENC = EncoderConfig(resolution=8, patch=2, dim=16, depth=1, heads=2, m=2, k=4)


def test_nfe_to_heun_steps():
    assert [num_steps_for_nfe(n) for n in (9, 17, 35)] == [5, 9, 18]
    with pytest.raises(ValueError):
        num_steps_for_nfe(10)


def test_balanced_labels():
    assert torch.bincount(balanced_labels(50, 10)).tolist() == [5] * 10


def test_noise_is_fixed_by_seed():
    assert torch.equal(sample_noise(3, (1, 8, 8), 4, "cpu"), sample_noise(3, (1, 8, 8), 4, "cpu"))
    assert not torch.equal(sample_noise(3, (1, 8, 8), 4, "cpu"), sample_noise(3, (1, 8, 8), 5, "cpu"))


class _Recorder:
    """A fake model whose D records which latent it was given at each σ."""

    def __init__(self):
        self.calls = []
        self.D = self

    def __call__(self, x, sigma, z=None, **cond):
        self.calls.append((float(sigma[0]), z))
        return x


def test_swapped_denoiser_switches_below_sigma():
    rec = _Recorder()
    D = swapped_denoiser(rec, "a", "b", sigma_swap=1.0)
    x = torch.zeros(2, 1)
    for s in (5.0, 1.5, 1.0, 0.3):
        D(x, torch.full((2,), s))
    assert [z for _, z in rec.calls] == ["a", "a", "b", "b"]


def test_generate_shapes_and_twin_matches_its_null_latent():
    torch.manual_seed(0)
    disco = ImageDisCo(SMALL, SMALL_ENC, TrainConfig(prior_d_model=16, prior_layers=1)).eval()
    assert isinstance(disco.prior, ARPrior)
    labels = balanced_labels(6, 10)
    x = generate(disco, labels, nfe=3, seed=0)
    assert x.shape == (6, 1, 8, 8) and float(x.abs().max()) <= 1.0
    twin = ImageDisCo(SMALL, None).eval()
    a, b = generate(twin, labels, nfe=3, seed=0), generate(twin, labels, nfe=3, seed=0)
    assert torch.equal(a, b)
