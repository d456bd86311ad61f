"""DiffDock's diffusion over ligand poses: noise schedule, forward noising, score-matching loss.

One diffusion time t ∈ [0, 1] drives the three parts (DiffDock, Corso et al. 2023, Sec. 3):
σ_tr(t), σ_rot(t), σ_tor(t) with σ(t) = σ_min^(1−t) σ_max^t (`discodock.model.config.sigmas`).

Forward process, applied to the ligand's (matched-conformer) crystal pose:
- translation  Δtr ~ N(0, σ_tr² I)                         score −Δtr / σ_tr²
- rotation     rotvec ~ IGSO(3)(σ_rot) about the centroid   score so3.score_vec(σ_rot, rotvec)
- torsions     Δτ ~ wrapped normal(σ_tor) per bond          score torus.score(Δτ, σ_tor)

The loss is DiffDock's: each part normalised by its score's expected norm so that a zero
prediction costs ~1 per part at every t, and the parts are averaged with equal weights.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Sequence

import torch

from discodock.complex_graph import ComplexGraph
from discodock.geometry import so3, torus
from discodock.geometry.torsion import modify_conformer
from discodock.model.config import ModelConfig, sigmas

Tensor = torch.Tensor


@dataclass
class NoiseTargets:
    """Per-complex diffusion time, σ's and true scores; G complexes, T_total torsions."""

    t: Tensor  # [G]
    sigma_tr: Tensor  # [G]
    sigma_rot: Tensor  # [G]
    sigma_tor: Tensor  # [G]
    tr_score: Tensor  # [G, 3]
    rot_score: Tensor  # [G, 3]
    tor_score: Tensor  # [T_total]
    tor_batch: Tensor  # long [T_total]: complex of each torsion

    def to(self, device: torch.device | str) -> "NoiseTargets":
        return replace(self, **{f.name: getattr(self, f.name).to(device) for f in fields(self)})


def collate_targets(targets: Sequence[NoiseTargets]) -> NoiseTargets:
    """Concatenate per-complex targets in batch order (torsion complex ids are re-numbered)."""
    tor_batch = [torch.full_like(x.tor_batch, i) for i, x in enumerate(targets)]
    cat = {f.name: torch.cat([getattr(x, f.name) for x in targets]) for f in fields(NoiseTargets)}
    cat["tor_batch"] = torch.cat(tor_batch)
    return NoiseTargets(**cat)


def sample_time(
    num: int,
    distribution: str = "uniform",
    alpha: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Training times t ∈ [0, 1]: 'uniform' (DiffDock) or 'beta' = Beta(α, 1), density α t^(α−1) (DiffDock-S: α = 2)."""
    return time_quantile(torch.rand(num, generator=generator), distribution, alpha)


def time_quantile(u: Tensor, distribution: str = "uniform", alpha: float = 1.0) -> Tensor:
    """The time t whose CDF is u ∈ [0, 1] (inverse-CDF sampling, so one generator makes t reproducible
    and evenly spaced u give stratified times): Beta(α, 1) has CDF t^α."""
    if distribution == "uniform":
        return u
    if distribution == "beta":
        return u.pow(1.0 / alpha)
    raise ValueError(f"unknown time distribution {distribution!r}; expected 'uniform' or 'beta'")


def noise_complex(
    graph: ComplexGraph,
    t: float | Tensor,
    cfg: ModelConfig,
    generator: torch.Generator | None = None,
) -> tuple[ComplexGraph, NoiseTargets]:
    """Perturb the ligand pose of one complex at diffusion time t; return it with its score targets.

    `cfg` carries the σ ranges (a `ModelConfig`). Torsions are changed first, then the ligand is
    rotated about its centroid and translated (`modify_conformer`), as DiffDock's noise_transform.
    """
    t = torch.as_tensor(t, dtype=torch.float32).reshape(1)
    sig = sigmas(t, cfg)
    sigma_tr, sigma_rot, sigma_tor = sig.tr, sig.rot, sig.tor
    tr_update = torch.randn(1, 3, generator=generator) * sigma_tr
    rot_update = so3.sample_igso3(sigma_rot, generator=generator).reshape(1, 3).float()
    num_tor = graph.num_torsions
    tor_update = torus.sample_wrapped_normal(sigma_tor.expand(num_tor), generator=generator).float()
    dtype = graph.lig_pos.dtype  # the noise is drawn in float32; a float64 complex stays float64
    pos = modify_conformer(
        graph.lig_pos.unsqueeze(0), tr_update.to(dtype), rot_update.to(dtype),
        tor_update.unsqueeze(0).to(dtype) if num_tor else None,
        graph.tor_bonds, graph.tor_move_index,
    )[0]
    targets = NoiseTargets(
        t=t,
        sigma_tr=sigma_tr,
        sigma_rot=sigma_rot,
        sigma_tor=sigma_tor,
        tr_score=-tr_update / sigma_tr**2,
        rot_score=so3.score_vec(sigma_rot, rot_update).reshape(1, 3).float(),
        tor_score=torus.score(tor_update, sigma_tor.expand(num_tor)).float(),
        tor_batch=torch.zeros(num_tor, dtype=torch.long),
    )
    return graph.with_ligand_pos(pos), targets


def score_matching_loss(
    pred: dict[str, Tensor],
    targets: NoiseTargets,
    weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3),
) -> dict[str, Tensor]:
    """DiffDock's normalised denoising score-matching loss (utils/training.py loss_function).

    tr:  mean ((s_θ − s) σ_tr)²            (E[(s σ_tr)²] = 1 per coordinate)
    rot: mean ((s_θ − s) / ‖s‖_rot)²       (‖s‖_rot = so3.score_norm(σ_rot), per coordinate)
    tor: mean (s_θ − s)² / E[s²](σ_tor)    (torus.score_norm)
    Also returns each part's 'base' loss (the zero prediction's) for monitoring.
    """
    tr_scale = targets.sigma_tr.unsqueeze(-1)
    rot_norm = so3.score_norm(targets.sigma_rot).to(pred["rot_score"]).unsqueeze(-1)
    tr_loss = ((pred["tr_score"] - targets.tr_score) * tr_scale).pow(2).mean()
    rot_loss = ((pred["rot_score"] - targets.rot_score) / rot_norm).pow(2).mean()
    out = {
        "tr_loss": tr_loss,
        "rot_loss": rot_loss,
        "tr_base": (targets.tr_score * tr_scale).pow(2).mean().detach(),
        "rot_base": (targets.rot_score / rot_norm).pow(2).mean().detach(),
    }
    if targets.tor_score.numel():
        tor_norm2 = torus.score_norm(targets.sigma_tor[targets.tor_batch]).to(pred["tor_score"])
        out["tor_loss"] = ((pred["tor_score"] - targets.tor_score).pow(2) / tor_norm2).mean()
        out["tor_base"] = (targets.tor_score.pow(2) / tor_norm2).mean().detach()
    else:  # no rotatable bond in the batch: keep the graph connected to the prediction for DDP
        out["tor_loss"] = pred["tor_score"].sum() * 0.0
        out["tor_base"] = torch.zeros((), device=tr_loss.device)
    out["loss"] = weights[0] * out["tr_loss"] + weights[1] * out["rot_loss"] + weights[2] * out["tor_loss"]
    return out


__all__ = ["NoiseTargets", "collate_targets", "noise_complex", "sample_time", "score_matching_loss"]
