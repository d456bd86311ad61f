"""Reverse diffusion over ligand poses (translation, rotation, torsions), batched over samples.

DiffDock's sampler (utils/sampling.py, Corso et al. 2023): t runs from 1 down to 0 on a linear
grid of `steps` points; only the first `actual_steps` are taken (DiffDock: 18 of 20) and the last
of those jumps the rest of the way to t = 0 without noise. Each component follows the VE SDE
dx = g(t)² s_θ dt + g(t) dw with g(t)² = dσ²/dt, for σ(t) = σ_min^(1−t) σ_max^t:

    g = σ √(2 ln(σ_max / σ_min))      (translation, rotation and torsions alike)

For rotations this holds because `geometry.so3`'s IGSO(3)_ε is the heat kernel with exp(−l(l+1)ε²/2),
whose small rotation vectors are N(0, ε² I), as in Euclidean space. (DiffDock's tables use
exp(−l(l+1)ε²), twice the variance, hence its g_rot = 2 σ √(ln(σ_max/σ_min)); that g with this density
drew orientations too tight: E[ω²] at ~0.7 of the data's with the SDE, nearly collapsed with the ODE.)

The probability-flow ODE takes half the drift and no noise. All samples of one complex go through
the score model together as one `ComplexBatch` built once; only the ligand coordinates change.

Low-temperature sampling (`LowTemperature`, DiffDock v1.1's `temp_sampling/psi/sigma_data`, after
Ingraham et al. 2023): per part, the drift is scaled by λ(σ) + T·ψ/2 and the noise by √(1 + ψ), with

    λ(σ) = (σ_d + σ) / (σ_d + σ / T),   σ_d = σ_min^(1−s) σ_max^s   (s: `sigma_data`, in log-σ units)

so with T > 1 the drift is amplified up to T× while σ ≫ σ_d (early steps) and left alone once σ ≪ σ_d.
(This is DiffDock's form, linear in σ; Chroma's Gaussian-exact λ = (σ_d² + σ²)/(σ_d²/T + σ²) acts late
instead.) T = 1, ψ = 0 is the plain sampler.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterator

import torch
from torch import nn

from discodock.complex_graph import ComplexBatch, ComplexGraph, collate
from discodock.geometry.so3 import axis_angle_to_matrix
from discodock.geometry.torsion import apply_torsion_updates, modify_conformer
from discodock.model.config import ModelConfig, sigmas

if TYPE_CHECKING:  # the score model's module pulls in e3nn; sampling needs only the type
    from discodock.model.score_model import LatentNodes

Tensor = torch.Tensor
# (batch of the S·G initial poses, the G graphs, S copies each) -> LatentNodes
LatentSampler = Callable[[ComplexBatch, list[ComplexGraph], int], "LatentNodes"]


@dataclass(frozen=True)
class LowTemperature:
    """Sampling temperature T, extra Langevin noise ψ and data scale s per part (translation, rotation,
    torsion); see the module docstring. Defaults: the plain sampler."""

    temperature: tuple[float, float, float] = (1.0, 1.0, 1.0)
    psi: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sigma_data: tuple[float, float, float] = (0.5, 0.5, 0.5)

    def __post_init__(self):
        for name in ("temperature", "psi", "sigma_data"):
            values = tuple(float(v) for v in getattr(self, name))
            if len(values) != 3:
                raise ValueError(f"LowTemperature.{name} wants 3 values (tr, rot, tor), got {values}")
            object.__setattr__(self, name, values)
        if min(self.temperature) <= 0 or min(self.psi) < 0:
            raise ValueError(f"temperatures must be > 0 and psi >= 0, got {self.temperature}, {self.psi}")

    @property
    def is_plain(self) -> bool:
        return self.temperature == (1.0, 1.0, 1.0) and self.psi == (0.0, 0.0, 0.0)

    def scales(self, part: int, sigma: Tensor, lo: float, hi: float) -> tuple[Tensor, float]:
        """(drift factor, noise factor) of one part at noise level σ ∈ [lo, hi]."""
        T, psi, s = self.temperature[part], self.psi[part], self.sigma_data[part]
        sigma_d = lo ** (1.0 - s) * hi ** s
        lam = (sigma_d + sigma) / (sigma_d + sigma / T)
        return lam + T * psi / 2.0, math.sqrt(1.0 + psi)


PLAIN = LowTemperature()
TEMPERATURE_PRESETS = {
    "plain": PLAIN,
    # DiffDock v1.1's inference defaults (tuned for DiffDock-L on its PDBBind validation set)
    "diffdock-v1.1": LowTemperature((1.17, 2.06, 7.04), (0.73, 0.90, 0.59), (0.93, 0.75, 0.69)),
    # the same shape, about half as sharp
    "mild": LowTemperature((1.1, 1.5, 3.0), (0.4, 0.5, 0.3), (0.93, 0.75, 0.69)),
}


@contextmanager
def eval_mode(*modules: nn.Module | None) -> Iterator[None]:
    """Run with the modules in eval mode and gradients off, then restore their training flags."""
    present = [m for m in modules if m is not None]
    flags = [m.training for m in present]
    for m in present:
        m.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, flag in zip(present, flags):
            m.train(flag)


def random_rotations(num: int, generator: torch.Generator | None = None) -> Tensor:
    """Uniform random rotations [num, 3, 3] (normalised Gaussian quaternions, Shoemake)."""
    q = torch.randn(num, 4, generator=generator, dtype=torch.float64)
    q = q / q.norm(dim=-1, keepdim=True)
    # rotation vector of the unit quaternion (w, v): angle 2·atan2(|v|, w) about v/|v|
    w, v = q[:, :1], q[:, 1:]
    norm_v = v.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    rotvec = v / norm_v * 2.0 * torch.atan2(norm_v, w)
    return axis_angle_to_matrix(rotvec).float()


def random_initial_poses(
    graph: ComplexGraph,
    num_samples: int,
    tr_sigma_max: float,
    generator: torch.Generator | None = None,
) -> Tensor:
    """DiffDock's randomize_position: uniform torsions, centroid at the origin, uniform rotation,
    then a translation ~ N(0, σ² I) with σ = `tr_sigma_max` (0: stay at the origin).
    Returns [S, N, 3] in the graph's frame."""
    pos = graph.lig_pos.unsqueeze(0).expand(num_samples, -1, -1).float()
    if graph.num_torsions:
        delta = (torch.rand(num_samples, graph.num_torsions, generator=generator) * 2 - 1) * math.pi
        pos = apply_torsion_updates(pos, graph.tor_bonds, graph.tor_move_index, delta)
    pos = pos - pos.mean(dim=1, keepdim=True)
    pos = pos @ random_rotations(num_samples, generator).transpose(1, 2)
    if tr_sigma_max == 0:
        return pos
    return pos + torch.randn(num_samples, 1, 3, generator=generator) * tr_sigma_max


