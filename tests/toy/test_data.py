"""The ring of Gaussians and its exact denoiser."""

import pytest
import torch

from discodock.core.metrics import wasserstein2
from discodock.core.samplers import edm_sampler
from discodock.toy.data import mixture_denoiser, mode_centers, ring_of_gaussians


def test_ring_samples_have_the_papers_statistics():
    x, mode = ring_of_gaussians(16_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (16_000, 2) and mode.shape == (16_000,)
    centers = mode_centers()
    torch.testing.assert_close(centers.norm(dim=1), torch.full((8,), 3.0))
    resid = x - centers[mode]
    assert resid.std().item() == pytest.approx(0.2, rel=0.03)
    counts = torch.bincount(mode, minlength=8).float() / 16_000
    torch.testing.assert_close(counts, torch.full((8,), 1 / 8), atol=0.01, rtol=0)


def test_exact_denoiser_limits_and_conditional_form():
    x = torch.randn(5, 2, dtype=torch.float64) * 3
    torch.testing.assert_close(mixture_denoiser(x, torch.full((5,), 1e-6, dtype=torch.float64)), x, atol=1e-6, rtol=0)
    far = mixture_denoiser(x, torch.full((5,), 1e4, dtype=torch.float64))
    torch.testing.assert_close(far, torch.zeros_like(far), atol=1e-3, rtol=0)  # the data mean
    sigma = torch.full((5,), 0.5, dtype=torch.float64)
    mode = torch.tensor([0, 1, 2, 3, 4])
    mu = mode_centers(dtype=torch.float64)[mode]
    torch.testing.assert_close(mixture_denoiser(x, sigma, mode=mode), mu + 0.04 / 0.29 * (x - mu))


def test_heun_with_exact_denoiser_reproduces_the_data():
    g = torch.Generator().manual_seed(0)
    data, _ = ring_of_gaussians(500, generator=g)
    other, _ = ring_of_gaussians(500, generator=g)
    noise = torch.randn(500, 2, generator=g, dtype=torch.float64)
    x = edm_sampler(lambda x, s, z=None: mixture_denoiser(x, s), noise, num_steps=18).float()
    assert wasserstein2(x, data) < 1.3 * wasserstein2(other, data)
    # Heun from sigma_max = 80 in 2 steps (NFE 3) diverges even with the exact denoiser.
    bad = edm_sampler(lambda x, s, z=None: mixture_denoiser(x, s), noise, num_steps=2).float()
    assert wasserstein2(bad, data) > 10
