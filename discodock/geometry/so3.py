"""SO(3): axis-angle maps and the isotropic Gaussian on SO(3), IGSO(3) (DiffDock's rotation noise).

IGSO(3)_eps has a density w.r.t. the normalised Haar measure that depends only on the rotation
angle ω (DiffDock, Leach et al. 2022):

    f(ω) = Σ_l (2l+1) exp(-l(l+1) eps²/2) sin((l+½)ω) / sin(ω/2).

This l-series converges slowly and cancels catastrophically for small eps, so we evaluate the
same function through its Poisson-summed form (a sum over the periodic images of ω):

    f(ω) = sqrt(2π) e^{eps²/8} / eps³ · Σ_m (-1)^m (ω+2πm) exp(-(ω+2πm)²/(2 eps²)) / sin(ω/2),

which needs only a handful of images for eps ≤ a few and is stable in log space. The tests check
it against the l-series. The angle's marginal is p(ω) = f(ω)(1 - cos ω)/π on [0, π]; the axis is
uniform. Everything is computed on demand in float64 (no tables, nothing on disk).
"""

from __future__ import annotations

import math

import torch

Tensor = torch.Tensor

EPS_MAX = 6.0  # the image sum below is exact to ~1e-17 up to here
_NUM_IMAGES = 10  # m = -10..10: neglected images weigh < exp(-40) for eps <= EPS_MAX
_GRID = 2048  # angle grid points for the inverse CDF and the score-norm quadrature
_TAIL = 12.0  # for small eps the angle is ~ eps·χ₃: mass beyond 12 eps is < 1e-28


# ----------------------------------------------------------------------------- axis-angle


def _skew(v: Tensor) -> Tensor:
    """[..., 3] -> the cross-product matrix [..., 3, 3], K w = v × w."""
    x, y, z = v.unbind(-1)
    o = torch.zeros_like(x)
    return torch.stack([o, -z, y, z, o, -x, -y, x, o], dim=-1).reshape(*v.shape[:-1], 3, 3)


def axis_angle_to_matrix(rotvec: Tensor) -> Tensor:
    """Rodrigues: R = I + (sin θ/θ) K + ((1 - cos θ)/θ²) K², θ = |rotvec|; [..., 3] -> [..., 3, 3]."""
    theta2 = (rotvec * rotvec).sum(-1, keepdim=True)[..., None]  # [..., 1, 1]
    small = theta2 < 1e-6
    theta2_safe = torch.where(small, torch.ones_like(theta2), theta2)
    theta = theta2_safe.sqrt()
    # Taylor series below θ = 1e-3 keep the value and the gradient finite at θ = 0.
    a = torch.where(small, 1 - theta2 / 6, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24, (1 - torch.cos(theta)) / theta2_safe)
    k = _skew(rotvec)
    eye = torch.eye(3, dtype=rotvec.dtype, device=rotvec.device).expand_as(k)
    return eye + a * k + b * (k @ k)


def _matrix_to_quaternion(R: Tensor) -> Tensor:
    """[..., 3, 3] -> unit quaternion [..., 4] (w, x, y, z) with w >= 0.

    Shepperd's method: of the four algebraically equivalent formulas, use the one whose pivot
    (|w|, |x|, |y|, |z|) is largest, which stays accurate near θ = π where w -> 0.
    """
    m = R.reshape(*R.shape[:-2], 9).unbind(-1)
    m00, m01, m02, m10, m11, m12, m20, m21, m22 = m
    four_sq = torch.stack(
        [1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], dim=-1
    )  # 4 w², 4 x², 4 y², 4 z²
    candidates = torch.stack(
        [
            torch.stack([four_sq[..., 0], m21 - m12, m02 - m20, m10 - m01], dim=-1),
            torch.stack([m21 - m12, four_sq[..., 1], m10 + m01, m02 + m20], dim=-1),
            torch.stack([m02 - m20, m10 + m01, four_sq[..., 2], m12 + m21], dim=-1),
            torch.stack([m10 - m01, m20 + m02, m21 + m12, four_sq[..., 3]], dim=-1),
        ],
        dim=-2,
    )  # row i = 4 q_i · q
    pivot = four_sq.clamp_min(0.1).sqrt()  # 2 |q_i|; the clamp only guards rows that are not picked
    candidates = candidates / (2 * pivot[..., None])
    best = four_sq.argmax(-1)
    q = torch.gather(candidates, -2, best[..., None, None].expand(*best.shape, 1, 4)).squeeze(-2)
    q = q / q.norm(dim=-1, keepdim=True)
    return torch.where(q[..., :1] < 0, -q, q)


