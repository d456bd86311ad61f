"""W2, ODE curvature, turning angle and NMI on cases with known answers."""

import math

import pytest
import torch

from discodock.core.metrics import nmi, ode_curvature, turning_angle, wasserstein2
from discodock.core.samplers import edm_sampler
from discodock.core.edm import edm_time_steps


def test_w2_known_cases():
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(0))
    assert wasserstein2(x, x[torch.randperm(300)]) == pytest.approx(0.0, abs=1e-9)
    assert wasserstein2(x, x + torch.tensor([3.0, 4.0])) == pytest.approx(5.0, rel=1e-6)
    # 1-D: the optimal assignment matches sorted values.
    a, b = torch.rand(200, 1), torch.rand(200, 1) * 2
    expected = (a.sort(0).values - b.sort(0).values).pow(2).mean().sqrt().item()
    assert wasserstein2(a, b) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError):
        wasserstein2(x, x[:10])


def test_straight_ode_has_zero_curvature():
    """Point-mass data: D(x) = μ, so x(t) = μ + t ε is a straight line."""
    mu = torch.tensor([1.0, -2.0], dtype=torch.float64)

    def D(x, sigma, z=None):
        return mu.expand_as(x)

    noise = torch.randn(50, 2, dtype=torch.float64)
    _, traj = edm_sampler(D, noise, num_steps=10, return_trajectory=True)
    kappa = ode_curvature(D, traj, edm_time_steps(10))
    assert kappa.shape == (11,) and torch.isnan(kappa[-1])
    assert kappa[:-1].abs().max().item() < 1e-6
    assert turning_angle(traj[:-1]).abs().max().item() < 1e-6


def test_circular_flow_has_curvature_one_over_radius():
    """D(x, t) = x − t A x with A a rotation generator gives dx/dt = A x: circles, κ = 1/r."""
    A = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)

    def D(x, sigma, z=None):
        return x - sigma[:, None] * x @ A.T

    radii = torch.tensor([0.5, 2.0, 4.0], dtype=torch.float64)
    x = torch.stack([radii, torch.zeros(3, dtype=torch.float64)], dim=1)
    kappa = ode_curvature(D, x.unsqueeze(0), torch.tensor([1.0], dtype=torch.float64), reduce="none")
    torch.testing.assert_close(kappa[0], 1 / radii, rtol=1e-3, atol=0)


def test_curvature_latent_is_passed():
    seen = []

    def D(x, sigma, z=None):
        seen.append(z)
        return torch.zeros_like(x)

    ode_curvature(D, torch.randn(2, 4, 2), torch.tensor([1.0, 0.5]), z="code")
    assert seen and all(s == "code" for s in seen)


def test_turning_angle_known_paths():
    theta = torch.linspace(0, 2 * math.pi, 401)
    circle = torch.stack([theta.cos(), theta.sin()], dim=-1).unsqueeze(1)
    # 400 segments, 399 turns of 2π/400 each.
    assert turning_angle(circle).item() == pytest.approx(2 * math.pi * 399 / 400, rel=1e-5)
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]).unsqueeze(1)
    assert turning_angle(square).item() == pytest.approx(1.5 * math.pi)
    back = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]).unsqueeze(1)
    assert turning_angle(back).item() == pytest.approx(math.pi)


def test_nmi_known_cases():
    a = torch.arange(8).repeat(50)
    assert nmi(a, (a + 3) % 8) == pytest.approx(1.0)  # a relabelling
    g = torch.Generator().manual_seed(0)
    assert nmi(torch.randint(8, (20_000,), generator=g), torch.randint(8, (20_000,), generator=g)) < 0.01
    assert 0.3 < nmi(a, a // 2) < 1.0
