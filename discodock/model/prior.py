"""Autoregressive latent priors p(z | protein, ligand) = Π_c p(z_c | z_<c, complex) for docking.

DisCo-DiffDock's second stage: the score model's trunk, run at t = 1 with the null latent on the
complex *without* the crystal pose (the caller places the ligand conformer at the protein centre
in a random orientation), gives node embeddings e_j; new heads pick one node per latent:

    logit_c(j) = f_c([e_j, ctx_c(j)]),   ctx_c(j) = Σ_{c'<c} A_c'(e_{i_c'}) + B_c'(rbf |x_j − x_{i_c'}|)

where i_c' is the node chosen for latent c'. Probabilities are a softmax over the nodes (ligand
atoms and residues) of each complex. Trunk weights are the prior's own, with the score model's
exact structure, so `init_from_score_model` can start it from a trained score model (the paper
starts from the score model and freezes the trunk for the first epochs; training does that with a zero
learning rate for the trunk: `training.lightning_module.PriorModule`).

`CodebookPrior` (latent_mode 'codebook'): the same trunk, its ligand atoms' invariant features
averaged per complex, is the context vector of the core's causal transformer `ARPrior` over the m
codes. Both priors share the trunk plumbing (`_TrunkPrior`) and the interface the training stage and
the sampler use: `sample`, `log_prob`, `soft_loss`, `accuracy`; `build_prior` picks the class.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import scatter

from discodock.complex_graph import ComplexBatch
from discodock.core.latents import sample_gumbel, segment_argmax_onehot
from discodock.core.prior import ARPrior
from discodock.model.config import ModelConfig, cross_cutoff, sigmas
from discodock.model.layers import GaussianSmearing, mlp
from discodock.model.score_model import (
    ComplexTrunk,
    LatentNodes,
    ReceptorFeatures,
    ScoreModel,
    TrunkOutput,
    node_segments,
)

Tensor = torch.Tensor


def segment_log_softmax(logits: Tensor, segment: Tensor, num_segments: int) -> Tensor:
    """log softmax of each column over the rows of each segment (rows of one complex)."""
    seg_max = scatter(logits, segment, dim=0, dim_size=num_segments, reduce="max").detach()
    shifted = logits - seg_max[segment]
    log_norm = scatter(shifted.exp(), segment, dim=0, dim_size=num_segments, reduce="sum").log()
    return shifted - log_norm[segment]


class _TrunkPrior(nn.Module):
    """A prior's trunk: the score model's structure, run at t = 1 with the null latent on the unposed complex."""

    latent_mode = ""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.latent_mode != self.latent_mode:
            raise ValueError(f"{type(self).__name__} needs latent_mode '{self.latent_mode}'")
        self.cfg, self.m = cfg, cfg.num_latents
        self.trunk = ComplexTrunk(
            cfg, cfg.ns, cfg.nv, cfg.num_layers, use_time=True, latent_dim=cfg.latent_dim, update_rec_last=False
        )  # the score model's trunk structure

    def init_from_score_model(self, score_model: ScoreModel) -> None:
        """Copy the trunk weights of a trained score model (same config sizes)."""
        self.trunk.load_state_dict(score_model.trunk.state_dict())

    def receptor_features(self, batch: ComplexBatch) -> ReceptorFeatures:
        """The prior trunk's ligand-independent residue features (compute once, `repeat` for copies)."""
        return self.trunk.receptor_features(batch)

    def trunk_features(self, batch: ComplexBatch, receptor: ReceptorFeatures | None = None) -> TrunkOutput:
        """The trunk at t = 1, the pure noise level: the ligand's pose carries no information."""
        t = batch.lig_pos.new_ones(batch.num_graphs)
        return self.trunk(batch, t, cross_cutoff(sigmas(t, self.cfg).tr, self.cfg), receptor=receptor)