def default_actual_steps(steps: int) -> int:
    """Steps actually taken: DiffDock runs 18 of 20 (the last one jumps to t = 0)."""
    return max(1, round(0.9 * steps))


def _g(sigma: Tensor, lo: float, hi: float) -> Tensor:
    """Diffusion coefficient g(t) = √(dσ²/dt) of σ(t) = lo^(1−t) hi^t (see the module docstring)."""
    return sigma * math.sqrt(2.0 * math.log(hi / lo))


def latent_node_ids(latent: LatentNodes, batch: ComplexBatch) -> Tensor:
    """Node id [G, m] chosen by each pointer latent: ligand atoms first (0..N−1), then residues (N..)."""
    num_graphs = batch.num_graphs
    lig_counts = torch.bincount(batch.lig_batch, minlength=num_graphs)
    rec_counts = torch.bincount(batch.rec_batch, minlength=num_graphs)
    lig_start = torch.cumsum(lig_counts, 0) - lig_counts
    rec_start = torch.cumsum(rec_counts, 0) - rec_counts
    m = latent.lig.shape[1]
    ids = torch.zeros(num_graphs, m, dtype=torch.long)
    for g in range(num_graphs):  # once per sampling call, not per step
        lig = latent.lig[lig_start[g]: lig_start[g] + lig_counts[g]]
        rec = latent.rec[rec_start[g]: rec_start[g] + rec_counts[g]]
        ids[g] = torch.cat([lig, rec]).argmax(dim=0).cpu()
    return ids


def latent_ids(latent: LatentNodes, batch: ComplexBatch, cfg: ModelConfig) -> Tensor:
    """What each sample's latents chose, [G, m] long: node ids (pointer, see `latent_node_ids`) or code ids
    in 0..k−1 (codebook)."""
    if cfg.latent_mode == "codebook":
        return latent.codes(batch, cfg.codebook_size).argmax(-1).cpu()
    return latent_node_ids(latent, batch)


def prior_sampler(prior: nn.Module, temperature: float = 1.0, generator: torch.Generator | None = None) -> LatentSampler:
    """Latent sampler drawing one latent (pointers or codes) per sample from an AR prior.

    The prior's Gumbel noise is drawn on the batch's device, from a generator seeded by `generator`
    (a CPU generator cannot drive CUDA draws), so results stay reproducible on any device.
    """

    def draw(batch: ComplexBatch, graphs: list[ComplexGraph], copies: int):
        device_gen = None
        if generator is not None:
            seed = int(torch.randint(0, 2**62, (1,), generator=generator))
            device_gen = torch.Generator(device=batch.lig_pos.device).manual_seed(seed)
        receptor = _receptor_features(prior, graphs, copies, batch.lig_pos.device)
        return prior.sample(batch, temperature=temperature, generator=device_gen, receptor=receptor)

    return draw


