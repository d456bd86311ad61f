"""EDM (Karras et al. 2022, "Elucidating the design space"): preconditioning, loss, time steps.

Any raw network `F(x_in, c_noise, z, **cond)` is wrapped into a denoiser

    D(x; σ, z) = c_skip(σ) x + c_out(σ) F(c_in(σ) x, c_noise(σ), z)            (Table 1, "Ours")

and trained with the weighted denoising loss

    E_σ,y,n λ(σ) ‖D(y + n; σ, z) − y‖²,   ln σ ~ N(P_mean, P_std²),   n ~ N(0, σ² I).

DisCo-Diff adds the latent z (encoder output, or None for the null latent); EDM itself ignores it.
"""

from __future__ import annotations

import torch
from torch import nn

Tensor = torch.Tensor


def _as_batch_sigma(sigma: float | Tensor, x: Tensor) -> Tensor:
    """σ as a [B] tensor on x's device and dtype (a float or 0-d tensor is repeated B times)."""
    sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
    if sigma.ndim == 0:
        sigma = sigma.expand(x.shape[0])
    if sigma.shape != (x.shape[0],):
        raise ValueError(f"sigma must be a float or a [B={x.shape[0]}] tensor, got shape {tuple(sigma.shape)}")
    return sigma


def _expand_like(v: Tensor, x: Tensor) -> Tensor:
    """[B] -> [B, 1, ..., 1] so it broadcasts over x's trailing dims."""
    return v.reshape(-1, *([1] * (x.ndim - 1)))


def edm_coefficients(sigma: Tensor, sigma_data: float = 0.5) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(c_skip, c_out, c_in, c_noise) of EDM's Table 1 for σ of any shape."""
    s2, d2 = sigma**2, sigma_data**2
    c_skip = d2 / (s2 + d2)
    c_out = sigma * sigma_data / (s2 + d2).sqrt()
    c_in = 1.0 / (s2 + d2).sqrt()
    c_noise = sigma.log() / 4
    return c_skip, c_out, c_in, c_noise


def edm_loss_weight(sigma: Tensor, sigma_data: float = 0.5) -> Tensor:
    """λ(σ) = (σ² + σ_data²) / (σ σ_data)²: makes the effective training target unit-variance."""
    return (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2


class EDMPrecond(nn.Module):
    """Wraps a raw network F into the preconditioned denoiser D(x, σ, z, **cond)."""

    def __init__(self, model: nn.Module, sigma_data: float = 0.5):
        super().__init__()
        self.model = model
        self.sigma_data = sigma_data

    def forward(self, x: Tensor, sigma: float | Tensor, z: object = None, **cond) -> Tensor:
        """x [B, ...], σ float or [B]; F is called as model(c_in x, c_noise [B], z, **cond)."""
        sigma = _as_batch_sigma(sigma, x)
        c_skip, c_out, c_in, c_noise = edm_coefficients(sigma, self.sigma_data)
        F_x = self.model(_expand_like(c_in, x) * x, c_noise, z, **cond)
        return _expand_like(c_skip, x) * x + _expand_like(c_out, x) * F_x.to(x.dtype)


def sample_log_normal_sigma(
    n: int,
    P_mean: float = -1.2,
    P_std: float = 1.2,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> Tensor:
    """σ = exp(P_mean + P_std ε), ε ~ N(0, 1): EDM's training noise-level distribution, shape [n]."""
    # drawn where the generator lives (a CPU generator may drive a GPU run), then moved
    eps = torch.randn(n, generator=generator, device=generator.device if generator is not None else device)
    eps = eps.to(device)
    return (P_mean + P_std * eps).exp()


class EDMLoss:
    """Per-sample EDM loss λ(σ)‖D(y+n, σ, z) − y‖², mean over non-batch dims (EDM's `EDMLoss`)."""

    def __init__(self, P_mean: float = -1.2, P_std: float = 1.2, sigma_data: float = 0.5):
        self.P_mean = P_mean  # mean of ln σ
        self.P_std = P_std  # std of ln σ
        self.sigma_data = sigma_data  # data std the preconditioning assumes

    def __call__(self, D: nn.Module, y: Tensor, z: object = None, **cond) -> Tensor:
        """y [B, ...] clean data; returns the loss of each sample, shape [B]."""
        sigma = sample_log_normal_sigma(y.shape[0], self.P_mean, self.P_std, device=y.device).to(y.dtype)
        n = torch.randn_like(y) * _expand_like(sigma, y)
        D_yn = D(y + n, sigma, z, **cond)
        weight = edm_loss_weight(sigma, self.sigma_data)
        return weight * (D_yn - y).pow(2).flatten(1).mean(dim=1)


def edm_time_steps(num_steps: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0) -> Tensor:
    """Karras eq. 5: t_i = (σ_max^(1/ρ) + i/(N−1) (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, then t_N = 0.

    Returns a float64 tensor of num_steps + 1 values, decreasing from σ_max to σ_min, then 0.
    """
    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    if num_steps == 1:
        t = torch.tensor([float(sigma_max)], dtype=torch.float64)
    else:
        i = torch.arange(num_steps, dtype=torch.float64)
        a, b = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
        t = (a + i / (num_steps - 1) * (b - a)) ** rho
    return torch.cat([t, torch.zeros(1, dtype=torch.float64)])


__all__ = [
    "EDMLoss",
    "EDMPrecond",
    "edm_coefficients",
    "edm_loss_weight",
    "edm_time_steps",
    "sample_log_normal_sigma",
]