class PointerPrior(_TrunkPrior):
    """p(z | complex) over m pointer latents, decoded one column after another."""

    latent_mode = "pointer"

    def __init__(self, cfg: ModelConfig, pair_distance_max: float = 40.0):
        super().__init__(cfg)
        ns, hid = cfg.ns, cfg.prior_hidden
        self.lig_proj = mlp(ns, hid, hid)
        self.rec_proj = mlp(ns, hid, hid)
        self.pair_dist = GaussianSmearing(0.0, pair_distance_max, cfg.distance_embed_dim)
        self.ctx_node = nn.ModuleList(nn.Linear(hid, hid) for _ in range(self.m - 1))
        self.ctx_dist = nn.ModuleList(nn.Linear(cfg.distance_embed_dim, hid) for _ in range(self.m - 1))
        self.heads = nn.ModuleList(mlp(2 * hid, hid, 1) for _ in range(self.m))

    def embed(self, batch: ComplexBatch, receptor: ReceptorFeatures | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Node embeddings e [K, hidden], positions [K, 3], complex ids [K] of the node set [ligand; residues]."""
        ns = self.cfg.ns
        h = self.trunk_features(batch, receptor)
        e = torch.cat([self.lig_proj(h.lig[:, :ns]), self.rec_proj(h.rec[:, :ns])])
        pos = torch.cat([batch.lig_pos, batch.rec_pos])
        return e, pos, node_segments(batch)

    def column_logits(
        self, c: int, e: Tensor, pos: Tensor, segment: Tensor, num_graphs: int, previous: Tensor
    ) -> Tensor:
        """Logits [K] of latent c given one-hot choices previous [K, c] of the latents before it."""
        ctx = torch.zeros_like(e)
        for k in range(c):
            w = previous[:, k : k + 1]
            chosen_e = scatter(w * e, segment, dim=0, dim_size=num_graphs, reduce="sum")
            chosen_pos = scatter(w * pos, segment, dim=0, dim_size=num_graphs, reduce="sum")
            dist = (pos - chosen_pos[segment]).norm(dim=-1)
            ctx = ctx + self.ctx_node[k](chosen_e)[segment] + self.ctx_dist[k](self.pair_dist(dist))
        return self.heads[c](torch.cat([e, ctx], -1)).squeeze(-1)

    def teacher_forced_log_probs(self, batch: ComplexBatch, hard: Tensor) -> Tensor:
        """log p(node j for latent c | the latents before c taken from `hard` [K, m]): [K, m]."""
        e, pos, segment = self.embed(batch)
        g = batch.num_graphs
        logits = torch.stack([self.column_logits(c, e, pos, segment, g, hard[:, :c]) for c in range(self.m)], -1)
        return segment_log_softmax(logits, segment, g)

    def log_prob(self, batch: ComplexBatch, latent: LatentNodes) -> Tensor:
        """log p(z | complex) [G] of hard pointer latents."""
        z = latent.nodes().to(batch.lig_pos.dtype)
        logp = self.teacher_forced_log_probs(batch, z)
        return scatter((z * logp).sum(-1), node_segments(batch), dim=0, dim_size=batch.num_graphs, reduce="sum")

    def soft_loss(self, batch: ComplexBatch, probs: LatentNodes) -> Tensor:
        """Cross-entropy −Σ_c Σ_j p_c(j) log q_c(j | z_<c) [G] against the encoder's soft probabilities;
        earlier latents z_<c are the encoder's most probable nodes (teacher forcing)."""
        p = probs.nodes().to(batch.lig_pos.dtype)
        segment = node_segments(batch)
        hard = segment_argmax_onehot(p.detach(), segment, batch.num_graphs)
        logq = self.teacher_forced_log_probs(batch, hard)
        return -scatter((p * logq).sum(-1), segment, dim=0, dim_size=batch.num_graphs, reduce="sum")

    @torch.no_grad()
    def sample(
        self,
        batch: ComplexBatch,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
        receptor: ReceptorFeatures | None = None,
    ) -> LatentNodes:
        """One draw z ~ p(z | complex)^(1/temperature) per complex (Gumbel-max, column after column).
        DisCo-DiffDock samples at temperature e^1.5 (logits × e^−1.5)."""
        e, pos, segment = self.embed(batch, receptor)
        g, chosen = batch.num_graphs, e.new_zeros(e.shape[0], 0)
        for c in range(self.m):
            logits = self.column_logits(c, e, pos, segment, g, chosen) / temperature
            perturbed = logits.unsqueeze(1) + sample_gumbel(logits.unsqueeze(1).shape, logits, generator)
            pick = segment_argmax_onehot(perturbed, segment, g)  # Gumbel-max: an exact categorical draw
            chosen = torch.cat([chosen, pick], -1)
        return LatentNodes.from_nodes(chosen, batch.lig_pos.shape[0])

    @torch.no_grad()
    def accuracy(self, batch: ComplexBatch, target: LatentNodes) -> Tensor:
        """Fraction of (complex, latent) pairs where the prior's most probable node equals the target's
        (target: encoder probabilities or latents; its arg-max node, earlier columns teacher-forced)."""
        segment = node_segments(batch)
        hard = segment_argmax_onehot(target.nodes().to(batch.lig_pos.dtype), segment, batch.num_graphs)
        guess = segment_argmax_onehot(self.teacher_forced_log_probs(batch, hard), segment, batch.num_graphs)
        hits = scatter(hard * guess, segment, dim=0, dim_size=batch.num_graphs, reduce="sum")  # [G, m] in {0, 1}
        return hits.mean()


class CodebookPrior(_TrunkPrior):
    """p(z | complex) over m codebook latents of k codes: the core `ARPrior` with the pooled trunk as context."""

    latent_mode = "codebook"

    def __init__(self, cfg: ModelConfig):
        super().__init__(cfg)
        hid, self.k = cfg.prior_hidden, cfg.codebook_size
        self.atom_proj = mlp(cfg.ns, hid, hid)
        self.ar = ARPrior(self.m, self.k, d_model=hid, n_layers=cfg.prior_layers, context_dim=hid)

    def context(self, batch: ComplexBatch, receptor: ReceptorFeatures | None = None) -> Tensor:
        """[G, hidden]: per-complex mean of the ligand atoms' projected 0e features (invariant)."""
        atoms = self.atom_proj(self.trunk_features(batch, receptor).lig[:, : self.cfg.ns])
        return scatter(atoms, batch.lig_batch, dim=0, dim_size=batch.num_graphs, reduce="mean")

    def teacher_forced_log_probs(self, batch: ComplexBatch, index: Tensor) -> Tensor:
        """log p(code of latent c | codes before c taken from `index` [G, m] long): [G, m, k]."""
        return self.ar.logits(index, self.context(batch)).log_softmax(-1)

    def _code_index(self, batch: ComplexBatch, latent: LatentNodes) -> Tensor:
        """Arg-max code [G, m] of node-column latents (hard codes or probabilities)."""
        return latent.codes(batch, self.k).argmax(-1)

    def log_prob(self, batch: ComplexBatch, latent: LatentNodes) -> Tensor:
        """log p(z | complex) [G] of hard codebook latents."""
        index = self._code_index(batch, latent)
        logp = self.teacher_forced_log_probs(batch, index)
        return logp.gather(-1, index.unsqueeze(-1)).squeeze(-1).sum(-1)

    def soft_loss(self, batch: ComplexBatch, probs: LatentNodes) -> Tensor:
        """Cross-entropy −Σ_c Σ_j p_c(j) log q_c(j | z_<c) [G] against the encoder's soft probabilities;
        earlier latents z_<c are the encoder's most probable codes (teacher forcing)."""
        p = probs.codes(batch, self.k).to(batch.lig_pos.dtype)
        logq = self.teacher_forced_log_probs(batch, p.detach().argmax(-1))
        return -(p * logq).sum((-1, -2))

    @torch.no_grad()
    def sample(
        self,
        batch: ComplexBatch,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
        receptor: ReceptorFeatures | None = None,
    ) -> LatentNodes:
        """One draw z ~ p(z | complex)^(1/temperature) per complex, as one-hot node columns."""
        index = self.ar.sample(batch.num_graphs, self.context(batch, receptor), temperature, generator)
        codes = nn.functional.one_hot(index, self.k).to(batch.lig_pos.dtype)
        return LatentNodes.from_codes(codes, batch)

    @torch.no_grad()
    def accuracy(self, batch: ComplexBatch, target: LatentNodes) -> Tensor:
        """Fraction of (complex, latent) pairs where the prior's most probable code equals the target's
        arg-max code (earlier latents teacher-forced)."""
        index = self._code_index(batch, target)
        guess = self.teacher_forced_log_probs(batch, index).argmax(-1)
        return (guess == index).to(batch.lig_pos.dtype).mean()


PRIORS = {"pointer": PointerPrior, "codebook": CodebookPrior}


def build_prior(cfg: ModelConfig) -> PointerPrior | CodebookPrior:
    """The AR prior of the config's latent mode; the twin ('none') has no prior."""
    if cfg.latent_mode not in PRIORS:
        raise ValueError(f"latent_mode '{cfg.latent_mode}' has no prior")
    return PRIORS[cfg.latent_mode](cfg)


__all__ = ["CodebookPrior", "PRIORS", "PointerPrior", "build_prior", "segment_log_softmax"]
