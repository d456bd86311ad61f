"""Confidence model: P(RMSD < 2 Å) of a predicted pose, used to rank the sampled poses.

A small trunk (same graph as the score model, no time input, no latents, fixed 20 Å cross cutoff)
on the predicted complex; the ligand atoms' invariant features are mean-pooled per complex and an
MLP gives one logit per complex (DiffDock's confidence classifier, two classes at 2 Å).
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


__all__ = ["ConfidenceModel"]
