"""EDM preconditioning identities, loss normalisation and time steps."""

import math

import pytest
import torch
from torch import nn

from discodock.core.edm import EDMLoss, EDMPrecond, edm_coefficients, edm_loss_weight, edm_time_steps

SIGMAS = torch.logspace(-3, 2, 50, dtype=torch.float64)


class Zero(nn.Module):
    """F = 0, which is the optimal raw network when the data are N(0, σ_data² I)."""

    def forward(self, x, c_noise, z=None):
        self.seen = (x, c_noise, z)
        return torch.zeros_like(x)


def test_network_input_and_target_have_unit_variance():
    sd = 0.5
    c_skip, c_out, c_in, _ = edm_coefficients(SIGMAS, sd)
    # Var(c_in (y + n)) = c_in² (σ_d² + σ²) = 1
    torch.testing.assert_close(c_in**2 * (sd**2 + SIGMAS**2), torch.ones_like(SIGMAS))
    # Var of the effective target (y − c_skip x) / c_out = 1
    target_var = ((1 - c_skip) ** 2 * sd**2 + c_skip**2 * SIGMAS**2) / c_out**2
    torch.testing.assert_close(target_var, torch.ones_like(SIGMAS))
    # λ(σ) c_out² = 1: every σ contributes equally to the loss
    torch.testing.assert_close(edm_loss_weight(SIGMAS, sd) * c_out**2, torch.ones_like(SIGMAS))


def test_limits_of_the_coefficients():
    c_skip, c_out, _, c_noise = edm_coefficients(torch.tensor([1e-8, 1e8], dtype=torch.float64))
    assert c_skip[0] == pytest.approx(1.0) and c_out[0] == pytest.approx(0.0, abs=1e-7)
    assert c_skip[1] == pytest.approx(0.0, abs=1e-12) and c_out[1] == pytest.approx(0.5)
    assert c_noise[1] == pytest.approx(math.log(1e8) / 4)


def test_precond_calls_model_with_scaled_input_and_c_noise():
    F = Zero()
    D = EDMPrecond(F, sigma_data=0.5)
    x = torch.randn(3, 2, 4, 4)
    sigma = torch.tensor([0.1, 1.0, 10.0])
    out = D(x, sigma, z="latent")
    c_skip, _, c_in, c_noise = edm_coefficients(sigma)
    x_in, cn, z = F.seen
    torch.testing.assert_close(x_in, c_in.view(-1, 1, 1, 1) * x)
    torch.testing.assert_close(cn, c_noise)
    assert cn.shape == (3,) and z == "latent"
    torch.testing.assert_close(out, c_skip.view(-1, 1, 1, 1) * x)


class Affine(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x, c_noise, z=None):
        return self.lin(x) + c_noise[:, None]


def test_precond_float_sigma_matches_tensor_sigma():
    torch.manual_seed(0)
    D = EDMPrecond(Affine())
    x = torch.randn(5, 2)
    torch.testing.assert_close(D(x, 0.7), D(x, torch.full((5,), 0.7)))
    with pytest.raises(ValueError):
        D(x, torch.ones(4))


def test_loss_of_optimal_denoiser_on_gaussian_data_is_one():
    """For y ~ N(0, σ_d² I) the optimal D is c_skip x (F = 0) and its weighted loss is E[target²] = 1."""
    torch.manual_seed(0)
    y = 0.5 * torch.randn(200_000, 2)
    loss = EDMLoss()(EDMPrecond(Zero()), y)
    assert loss.shape == (200_000,)
    assert loss.mean().item() == pytest.approx(1.0, abs=0.02)


def test_time_steps():
    t = edm_time_steps(18)
    assert t.shape == (19,) and t.dtype == torch.float64
    assert t[0].item() == pytest.approx(80.0) and t[-2].item() == pytest.approx(0.002) and t[-1] == 0
    assert bool((t[1:] < t[:-1]).all())
    # ρ = 7 spacing: σ^(1/ρ) is linear in i
    torch.testing.assert_close(torch.diff(t[:-1] ** (1 / 7)), torch.diff(t[:-1] ** (1 / 7))[:1].expand(17))
