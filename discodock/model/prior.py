"""Autoregressive pointer prior p(z | protein, ligand) = Π_c p(z_c | z_<c, complex) for docking.

DisCo-DiffDock's second stage: the score model's trunk, run at t = 1 with the null latent on the
complex *without* the crystal pose (the caller places the ligand conformer at the protein centre
in a random orientation), gives node embeddings e_j; new heads pick one node per latent:

    logit_c(j) = f_c([e_j, ctx_c(j)]),   ctx_c(j) = Σ_{c'<c} A_c'(e_{i_c'}) + B_c'(rbf |x_j − x_{i_c'}|)

where i_c' is the node chosen for latent c'. Probabilities are a softmax over the nodes (ligand
atoms and residues) of each complex. Trunk weights are the prior's own, with the score model's
exact structure, so `init_from_score_model` can start it from a trained score model (the paper
starts from the score model and freezes the trunk for the first epochs: `freeze_trunk`).
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import scatter

from discodock.complex_graph import ComplexBatch
from discodock.core.latents import sample_gumbel, segment_argmax_onehot
from discodock.model.config import ModelConfig, cross_cutoff, sigmas
from discodock.model.layers import GaussianSmearing, mlp
from discodock.model.score_model import ComplexTrunk, LatentNodes, ReceptorFeatures, ScoreModel, node_segments

Tensor = torch.Tensor


def segment_log_softmax(logits: Tensor, segment: Tensor, num_segments: int) -> Tensor:
    """log softmax of each column over the rows of each segment (rows of one complex)."""
    seg_max = scatter(logits, segment, dim=0, dim_size=num_segments, reduce="max").detach()
    shifted = logits - seg_max[segment]
    log_norm = scatter(shifted.exp(), segment, dim=0, dim_size=num_segments, reduce="sum").log()
    return shifted - log_norm[segment]


class PointerPrior(nn.Module):
    """p(z | complex) over m pointer latents, decoded one column after another."""

    def __init__(self, cfg: ModelConfig, pair_distance_max: float = 40.0):
        super().__init__()
        if cfg.latent_mode != "pointer":
            raise ValueError("PointerPrior needs latent_mode 'pointer'")
        self.cfg, self.m = cfg, cfg.num_latents
        ns, hid = cfg.ns, cfg.prior_hidden
        self.trunk = ComplexTrunk(
            cfg, ns, cfg.nv, cfg.num_layers, use_time=True, latent_dim=self.m, update_rec_last=False
        )  # the score model's trunk structure
        self.lig_proj = mlp(ns, hid, hid)
        self.rec_proj = mlp(ns, hid, hid)
        self.pair_dist = GaussianSmearing(0.0, pair_distance_max, cfg.distance_embed_dim)
        self.ctx_node = nn.ModuleList(nn.Linear(hid, hid) for _ in range(self.m - 1))
        self.ctx_dist = nn.ModuleList(nn.Linear(cfg.distance_embed_dim, hid) for _ in range(self.m - 1))
        self.heads = nn.ModuleList(mlp(2 * hid, hid, 1) for _ in range(self.m))

    def init_from_score_model(self, score_model: ScoreModel) -> None:
        """Copy the trunk weights of a trained score model (same config sizes)."""
        self.trunk.load_state_dict(score_model.trunk.state_dict())

    def freeze_trunk(self, frozen: bool = True) -> None:
        for p in self.trunk.parameters():
            p.requires_grad_(not frozen)

    def receptor_features(self, batch: ComplexBatch) -> ReceptorFeatures:
        """The prior trunk's ligand-independent residue features (compute once, `repeat` for copies)."""
        return self.trunk.receptor_features(batch)

    def embed(self, batch: ComplexBatch, receptor: ReceptorFeatures | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Node embeddings e [K, hidden], positions [K, 3], complex ids [K] of the node set [ligand; residues]."""
        ns = self.cfg.ns
        t = batch.lig_pos.new_ones(batch.num_graphs)  # pure noise level: the pose carries no information
        h = self.trunk(batch, t, cross_cutoff(sigmas(t, self.cfg).tr, self.cfg), receptor=receptor)
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


__all__ = ["PointerPrior", "segment_log_softmax"]
