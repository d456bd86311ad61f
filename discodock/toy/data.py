"""The paper's 2-D toy: 8 Gaussians (std 0.2) on a circle of radius 3, equal weights.

Besides samples, the exact denoiser E[y | y + σn = x] of the mixture is available in closed form;
it is used to choose sampler settings independently of any trained network, and in tests.
"""

from __future__ import annotations

import math

import torch

Tensor = torch.Tensor


def mode_centers(num_modes: int = 8, radius: float = 3.0, dtype: torch.dtype = torch.float32) -> Tensor:
    """Centres [num_modes, 2] evenly spaced on the circle, the first at angle 0."""
    angle = torch.arange(num_modes, dtype=dtype) * (2 * math.pi / num_modes)
    return radius * torch.stack([angle.cos(), angle.sin()], dim=1)


def ring_of_gaussians(
    n: int,
    num_modes: int = 8,
    radius: float = 3.0,
    std: float = 0.2,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """n points of the mixture and the mode each came from: (x [n, 2], mode [n] long)."""
    mode = torch.randint(num_modes, (n,), generator=generator)
    x = mode_centers(num_modes, radius)[mode] + std * torch.randn(n, 2, generator=generator)
    return x, mode


def mixture_denoiser(
    x: Tensor,
    sigma: Tensor,
    num_modes: int = 8,
    radius: float = 3.0,
    std: float = 0.2,
    mode: Tensor | None = None,
) -> Tensor:
    """Exact E[y | x] for x = y + σn: Σ_j r_j(x) (μ_j + s²/(s²+σ²)(x − μ_j)), r_j the mode posterior.

    With `mode` [B] given, the denoiser of that one Gaussian (what a perfect DisCo latent yields).
    """
    mu = mode_centers(num_modes, radius, x.dtype).to(x.device)
    var = (std**2 + sigma**2).view(-1, 1, 1)  # [B, 1, 1]
    diff = x.unsqueeze(1) - mu  # [B, K, 2]
    per_mode = mu + (std**2 / var) * diff  # E[y | x, j]
    if mode is not None:
        return per_mode[torch.arange(x.shape[0], device=x.device), mode]
    r = (-(diff**2).sum(-1) / (2 * var.squeeze(-1))).softmax(dim=1)  # [B, K]
    return (r.unsqueeze(-1) * per_mode).sum(1)


__all__ = ["mixture_denoiser", "mode_centers", "ring_of_gaussians"]
