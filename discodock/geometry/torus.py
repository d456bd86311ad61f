"""The wrapped normal on the circle (DiffDock's torsion noise): sampling, score and score norm.

    p_σ(x) ∝ Σ_k exp(-(x + 2πk)² / (2σ²)),   x ∈ [-π, π)

evaluated as a sum over periodic images in log space (softmax weights), in float64, on demand.
"""

from __future__ import annotations

import math

import torch

Tensor = torch.Tensor

_GRID = 1025  # quadrature points for E[score²]
_TAIL = 12.0  # for small σ the mass beyond 12σ is < 1e-31


def _num_images(sigma_max: float) -> int:
    """Images k = -K..K so that every neglected one has exponent below -40 on [-π, π]."""
    return max(2, math.ceil((sigma_max * math.sqrt(80.0) / math.pi - 1) / 2) + 1)


def _images(x: Tensor, sigma: Tensor) -> tuple[Tensor, Tensor]:
    """Images x + 2πk [..., 2K+1] and their log weights -(x+2πk)²/(2σ²)."""
    k_max = _num_images(float(sigma.max()) if sigma.numel() else 1.0)
    k = torch.arange(-k_max, k_max + 1, dtype=x.dtype, device=x.device)
    a = x[..., None] + 2 * math.pi * k
    return a, -(a * a) / (2 * sigma[..., None] ** 2)


def wrap(x: Tensor) -> Tensor:
    """Angles to [-π, π)."""
    return torch.remainder(x + math.pi, 2 * math.pi) - math.pi


def _check_sigma(sigma: Tensor) -> None:
    if not torch.isfinite(sigma).all() or (sigma <= 0).any():
        raise ValueError(f"wrapped-normal sigma must be positive and finite, got range [{sigma.min()}, {sigma.max()}]")


def log_density(x: Tensor, sigma: Tensor) -> Tensor:
    """log p_σ(x), normalised on [-π, π) (x and σ broadcast; dtype of x)."""
    xd, sd = torch.broadcast_tensors(x.double(), sigma.double())
    _check_sigma(sd)
    _, logw = _images(wrap(xd), sd)
    return (torch.logsumexp(logw, -1) - 0.5 * math.log(2 * math.pi) - torch.log(sd)).to(x.dtype)


def sample_wrapped_normal(sigma: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """One draw per entry of sigma (same shape): σ·N(0, 1) wrapped to [-π, π)."""
    _check_sigma(sigma)
    noise = torch.randn(sigma.shape, generator=generator, dtype=sigma.dtype, device=sigma.device)
    return wrap(sigma * noise)


def score(x: Tensor, sigma: Tensor) -> Tensor:
    """∇_x log p_σ(x) = -Σ_k softmax_k · (x + 2πk)/σ² (x and σ broadcast; dtype of x)."""
    xd, sd = torch.broadcast_tensors(x.double(), sigma.double())
    _check_sigma(sd)
    a, logw = _images(wrap(xd), sd)
    return (-(torch.softmax(logw, -1) * a).sum(-1) / sd**2).to(x.dtype)


def score_norm(sigma: Tensor) -> Tensor:
    """E_{x~p_σ}[score(x, σ)²] per entry (as DiffDock's torus.score_norm): ~1/σ² for small σ."""
    _check_sigma(sigma)
    unique, inverse = torch.unique(sigma.double(), return_inverse=True)
    half_width = torch.clamp(_TAIL * unique, max=math.pi)
    steps = torch.linspace(-1, 1, _GRID, dtype=unique.dtype, device=unique.device)
    x = half_width[:, None] * steps  # [U, G]; over a full period the trapezoid rule is spectral
    s = unique[:, None].expand_as(x)
    p = torch.exp(log_density(x, s))
    second_moment = torch.trapezoid(score(x, s) ** 2 * p, x, dim=-1) / torch.trapezoid(p, x, dim=-1)
    return second_moment[inverse].to(sigma.dtype)
