"""Wrapped normal on the circle: sampling, score, score norm."""

from __future__ import annotations

import math

import pytest
import torch

from discodock.geometry import torus

SIGMAS = [0.03, 0.3, 1.0, 2.0, math.pi]


@pytest.mark.parametrize("sigma", SIGMAS)
def test_score_is_gradient_of_log_density(sigma):
    x = torch.linspace(-math.pi + 1e-3, math.pi - 1e-3, 101, dtype=torch.float64)
    if sigma < 0.1:
        x = x * 6 * sigma / math.pi  # where the density is representable
    s = torch.full_like(x, sigma)
    h = 1e-6 * sigma
    fd = (torus.log_density(x + h, s) - torus.log_density(x - h, s)) / (2 * h)
    assert torch.allclose(torus.score(x, s), fd, rtol=1e-6, atol=1e-6 / sigma**2)


@pytest.mark.parametrize("sigma", SIGMAS)
def test_density_is_normalised_and_periodic(sigma):
    x = torch.linspace(-math.pi, math.pi, 20001, dtype=torch.float64)
    p = torus.log_density(x, torch.tensor(sigma, dtype=torch.float64)).exp()
    assert torch.trapezoid(p, x).item() == pytest.approx(1.0, abs=1e-6)
    s = torch.tensor(sigma, dtype=torch.float64)
    assert torch.allclose(torus.score(x[:50] + 2 * math.pi, s), torus.score(x[:50], s))


def test_score_small_sigma_is_gaussian_and_odd():
    x = torch.tensor([-0.05, -0.01, 0.0, 0.02], dtype=torch.float64)
    assert torch.allclose(torus.score(x, torch.tensor(0.03, dtype=torch.float64)), -x / 0.03**2)
    assert torch.allclose(torus.score(-x, torch.tensor(2.0)), -torus.score(x, torch.tensor(2.0)))


def test_samples_shape_range_and_circular_moments():
    sigma = torch.tensor(SIGMAS).repeat(50000, 1)  # [n, 5]
    x = torus.sample_wrapped_normal(sigma, generator=torch.Generator().manual_seed(0))
    assert x.shape == sigma.shape and x.dtype == sigma.dtype
    assert x.min() >= -math.pi and x.max() < math.pi
    s = torch.tensor(SIGMAS)
    # characteristic function of the wrapped normal: E[e^{i n x}] = e^{-n² σ²/2}
    for n in (1, 2):
        assert torch.allclose((n * x).cos().mean(0), torch.exp(-(n**2) * s**2 / 2), atol=0.01)
        assert (n * x).sin().mean(0).abs().max() < 0.01


def test_sampling_reproducible():
    sigma = torch.full((3, 4), 0.5)
    a = torus.sample_wrapped_normal(sigma, generator=torch.Generator().manual_seed(3))
    b = torus.sample_wrapped_normal(sigma, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize("sigma", [0.03, 0.5, 1.5, math.pi])
def test_score_norm_matches_monte_carlo(sigma):
    n = 100000
    s = torch.full((n,), sigma, dtype=torch.float64)
    x = torus.sample_wrapped_normal(s, generator=torch.Generator().manual_seed(1))
    mc = torus.score(x, s).pow(2).mean()
    assert torus.score_norm(s[:1]).item() == pytest.approx(mc.item(), rel=0.02)


def test_score_norm_limits_and_shape():
    sigma = torch.tensor([[0.01, 0.03], [0.03, math.pi]])
    norm = torus.score_norm(sigma)
    assert norm.shape == sigma.shape
    assert torch.allclose(norm[0] * sigma[0] ** 2, torch.ones(2), rtol=1e-4)
    assert norm[1, 1] < 1e-3  # nearly uniform at σ = π


def test_bad_sigma_raises():
    with pytest.raises(ValueError):
        torus.score(torch.zeros(2), torch.tensor([0.1, -1.0]))


def test_ligand_without_torsions_gives_empty_outputs():
    empty = torch.empty(0)
    assert torus.sample_wrapped_normal(empty).shape == (0,)
    assert torus.score(empty, empty).shape == (0,)
    assert torus.score_norm(empty).shape == (0,)


def test_log_density_and_score_keep_the_dtype_of_x():
    x = torch.tensor([0.3, -2.0], dtype=torch.float32)
    assert torus.log_density(x, torch.tensor(0.5)).dtype == torch.float32
    assert torus.score(x, torch.tensor(0.5)).dtype == torch.float32
