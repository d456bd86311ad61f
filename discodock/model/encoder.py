"""Pose-mode encoder E(z | crystal complex): m pointer latents over the nodes of each complex, or m codebook latents.

A small equivariant trunk (no time input, no latents) runs on the complex with the ligand in its
crystal pose; an invariant head gives, for each latent c, a logit per node (ligand atoms and
residues). `encode` draws a one-hot node per complex and column with the straight-through
Gumbel-softmax of the core (τ = 1 in training). The prior learns from the soft probabilities
softmax(logits) (`prior.gumbel_tau` = 1), the average of the near-one-hot τ = 0.01 draws that the
paper extracts, so the targets carry the same information without the sampling noise.

Candidate residues: with `cfg.encoder_rec_cutoff` (default 15 Å), residues farther than that from
every crystal ligand atom get a logit of MASKED_LOGIT and are (numerically) never chosen, so the
pointers describe the binding site rather than distant surface; `None` keeps every residue as in
DisCo-DiffDock. Ligand atoms are always candidates.

Codebook mode (`latent_mode: codebook`): the invariant ligand-atom features pass an MLP, are averaged
per complex and mapped by the core's `CodebookHead` to logits [G, m, k]; `encode` draws one of k codes
per latent with the core's `gumbel_softmax_st` and hands them to the score model as node columns
(`LatentNodes.from_codes`). The residues' last update is not needed then and is skipped.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import softmax as pyg_softmax

from discodock.complex_graph import ComplexBatch
from discodock.core.latents import CodebookHead, gumbel_softmax_st, segment_gumbel_softmax_st
from discodock.graphs import radius, scatter
from discodock.model.config import ModelConfig
from discodock.model.layers import mlp
from discodock.model.score_model import ComplexTrunk, LatentNodes, TrunkOutput, node_segments

Tensor = torch.Tensor

MASKED_LOGIT = -1.0e4  # finite, so softmax and log-softmax stay free of inf − inf


def residues_near_ligand(batch: ComplexBatch, cutoff: float) -> Tensor:
    """Bool [R_total]: residue Cα within `cutoff` Å of at least one ligand atom of its complex."""
    pairs = radius(batch.lig_pos, batch.rec_pos, cutoff, batch.lig_batch, batch.rec_batch, max_num_neighbors=1)
    near = torch.zeros(batch.rec_pos.shape[0], dtype=torch.bool, device=batch.rec_pos.device)
    near[pairs[0]] = True  # row 0 indexes the query points (residues)
    return near


class PoseModeEncoder(nn.Module):
    """Crystal complex -> logits [nodes, m] -> pointer latents (one node per complex and column), or
    (codebook mode) logits [G, m, k] -> one of k codes per complex and latent."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg, self.m = cfg, cfg.num_latents
        self.codebook = cfg.latent_mode == "codebook"
        ns = cfg.encoder_ns
        self.trunk = ComplexTrunk(
            cfg, ns, cfg.encoder_nv, cfg.encoder_layers, use_time=False, latent_dim=0, update_rec_last=not self.codebook
        )
        if self.codebook:
            self.atom_head = mlp(ns, ns, ns)
            self.code_head = CodebookHead(ns, self.m, cfg.codebook_size)
        else:
            self.lig_head = mlp(ns, ns, self.m)
            self.rec_head = mlp(ns, ns, self.m)

    def features(self, batch: ComplexBatch) -> TrunkOutput:
        """The trunk on the crystal complex (no time, no latent; fixed cross cutoff)."""
        cut = batch.lig_pos.new_full((batch.num_graphs,), self.cfg.cross_cutoff_base)
        return self.trunk(batch, None, cut)

    def code_logits(self, batch: ComplexBatch) -> Tensor:
        """Codebook mode: logits [G, m, k] from the per-complex mean of the ligand atoms' 0e features
        (invariant). The ligand carries the pose, so its atoms alone summarise the binding mode."""
        ns = self.cfg.encoder_ns
        atoms = self.atom_head(self.features(batch).lig[:, :ns])
        pooled = scatter(atoms, batch.lig_batch, dim=0, dim_size=batch.num_graphs, reduce="mean")
        return self.code_head(pooled)

    def logits(self, batch: ComplexBatch) -> LatentNodes:
        """Pointer mode: node logits for each latent column (invariant: built from the 0e channels only)."""
        ns = self.cfg.encoder_ns
        h = self.features(batch)
        lig, rec = self.lig_head(h.lig[:, :ns]), self.rec_head(h.rec[:, :ns])
        if self.cfg.encoder_rec_cutoff is not None:
            far = ~residues_near_ligand(batch, self.cfg.encoder_rec_cutoff)
            rec = rec.masked_fill(far.unsqueeze(1), MASKED_LOGIT)
        return LatentNodes(lig=lig, rec=rec)

    def probs(self, batch: ComplexBatch, tau: float = 1.0) -> LatentNodes:
        """softmax(logits / τ), the prior's soft labels: per complex and column over its nodes (pointer),
        or per complex and latent over the k codes (codebook)."""
        if self.codebook:
            return LatentNodes.from_codes((self.code_logits(batch) / tau).softmax(-1), batch)
        logits = self.logits(batch)
        p = segment_softmax(logits.nodes() / tau, node_segments(batch), batch.num_graphs)
        return LatentNodes.from_nodes(p, batch.lig_pos.shape[0])

    def encode(
        self, batch: ComplexBatch, tau: float = 1.0, hard: bool = True, generator: torch.Generator | None = None
    ) -> LatentNodes:
        """Straight-through Gumbel-softmax pointers or codes: one-hot forward, softmax gradient backward."""
        if self.codebook:
            codes = gumbel_softmax_st(self.code_logits(batch), tau=tau, hard=hard, generator=generator)
            return LatentNodes.from_codes(codes, batch)
        logits = self.logits(batch)
        segment = node_segments(batch)
        z = segment_gumbel_softmax_st(logits.nodes(), segment, batch.num_graphs, tau=tau, hard=hard, generator=generator)
        return LatentNodes.from_nodes(z, batch.lig_pos.shape[0])


def segment_softmax(values: Tensor, segment: Tensor, num_segments: int) -> Tensor:
    """Softmax of each column over the rows of each segment."""
    return pyg_softmax(values, segment, num_nodes=num_segments, dim=0)


__all__ = ["MASKED_LOGIT", "PoseModeEncoder", "residues_near_ligand", "segment_softmax"]