def _reverse_diffusion(
    score_model: nn.Module,
    graphs: list[ComplexGraph],
    cfg: ModelConfig,
    num_samples: int,
    steps: int,
    actual_steps: int,
    latent_sampler: LatentSampler | None,
    sde: bool,
    generator: torch.Generator | None,
    device: torch.device | str,
    temperature: LowTemperature = PLAIN,
) -> tuple[list[Tensor], Tensor | None]:
    """One batched run over S samples of each graph: positions [S, N_i, 3] per graph (CPU) and the
    latent ids [G·S, m] (`latent_ids`; or None). Samples of graph i are rows i·S … (i+1)·S − 1 of the batch."""
    if not 1 <= actual_steps <= steps:
        raise ValueError(f"actual_steps must be in [1, {steps}], got {actual_steps}")
    S, G = num_samples, len(graphs)
    # the prior sees each conformer at the frame origin in a random orientation (no translation yet)
    centred = [random_initial_poses(g, S, 0.0, generator) for g in graphs]
    batch = collate([g for g in graphs for _ in range(S)]).to(device)
    batch = replace(batch, lig_pos=torch.cat([p.reshape(-1, 3) for p in centred]).to(device))
    latent = latent_sampler(batch, graphs, S) if latent_sampler is not None else None
    node_ids = latent_ids(latent, batch, cfg) if latent is not None else None
    receptor = _receptor_features(score_model, graphs, S, device)
    reuse = {"receptor": receptor} if receptor is not None else {}
    shift = torch.randn(G * S, 1, 3, generator=generator) * cfg.tr_sigma_max
    poses = [(p + shift[i * S: (i + 1) * S]).to(device) for i, p in enumerate(centred)]
    topology = [(g.tor_bonds.to(device), g.tor_move_index.to(device), g.num_torsions) for g in graphs]
    tor_splits = [S * g.num_torsions for g in graphs]

    schedule = torch.linspace(1.0, 0.0, steps + 1)[:-1]
    drift_scale = 1.0 if sde else 0.5  # probability-flow ODE: half the drift, no noise
    for i in range(actual_steps):
        t = schedule[i]
        last = i == actual_steps - 1
        dt = float(t - schedule[i + 1]) if not last else float(t)
        sig = sigmas(t, cfg)
        batch = replace(batch, lig_pos=torch.cat([p.reshape(-1, 3) for p in poses]))
        out = score_model(batch, t.expand(G * S).to(device), latent, **reuse)
        noisy = sde and not last  # DiffDock: no noise on the final step

        def step(part: int, score: Tensor, sigma: Tensor, lo: float, hi: float) -> Tensor:
            g = _g(sigma, lo, hi)
            drift, noise = temperature.scales(part, sigma, lo, hi) if sde else (1.0, 1.0)
            update = drift * drift_scale * g**2 * dt * score
            if noisy:
                z = torch.randn(score.shape, generator=generator).to(device)
                update = update + noise * g * math.sqrt(dt) * z
            return update

        tr = step(0, out["tr_score"], sig.tr, cfg.tr_sigma_min, cfg.tr_sigma_max)
        rot = step(1, out["rot_score"], sig.rot, cfg.rot_sigma_min, cfg.rot_sigma_max)
        tor = step(2, out["tor_score"], sig.tor, cfg.tor_sigma_min, cfg.tor_sigma_max)
        tor_parts = torch.split(tor, tor_splits)
        poses = [
            modify_conformer(p, tr[k * S: (k + 1) * S], rot[k * S: (k + 1) * S], tp.view(S, T) if T else None, bonds, move)
            for k, (p, tp, (bonds, move, T)) in enumerate(zip(poses, tor_parts, topology))
        ]
    return [p.cpu() for p in poses], node_ids


def _receptor_features(score_model: nn.Module, graphs: list[ComplexGraph], copies: int,
                        device: torch.device | str) -> object | None:
    """Residue features of each graph, computed once and tiled to the sample-major batch layout
    (graph 0 × copies, graph 1 × copies, …): the receptor never moves, so no step recomputes them."""
    if not hasattr(score_model, "receptor_features"):
        return None
    per_graph = [score_model.receptor_features(collate([g]).to(device)).repeat(copies) for g in graphs]
    return type(per_graph[0])([torch.cat(layer) for layer in zip(*(f.layers for f in per_graph))])