def matrix_to_axis_angle(R: Tensor) -> Tensor:
    """Rotation matrices [..., 3, 3] -> rotation vectors [..., 3] with angle in [0, π]."""
    q = _matrix_to_quaternion(R)
    w, v = q[..., :1], q[..., 1:]
    s = v.norm(dim=-1, keepdim=True)  # sin(θ/2)
    theta = 2 * torch.atan2(s, w)
    small = s < 1e-6
    # θ / sin(θ/2) -> 2 / w as θ -> 0 (w ~ 1 there, so no division by a small number)
    factor = torch.where(small, 2 / w, theta / torch.where(small, torch.ones_like(s), s))
    return v * factor


# ----------------------------------------------------------------------------- IGSO(3) density


def _check_eps(eps: Tensor) -> None:
    if not torch.isfinite(eps).all() or (eps <= 0).any() or (eps > EPS_MAX).any():
        raise ValueError(f"IGSO(3) eps must lie in (0, {EPS_MAX}], got range [{eps.min()}, {eps.max()}]")


def _log_f_and_dlog(omega: Tensor, eps: Tensor) -> tuple[Tensor, Tensor]:
    """log f(ω) and d/dω log f(ω) for broadcastable float64 ω > 0 and eps (image sum, log space)."""
    m = torch.arange(-_NUM_IMAGES, _NUM_IMAGES + 1, dtype=omega.dtype, device=omega.device)
    sign = 1.0 - 2.0 * (m.abs() % 2)  # (-1)^m
    a = omega[..., None] + 2 * math.pi * m  # images ω + 2πm
    e2 = eps[..., None] ** 2
    expo = -(a * a) / (2 * e2)
    shift = expo.max(-1, keepdim=True).values
    w = torch.exp(expo - shift)
    g = (sign * a * w).sum(-1)  # Σ (-1)^m a_m exp(-a_m²/2eps²), scaled by exp(-shift)
    dg = (sign * (1 - a * a / e2) * w).sum(-1)
    half = omega / 2
    log_const = 0.5 * math.log(2 * math.pi) + eps**2 / 8 - 3 * torch.log(eps)
    # f = g / sin(ω/2) > 0; the absolute values keep ω beyond π (where both change sign) valid
    log_f = log_const + shift.squeeze(-1) + torch.log(g.abs()) - torch.log(torch.sin(half).abs())
    dlog_f = dg / g - 0.5 / torch.tan(half)
    return log_f, dlog_f


def log_density(eps: Tensor, rotvec: Tensor) -> Tensor:
    """log of the IGSO(3)_eps density w.r.t. the normalised Haar measure at rotation vectors [S, 3] -> [S]."""
    _check_eps(eps)
    omega = rotvec.double().norm(dim=-1).clamp_min(1e-9)
    return _log_f_and_dlog(omega, eps.double().expand_as(omega))[0].to(rotvec.dtype)


def _angle_grid(eps: Tensor) -> tuple[Tensor, Tensor]:
    """Per eps [U]: angle grid ω [U, G+1] from 0 and the normalised marginal p(ω) on it."""
    top = torch.clamp(_TAIL * eps, max=math.pi)
    steps = torch.arange(1, _GRID + 1, dtype=eps.dtype, device=eps.device) / _GRID
    omega = top[:, None] * steps  # [U, G], excludes ω = 0 where p(0) = 0
    log_f, _ = _log_f_and_dlog(omega, eps[:, None].expand_as(omega))
    log_p = log_f + torch.log1p(-torch.cos(omega))
    p = torch.exp(log_p - log_p.max(-1, keepdim=True).values)
    zero = torch.zeros_like(omega[:, :1])
    omega, p = torch.cat([zero, omega], -1), torch.cat([zero, p], -1)
    p = p / torch.trapezoid(p, omega, dim=-1)[:, None]
    return omega, p


