"""Confidence model: P(RMSD < 2 Å) of a predicted pose, used to rank the sampled poses.

A small trunk (same graph as the score model, no time input, no latents, fixed 20 Å cross cutoff)
on the predicted complex; the ligand atoms' invariant features are mean-pooled per complex and an
MLP gives one logit per complex (DiffDock's confidence classifier, two classes at 2 Å).

`listwise_ranking_loss` is an optional second training term (ListNet, Cao et al. 2007): within
each complex, the softmax of the logits should match the softmax of −RMSD / T, so the logits order
one complex's poses by RMSD even when none of them is a hit (the usual case for a small model).
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import scatter

from discodock.complex_graph import ComplexBatch
from discodock.model.config import ModelConfig
from discodock.model.layers import mlp
from discodock.model.score_model import ComplexTrunk, ReceptorFeatures

Tensor = torch.Tensor


class ConfidenceModel(nn.Module):
    """Predicted complex -> logit [G] of "ligand RMSD < 2 Å" (invariant under rigid motions)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        ns = cfg.ns
        self.trunk = ComplexTrunk(
            cfg, ns, cfg.nv, cfg.confidence_layers, use_time=False, latent_dim=0, update_rec_last=False
        )
        self.head = mlp(2 * ns, ns, 1, cfg.dropout)

    def receptor_features(self, batch: ComplexBatch) -> ReceptorFeatures:
        """Ligand-independent residue features (compute once per complex, `repeat` for its poses)."""
        return self.trunk.receptor_features(batch)

    def forward(self, batch: ComplexBatch, receptor: ReceptorFeatures | None = None) -> Tensor:
        """Logits [G] of P(RMSD < 2 Å)."""
        ns, g = self.cfg.ns, batch.num_graphs
        h = self.trunk(batch, None, batch.lig_pos.new_full((g,), self.cfg.cross_cutoff_base), receptor=receptor)
        s = h.lig[:, :ns]
        mean = scatter(s, batch.lig_batch, dim=0, dim_size=g, reduce="mean")
        pooled = torch.cat([mean, scatter(s, batch.lig_batch, dim=0, dim_size=g, reduce="max")], -1)
        return self.head(pooled).squeeze(-1)


def listwise_ranking_loss(logits: Tensor, rmsd: Tensor, group: Tensor, mask: Tensor, temperature: float = 1.0) -> Tensor:
    """ListNet cross-entropy −Σ_i q_i log p_i per group, averaged over groups, where within a group
    p = softmax(logits) and q = softmax(−rmsd / temperature) over the poses in `mask`. Groups with
    fewer than two such poses carry no ranking and are left out; zero when none is left."""
    logits, rmsd, group = logits[mask], rmsd[mask], group[mask]
    ids, group, counts = torch.unique(group, return_inverse=True, return_counts=True)
    log_p = _group_log_softmax(logits, group, len(ids))
    q = _group_log_softmax(-rmsd / temperature, group, len(ids)).exp()
    per_group = scatter(-q * log_p, group, dim=0, dim_size=len(ids), reduce="sum")
    ranked = counts >= 2
    return per_group[ranked].mean() if bool(ranked.any()) else logits.sum() * 0.0


def _group_log_softmax(x: Tensor, group: Tensor, num_groups: int) -> Tensor:
    top = scatter(x.detach(), group, dim=0, dim_size=num_groups, reduce="max")[group]
    total = scatter((x - top).exp(), group, dim=0, dim_size=num_groups, reduce="sum")[group]
    return x - top - total.log()


__all__ = ["ConfidenceModel", "listwise_ranking_loss"]