def sample_poses_many(
    score_model: nn.Module,
    graphs: list[ComplexGraph],
    num_samples: int = 8,
    steps: int = 20,
    latent_sampler: LatentSampler | None = None,
    sde: bool = True,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
    *,
    actual_steps: int | None = None,
    cfg: ModelConfig | None = None,
) -> list[Tensor]:
    """`num_samples` poses of each of several complexes, all through the model together (e.g. to make
    confidence-training data). Returns one [S, N_i, 3] per graph; non-finite samples are not retried."""
    cfg = cfg if cfg is not None else score_model.cfg
    actual = actual_steps if actual_steps is not None else default_actual_steps(steps)
    with eval_mode(score_model):
        poses, _ = _reverse_diffusion(score_model, list(graphs), cfg, num_samples, steps, actual,
                                      latent_sampler, sde, generator, device)
    return poses


def sample_poses(
    score_model: nn.Module,
    graph: ComplexGraph,
    num_samples: int = 40,
    steps: int = 20,
    latent_sampler: LatentSampler | None = None,
    sde: bool = True,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
    *,
    actual_steps: int | None = None,
    cfg: ModelConfig | None = None,
    prior: nn.Module | None = None,
    prior_temperature: float = 1.0,
    temperature: LowTemperature = PLAIN,
    return_latents: bool = False,
    max_retries: int = 2,
) -> Tensor | tuple[Tensor, Tensor | None]:
    """Dock by reverse diffusion: `num_samples` poses [S, N, 3] in the graph's frame (add `graph.center`
    for the input files' frame).

    latent_sampler: callable (batch, graphs, copies) -> LatentNodes, called once on the S initial poses
    (one draw per sample); or pass `prior` (a PointerPrior or CodebookPrior) to draw from it at `prior_temperature`;
    None and no prior: null latents (the twin). cfg: σ ranges (default `score_model.cfg`).
    sde False: probability-flow ODE. temperature: low-temperature SDE sampling (see `LowTemperature`;
    not defined for the ODE). Samples whose coordinates are not finite are drawn again
    (up to `max_retries` times); then RuntimeError names the complex.
    return_latents: also return the latent ids [S, m] (pointer: node ids, ligand atoms first; codebook: code
    ids), None for the twin.
    """
    cfg = cfg if cfg is not None else score_model.cfg
    if latent_sampler is None and prior is not None:
        latent_sampler = prior_sampler(prior, prior_temperature, generator)
    actual = actual_steps if actual_steps is not None else default_actual_steps(steps)
    if not sde and not temperature.is_plain:
        raise ValueError("low-temperature sampling is defined for the SDE sampler only (sde=True)")
    prior_module = prior if isinstance(prior, nn.Module) else None
    with eval_mode(score_model, prior_module):
        (pos,), ids = _reverse_diffusion(score_model, [graph], cfg, num_samples, steps, actual,
                                         latent_sampler, sde, generator, device, temperature)
        for _ in range(max_retries):
            bad = ~torch.isfinite(pos).all(dim=2).all(dim=1)
            if not bad.any():
                break
            (new_pos,), new_ids = _reverse_diffusion(score_model, [graph], cfg, int(bad.sum()), steps, actual,
                                                     latent_sampler, sde, generator, device, temperature)
            pos[bad] = new_pos
            if ids is not None:
                ids[bad] = new_ids
    if not torch.isfinite(pos).all():
        raise RuntimeError(f"{graph.name}: sampling produced non-finite coordinates after {max_retries} retries")
    return (pos, ids) if return_latents else pos


def rank_poses(
    conf_model: nn.Module,
    graph: ComplexGraph,
    poses: Tensor,
    device: torch.device | str = "cpu",
    batch_size: int = 64,
) -> Tensor:
    """Confidence logits [S] of poses [S, N, 3] (graph frame); higher is better (sort descending).

    The residue features are computed once and shared by every pose, as in sampling: on a 5,000-residue
    protein, recomputing them per pose made ranking the largest part of docking's time and memory.
    """
    scores = []
    with eval_mode(conf_model):
        receptor = _receptor_features(conf_model, [graph], 1, device)
        for chunk in poses.split(batch_size):
            batch = collate([graph] * chunk.shape[0])
            batch = replace(batch, lig_pos=chunk.reshape(-1, 3).float()).to(device)
            reuse = {"receptor": receptor.repeat(chunk.shape[0])} if receptor is not None else {}
            scores.append(conf_model(batch, **reuse).reshape(-1).float().cpu())
    return torch.cat(scores)


__all__ = [
    "LowTemperature",
    "PLAIN",
    "TEMPERATURE_PRESETS",
    "default_actual_steps",
    "eval_mode",
    "latent_ids",
    "latent_node_ids",
    "prior_sampler",
    "random_initial_poses",
    "random_rotations",
    "rank_poses",
    "sample_poses",
    "sample_poses_many",
]
