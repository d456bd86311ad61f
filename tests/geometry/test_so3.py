"""SO(3): axis-angle maps, IGSO(3) density, sampling, score and score norm."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.spatial.transform import Rotation

from discodock.geometry import so3

EPS = [0.03, 0.1, 0.5, 1.0, 1.55]


def l_series(omega: np.ndarray, eps: float) -> np.ndarray:
    """DiffDock's defining series f(ω) = Σ (2l+1) e^{-l(l+1)eps²/2} sin((l+½)ω)/sin(ω/2)."""
    l = np.arange(int(12 / eps) + 10)[:, None]  # dropped terms weigh < e^-72
    terms = (2 * l + 1) * np.exp(-l * (l + 1) * eps**2 / 2) * np.sin(omega * (l + 0.5))
    return terms.sum(0) / np.sin(omega / 2)


def random_rotvecs(n: int, angles: torch.Tensor, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    axis = torch.randn(n, 3, generator=g, dtype=torch.float64)
    return axis / axis.norm(dim=-1, keepdim=True) * angles[:, None]


def test_axis_angle_matches_scipy_and_round_trips_near_0_and_pi():
    special = torch.tensor(
        [0, 1e-9, 1e-6, 1e-4, 1e-3, math.pi - 1e-3, math.pi - 1e-6, math.pi - 1e-9, math.pi], dtype=torch.float64
    )
    angles = torch.cat([torch.rand(300, generator=torch.Generator().manual_seed(1)).double() * math.pi,
                        special.double().repeat(20)])
    v = random_rotvecs(len(angles), angles)
    R = so3.axis_angle_to_matrix(v)
    assert torch.allclose(R, torch.from_numpy(Rotation.from_rotvec(v.numpy()).as_matrix()), atol=1e-12)
    back = so3.matrix_to_axis_angle(R)
    # at exactly π, v and -v are the same rotation
    err = torch.minimum((back - v).norm(dim=-1), (back + v).norm(dim=-1))
    assert err.max() < 1e-12
    assert back.norm(dim=-1).max() <= math.pi + 1e-12


def test_matrix_to_axis_angle_float32_random_rotations():
    R = torch.from_numpy(Rotation.random(500, random_state=3).as_matrix()).float()
    v = so3.matrix_to_axis_angle(R)
    assert torch.allclose(so3.axis_angle_to_matrix(v), R, atol=2e-6)


def test_axis_angle_gradient_finite_at_zero():
    v = torch.zeros(4, 3, dtype=torch.float64, requires_grad=True)
    so3.axis_angle_to_matrix(v).sum().backward()
    assert torch.isfinite(v.grad).all()
    v = torch.tensor([[1e-5, -2e-5, 3e-5], [0.3, 0.2, -1.0]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(so3.axis_angle_to_matrix, (v,))


@pytest.mark.parametrize("eps", EPS)
def test_density_equals_the_l_series(eps):
    omega = np.linspace(0.02, math.pi, 200)
    ref = l_series(omega, eps)
    ok = ref > 1e-6 * ref.max()  # the l-series is rounding noise where the density underflows
    e = torch.full((200,), eps, dtype=torch.float64)
    ours = np.exp(so3.log_density(e, random_rotvecs(200, torch.from_numpy(omega))).numpy())
    assert np.allclose(ours[ok], ref[ok], rtol=1e-7)


@pytest.mark.parametrize("eps", EPS)
def test_score_vec_is_gradient_of_log_density(eps):
    angles = torch.linspace(0.05, 0.95, 40, dtype=torch.float64) * min(math.pi, 6 * eps)
    v = random_rotvecs(40, angles, seed=2)
    e = torch.full((40,), eps, dtype=torch.float64)
    h = 1e-6 * max(eps, 0.1)
    fd = torch.stack(
        [(so3.log_density(e, v + h * d) - so3.log_density(e, v - h * d)) / (2 * h) for d in torch.eye(3).double()],
        dim=-1,
    )
    score = so3.score_vec(e, v)
    assert torch.allclose(score, fd, rtol=1e-5, atol=1e-5 * score.abs().max())


def test_score_vec_small_eps_is_gaussian_score_and_zero_at_identity():
    e = torch.full((3,), 0.03, dtype=torch.float64)
    v = torch.tensor([[0.01, 0.0, 0.0], [0.0, -0.02, 0.03], [0.0, 0.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(so3.score_vec(e, v), -v / 0.03**2, rtol=1e-3, atol=1e-9)


@pytest.mark.parametrize("eps", [0.05, 0.5, 1.55])
def test_igso3_samples_follow_the_angle_density(eps):
    n = 20000
    v = so3.sample_igso3(torch.full((n,), eps, dtype=torch.float64), generator=torch.Generator().manual_seed(0))
    omega = v.norm(dim=-1).numpy()
    grid = np.linspace(1e-4, math.pi, 8001)
    pdf = l_series(grid, eps) * (1 - np.cos(grid)) / math.pi
    pdf = np.where(np.isfinite(pdf) & (pdf > 0), pdf, 0.0)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid))])
    assert cdf[-1] == pytest.approx(1.0, abs=1e-4)  # the marginal is normalised on [0, π]
    result = stats.kstest(omega, lambda w: np.interp(w, grid, cdf / cdf[-1]))
    assert result.pvalue > 1e-3
    mean_ref = np.trapezoid(grid * pdf, grid)
    assert omega.mean() == pytest.approx(mean_ref, rel=0.02)
    axis = v / v.norm(dim=-1, keepdim=True)
    assert axis.mean(0).norm() < 0.03  # uniform axis
    assert torch.allclose(axis.T @ axis / n, torch.eye(3, dtype=torch.float64) / 3, atol=0.02)


def test_sampling_is_reproducible_and_handles_mixed_eps():
    eps = torch.tensor([0.03, 1.55, 0.03, 0.7])
    a = so3.sample_igso3(eps, generator=torch.Generator().manual_seed(5))
    b = so3.sample_igso3(eps, generator=torch.Generator().manual_seed(5))
    assert a.shape == (4, 3) and a.dtype == torch.float32 and torch.equal(a, b)
    assert a[[0, 2]].norm(dim=-1).max() < 12 * 0.03


@pytest.mark.parametrize("eps", [0.03, 0.3, 1.55])
def test_score_norm_matches_monte_carlo(eps):
    n = 40000
    e = torch.full((n,), eps, dtype=torch.float64)
    v = so3.sample_igso3(e, generator=torch.Generator().manual_seed(1))
    mc = (so3.score_vec(e, v).pow(2).sum(-1).mean() / 3).sqrt()
    assert so3.score_norm(e[:1]).item() == pytest.approx(mc.item(), rel=0.02)


def test_score_norm_small_eps_limit():
    eps = torch.tensor([0.03, 0.01])
    assert torch.allclose(so3.score_norm(eps) * eps, torch.ones(2), rtol=2e-3)


def test_bad_eps_raises():
    with pytest.raises(ValueError):
        so3.sample_igso3(torch.tensor([0.0]))
    with pytest.raises(ValueError):
        so3.score_norm(torch.tensor([100.0]))
