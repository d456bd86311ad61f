"""Rigid motions of point sets: applying (R, t) and the least-squares fit (Kabsch)."""

from __future__ import annotations

import torch

Tensor = torch.Tensor


def rigid_transform(pos: Tensor, R: Tensor, t: Tensor) -> Tensor:
    """R x + t for every point: pos [..., N, 3], R [..., 3, 3], t [..., 3] -> [..., N, 3]."""
    return pos @ R.transpose(-1, -2) + t[..., None, :]


def kabsch(P: Tensor, Q: Tensor) -> tuple[Tensor, Tensor]:
    """Proper rotation R [..., 3, 3] and translation t [..., 3] minimising Σ_i |R p_i + t - q_i|².

    P, Q: [..., N, 3] with corresponding rows. With H = Σ (p - p̄)(q - q̄)ᵀ = U S Vᵀ,
    R = V diag(1, 1, d) Uᵀ with d = sign det(V Uᵀ) (no reflections), t = q̄ - R p̄.
    """
    p_mean, q_mean = P.mean(-2), Q.mean(-2)
    H = (P - p_mean[..., None, :]).transpose(-1, -2) @ (Q - q_mean[..., None, :])
    U, _, Vh = torch.linalg.svd(H)
    V = Vh.transpose(-1, -2)
    d = torch.sign(torch.linalg.det(V @ U.transpose(-1, -2)))
    d = torch.where(d == 0, torch.ones_like(d), d)
    D = torch.diag_embed(torch.stack([torch.ones_like(d), torch.ones_like(d), d], dim=-1))
    R = V @ D @ U.transpose(-1, -2)
    t = q_mean - (R @ p_mean[..., None]).squeeze(-1)
    return R, t
