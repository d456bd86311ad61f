"""Metrics shared by every experiment: W2 between point sets, ODE curvature, turning angle, NMI."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

Tensor = torch.Tensor


def _numpy(a: Tensor | np.ndarray) -> np.ndarray:
    return a.detach().cpu().double().numpy() if isinstance(a, Tensor) else np.asarray(a, dtype=np.float64)


def wasserstein2(x: Tensor | np.ndarray, y: Tensor | np.ndarray) -> float:
    """Exact W2 between two equal-size empirical sets [n, d]: sqrt(min_π (1/n) Σ ‖x_i − y_π(i)‖²)."""
    x, y = _numpy(x), _numpy(y)
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"x and y must both be [n, d] of equal size, got {x.shape} and {y.shape}")
    cost = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    rows, cols = linear_sum_assignment(cost)
    return float(np.sqrt(cost[rows, cols].mean()))


def _unit_tangent(D: Callable[..., Tensor], x: Tensor, t: float, z: object) -> tuple[Tensor, Tensor]:
    """G = (x − D(x, t, z)) / t (the ODE velocity dx/dt) and T = G / ‖G‖, flattened per sample."""
    G = ((x - D(x, torch.full((x.shape[0],), t, dtype=x.dtype, device=x.device), z)) / t).flatten(1)
    return G, G / G.norm(dim=1, keepdim=True)


@torch.no_grad()
def ode_curvature(
    D: Callable[..., Tensor],
    trajectory: Tensor,
    sigmas: Tensor,
    z: object = None,
    dt: float = 1e-3,
    reduce: str = "mean",
) -> Tensor:
    """Curvature of the probability-flow ODE along a trajectory (DisCo-Diff App. F.3).

    κ(t) = ‖∂ₜT‖ / ‖x'(t)‖ with T = G/‖G‖, G = x'(t) = (x − D(x, t, z)) / t. ∂ₜT is a forward
    finite difference: x(t + Δt) ≈ x + Δt G, ∂ₜT ≈ (T(x(t+Δt), t+Δt) − T(x, t)) / Δt.
    trajectory [T, n, ...] holds the states at times sigmas [T]; times with σ = 0 give NaN.
    reduce "mean" returns [T] (mean over the n paths), "none" returns [T, n].
    """
    if trajectory.shape[0] != sigmas.shape[0]:
        raise ValueError(f"trajectory has {trajectory.shape[0]} states but sigmas has {sigmas.shape[0]}")
    kappa = torch.full(trajectory.shape[:2], float("nan"), dtype=trajectory.dtype, device=trajectory.device)
    for i, t in enumerate(sigmas.tolist()):
        if t <= 0:
            continue
        x = trajectory[i]
        G, T0 = _unit_tangent(D, x, t, z)
        _, T1 = _unit_tangent(D, x + dt * G.view_as(x), t + dt, z)
        kappa[i] = (T1 - T0).norm(dim=1) / dt / G.norm(dim=1)
    if reduce == "mean":
        return kappa.mean(dim=1)
    if reduce == "none":
        return kappa
    raise ValueError(f"reduce must be 'mean' or 'none', got {reduce!r}")


def turning_angle(path: Tensor) -> Tensor:
    """Total turning angle Σ_j ∠(s_j, s_{j+1}) of each polyline path [T, n, d] (segments s_j = p_{j+1} − p_j); [n].

    Uses 2·atan2(‖â − b̂‖, ‖â + b̂‖), accurate for angles near 0 and π; zero-length segments give NaN.
    """
    seg = path[1:] - path[:-1]
    unit = seg / seg.norm(dim=-1, keepdim=True)
    a, b = unit[:-1], unit[1:]
    angles = 2 * torch.atan2((a - b).norm(dim=-1), (a + b).norm(dim=-1))
    return angles.sum(dim=0)


def nmi(a: Tensor | np.ndarray, b: Tensor | np.ndarray) -> float:
    """Normalised mutual information between two labelings (arithmetic normalisation, as sklearn)."""
    from sklearn.metrics import normalized_mutual_info_score  # scikit-learn is only needed for this metric

    a = a.cpu().numpy() if isinstance(a, Tensor) else np.asarray(a)
    b = b.cpu().numpy() if isinstance(b, Tensor) else np.asarray(b)
    return float(normalized_mutual_info_score(a.ravel(), b.ravel()))


__all__ = ["nmi", "ode_curvature", "turning_angle", "wasserstein2"]
