"""EDM samplers for any denoiser D(x, sigma, z, **cond) (Karras et al. 2022, Algorithm 2).

The probability-flow ODE in EDM's σ(t) = t parameterisation is dx/dt = (x − D(x; t)) / t.
Heun's 2nd-order method integrates it from t = σ_max down to 0; S_churn > 0 adds EDM's
stochastic "churn" (noise raised from t to t̂ before each step). The DisCo latent z is held fixed
for the whole trajectory.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from discodock.core.edm import edm_time_steps

Tensor = torch.Tensor
Denoiser = Callable[..., Tensor]


def _denoise(D: Denoiser, x: Tensor, t: Tensor, z: object, dtype: torch.dtype, cond: dict) -> Tensor:
    """D evaluated in the model's dtype, result returned in float64 (the sampler's working dtype)."""
    sigma = t.to(dtype).expand(x.shape[0]).to(x.device)
    return D(x.to(dtype), sigma, z, **cond).to(torch.float64)


@torch.no_grad()
def edm_sampler(
    D: Denoiser,
    latents_noise: Tensor,
    z: object = None,
    num_steps: int = 18,  # N: NFE = 2N − 1 (no correction on the last step, to t = 0)
    sigma_min: float = 0.002,  # lowest non-zero noise level
    sigma_max: float = 80,  # starting noise level: x_0 = σ_max · latents_noise
    rho: float = 7,  # time-step exponent (eq. 5)
    S_churn: float = 0,  # total stochasticity; 0 gives the deterministic Heun ODE sampler
    S_min: float = 0,  # churn only for t in [S_min, S_max]
    S_max: float = float("inf"),
    S_noise: float = 1,  # scale of the churn noise (slightly > 1 offsets denoiser over-smoothing)
    generator: torch.Generator | None = None,  # for the churn noise only
    return_trajectory: bool = False,
    **cond,
) -> Tensor | tuple[Tensor, Tensor]:
    """Heun 2nd-order sampler (Algorithm 2); deterministic when S_churn = 0.

    latents_noise: unit-variance noise [B, ...]; D is called in its dtype, arithmetic is float64.
    Returns x [B, ...] in latents_noise's dtype; with return_trajectory also the states
    [num_steps + 1, B, ...] at the times `edm_time_steps(num_steps, sigma_min, sigma_max, rho)`.
    """
    dtype, device = latents_noise.dtype, latents_noise.device
    t_steps = edm_time_steps(num_steps, sigma_min, sigma_max, rho).to(device)
    x_next = latents_noise.to(torch.float64) * t_steps[0]
    trajectory = [x_next]
    for i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):
        x_cur = x_next
        # Churn: raise the noise level from t_cur to t_hat by adding fresh noise.
        gamma = min(S_churn / num_steps, math.sqrt(2) - 1) if S_min <= float(t_cur) <= S_max else 0.0
        t_hat = t_cur + gamma * t_cur
        x_hat = x_cur
        if gamma > 0:
            # drawn where the generator lives (a CPU generator may drive a GPU run), then moved
            eps = torch.randn(x_cur.shape, generator=generator, dtype=torch.float64,
                              device=generator.device if generator is not None else device).to(device)
            x_hat = x_cur + (t_hat**2 - t_cur**2).sqrt() * S_noise * eps
        # Euler step.
        d_cur = (x_hat - _denoise(D, x_hat, t_hat, z, dtype, cond)) / t_hat
        x_next = x_hat + (t_next - t_hat) * d_cur
        # 2nd-order correction, except on the last step (t_next = 0).
        if i < num_steps - 1:
            d_prime = (x_next - _denoise(D, x_next, t_next, z, dtype, cond)) / t_next
            x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime)
        trajectory.append(x_next)
    x = x_next.to(dtype)
    if return_trajectory:
        return x, torch.stack(trajectory).to(dtype)
    return x


def heun_nfe(num_steps: int) -> int:
    """Network evaluations of the Heun sampler: two per step, one on the last."""
    return 2 * num_steps - 1


__all__ = ["edm_sampler", "heun_nfe"]
