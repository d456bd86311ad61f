"""Heun / stochastic EDM sampler on a Gaussian whose exact denoiser is known."""

import pytest
import torch

from discodock.core.samplers import edm_sampler, heun_nfe

MU = torch.tensor([1.0, -2.0], dtype=torch.float64)
SIGMA = torch.tensor([[1.0, 0.6], [0.6, 0.5]], dtype=torch.float64)


def gaussian_denoiser(x, sigma, z=None):
    """E[y | y + σn = x] for y ~ N(μ, Σ): μ + Σ (Σ + σ² I)⁻¹ (x − μ)."""
    eye = torch.eye(2, dtype=x.dtype)
    A = SIGMA.to(x.dtype) @ torch.linalg.inv(SIGMA.to(x.dtype) + sigma.view(-1, 1, 1) ** 2 * eye)
    return MU.to(x.dtype) + torch.einsum("bij,bj->bi", A, x - MU.to(x.dtype))


def exact_ode_solution(noise, T=80.0):
    """The probability-flow ODE maps x(T) = T ε to μ + Σ^½ (Σ + T² I)^−½ (T ε − μ) (per eigen-direction)."""
    lam, V = torch.linalg.eigh(SIGMA)
    y = ((noise * T - MU) @ V) * (lam / (lam + T**2)).sqrt()
    return MU + y @ V.T


@pytest.mark.parametrize(("S_churn", "num_steps"), [(0.0, 64), (20.0, 128)])
def test_sampler_recovers_gaussian_mean_and_covariance(S_churn, num_steps):
    # 18 steps leave ~10 % (ODE) / ~20 % (churn 20) covariance error on this Gaussian; 64 / 128 steps ~2 %.
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(20_000, 2, generator=g, dtype=torch.float64)
    x = edm_sampler(gaussian_denoiser, noise, num_steps=num_steps, S_churn=S_churn, generator=g)
    mean, cov = x.mean(0), torch.cov(x.T)
    torch.testing.assert_close(mean, MU, atol=0.03, rtol=0)
    torch.testing.assert_close(cov, SIGMA, atol=0.04, rtol=0)


def test_heun_is_second_order():
    """Doubling the steps divides the error to the exact ODE solution by ~4 (Euler would give 2)."""
    noise = torch.randn(500, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    exact = exact_ode_solution(noise)
    err = [(edm_sampler(gaussian_denoiser, noise, num_steps=n) - exact).norm(dim=1).max().item() for n in (32, 64, 128)]
    assert err[2] < 0.01
    assert err[0] / err[1] > 3.5 and err[1] / err[2] > 3.5


def test_sampler_counts_nfe_and_passes_latent_and_cond():
    calls = []

    def D(x, sigma, z=None, label=None):
        calls.append((x.dtype, sigma.shape, z, label))
        return gaussian_denoiser(x, sigma)

    noise = torch.randn(7, 2)
    x, traj = edm_sampler(D, noise, z="z0", num_steps=5, return_trajectory=True, label=3)
    assert len(calls) == heun_nfe(5) == 9
    assert all(c == (torch.float32, (7,), "z0", 3) for c in calls)
    assert x.dtype == torch.float32 and traj.shape == (6, 7, 2)
    torch.testing.assert_close(traj[0], noise * 80)
    torch.testing.assert_close(traj[-1], x)


def test_stochastic_sampler_is_reproducible_with_generator():
    noise = torch.randn(10, 2, dtype=torch.float64)
    a = edm_sampler(gaussian_denoiser, noise, num_steps=6, S_churn=10, generator=torch.Generator().manual_seed(1))
    b = edm_sampler(gaussian_denoiser, noise, num_steps=6, S_churn=10, generator=torch.Generator().manual_seed(1))
    c = edm_sampler(gaussian_denoiser, noise, num_steps=6, S_churn=10, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)