def _cumulative_trapezoid(p: Tensor, x: Tensor) -> Tensor:
    increments = 0.5 * (p[:, 1:] + p[:, :-1]) * (x[:, 1:] - x[:, :-1])
    return torch.cat([torch.zeros_like(p[:, :1]), increments.cumsum(-1)], -1)


def sample_igso3(eps: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Draw one rotation vector per eps [S] -> [S, 3]: uniform axis, angle by inverse CDF of p(ω)."""
    _check_eps(eps)
    unique, inverse = torch.unique(eps.double(), return_inverse=True)
    omega, p = _angle_grid(unique)
    cdf = _cumulative_trapezoid(p, omega)
    cdf = cdf / cdf[:, -1:]
    # Offsetting row r by r makes all CDFs one increasing sequence: one searchsorted for all rows.
    rows = torch.arange(len(unique), dtype=cdf.dtype, device=cdf.device)[:, None]
    flat_cdf, flat_omega = (cdf + rows).reshape(-1), omega.reshape(-1)
    u = torch.rand(eps.shape, generator=generator, dtype=torch.float64, device=eps.device)
    target = inverse.to(u.dtype) + u.clamp(max=1 - 1e-12)
    hi = torch.searchsorted(flat_cdf, target, right=True)
    lo = hi - 1
    frac = (target - flat_cdf[lo]) / (flat_cdf[hi] - flat_cdf[lo])
    angle = flat_omega[lo] + frac * (flat_omega[hi] - flat_omega[lo])
    axis = torch.randn(*eps.shape, 3, generator=generator, dtype=torch.float64, device=eps.device)
    axis = axis / axis.norm(dim=-1, keepdim=True)
    return (axis * angle[..., None]).to(eps.dtype)


def score_vec(eps: Tensor, rotvec: Tensor) -> Tensor:
    """∇ log f at a rotation vector: (d log f/dω)(|v|) · v/|v|; eps [S], rotvec [S, 3] -> [S, 3].

    As DiffDock's `so3.score_vec`: the Riemannian gradient of the log density in the tangent
    (rotation-vector) coordinates, pointing towards the identity for small eps.
    """
    _check_eps(eps)
    v = rotvec.double()
    omega = v.norm(dim=-1)
    safe = omega.clamp_min(1e-6)  # the score is ~ -v/eps² near 0, so it vanishes with v
    _, dlog = _log_f_and_dlog(safe, eps.double().expand_as(safe))
    return (dlog / safe)[..., None].mul(v).to(rotvec.dtype)


def score_norm(eps: Tensor) -> Tensor:
    """sqrt(E_ω~p[(d log f/dω)²] / 3), per eps: the scale DiffDock divides rotation scores by.

    ~ 1/eps for small eps (the score of N(0, eps² I₃) has E|s|² = 3/eps²). DiffDock's own table
    divides by π instead of 3, a factor sqrt(3/π) ≈ 0.977 smaller; we use 3 (per-axis RMS).
    """
    _check_eps(eps)
    unique, inverse = torch.unique(eps.double(), return_inverse=True)
    omega, p = _angle_grid(unique)
    _, dlog = _log_f_and_dlog(omega[:, 1:], unique[:, None].expand_as(omega[:, 1:]))
    s2 = torch.cat([torch.zeros_like(dlog[:, :1]), dlog**2], -1)  # the score vanishes at ω = 0
    second_moment = torch.trapezoid(s2 * p, omega, dim=-1)
    return (second_moment / 3).sqrt()[inverse].to(eps.dtype)
