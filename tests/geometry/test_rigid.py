"""Rigid transforms and Kabsch."""

from __future__ import annotations

import torch
from scipy.spatial.transform import Rotation

from discodock.geometry import kabsch, rigid_transform


def random_rotations(n: int, seed: int) -> torch.Tensor:
    return torch.from_numpy(Rotation.random(n, random_state=seed).as_matrix())


def test_kabsch_recovers_a_known_transform_batched():
    g = torch.Generator().manual_seed(0)
    P = torch.randn(6, 20, 3, generator=g, dtype=torch.float64) * 3
    R_true, t_true = random_rotations(6, 1), torch.randn(6, 3, generator=g, dtype=torch.float64) * 10
    Q = rigid_transform(P, R_true, t_true)
    R, t = kabsch(P, Q)
    assert torch.allclose(R, R_true, atol=1e-10) and torch.allclose(t, t_true, atol=1e-9)
    assert torch.allclose(rigid_transform(P, R, t), Q, atol=1e-9)


def test_kabsch_with_noise_is_least_squares_and_never_reflects():
    g = torch.Generator().manual_seed(2)
    P = torch.randn(50, 3, generator=g, dtype=torch.float64)
    Q = P * torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64)  # a mirror image: best fit would be a reflection
    R, t = kabsch(P, Q)
    assert torch.linalg.det(R).item() > 0.999
    assert torch.allclose(R @ R.T, torch.eye(3, dtype=torch.float64), atol=1e-10)
    # a proper rotation near the optimum does no better
    best = (rigid_transform(P, R, t) - Q).pow(2).sum()
    for seed in range(20):
        kick = 0.05 * torch.randn(3, generator=torch.Generator().manual_seed(seed))
        dR = torch.from_numpy(Rotation.from_rotvec(kick.numpy()).as_matrix())
        R2 = dR @ R
        t2 = Q.mean(0) - R2 @ P.mean(0)
        assert (rigid_transform(P, R2, t2) - Q).pow(2).sum() >= best - 1e-9


def test_rigid_transform_broadcasts_over_samples():
    pos = torch.randn(7, 3, dtype=torch.float64)
    R = random_rotations(4, 3)
    t = torch.randn(4, 3, dtype=torch.float64)
    out = rigid_transform(pos.expand(4, 7, 3), R, t)
    for s in range(4):
        assert torch.allclose(out[s], pos @ R[s].T + t[s])
