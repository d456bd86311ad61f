"""Discrete latents of DisCo-Diff: straight-through Gumbel-softmax, codebook and pointer latents.

An encoder maps a clean sample to logits; the Gumbel-softmax trick draws a one-hot code
(hard, straight-through: one-hot forward, softmax gradient backward). The paper trains with τ = 1
(no annealing) and extracts latents for the prior with τ = 0.01 (a hard code is argmax(logits + g) for any τ,
so that extraction is one Gumbel-max draw, a sample from softmax(logits)). Two kinds of latents:

- codebook: m latents, each one of k learned codes (toy, images);
- pointer: m latents, each one element of a variable-size set, e.g. one node of a complex graph
  (docking), so k is the set size and differs between samples in a batch.

`LatentEmbedding` turns one-hot codes into vectors and replaces the latent by a learned null
embedding with probability p_drop in training (latent dropout, which also enables guidance).
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import scatter
from torch_geometric.utils import softmax as segment_softmax

Tensor = torch.Tensor


def sample_gumbel(shape: torch.Size | tuple[int, ...], like: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Standard Gumbel noise g = −log E, E ~ Exp(1) (never log 0)."""
    e = torch.empty(shape, dtype=like.dtype, device=like.device).exponential_(generator=generator)
    return -e.log()


def gumbel_softmax_st(
    logits: Tensor,
    tau: float = 1.0,
    hard: bool = True,
    dim: int = -1,
    generator: torch.Generator | None = None,
) -> Tensor:
    """y = softmax((logits + g) / τ); hard: one-hot(argmax y) forward with y's gradient (straight-through)."""
    y_soft = ((logits + sample_gumbel(logits.shape, logits, generator)) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = torch.zeros_like(y_soft).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def segment_argmax_onehot(values: Tensor, segment: Tensor, num_segments: int) -> Tensor:
    """One-hot [N, m] of each segment's arg-max row, per column; ties go to the lowest row."""
    seg_max = scatter(values, segment, dim=0, dim_size=num_segments, reduce="max")
    is_max = values == seg_max[segment]
    rows = torch.arange(values.shape[0], device=values.device).unsqueeze(1).expand_as(values)
    sentinel = torch.full_like(rows, values.shape[0])
    first = scatter(torch.where(is_max, rows, sentinel), segment, dim=0, dim_size=num_segments, reduce="min")
    return (rows == first[segment]).to(values.dtype)


def segment_gumbel_softmax_st(
    logits: Tensor,
    segment: Tensor,
    num_segments: int,
    tau: float = 1.0,
    hard: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Pointer latents: for each segment and each of the m columns, a one-hot over the segment's rows.

    logits [N, m] (N rows of all sets concatenated), segment [N] long (set id of each row).
    Returns [N, m]; within every segment each column sums to 1 (hard: exactly one 1).
    """
    if logits.ndim != 2 or segment.shape != (logits.shape[0],):
        raise ValueError(f"logits must be [N, m] and segment [N]; got {tuple(logits.shape)} and {tuple(segment.shape)}")
    perturbed = (logits + sample_gumbel(logits.shape, logits, generator)) / tau
    y_soft = segment_softmax(perturbed, segment, num_nodes=num_segments, dim=0)
    if not hard:
        return y_soft
    y_hard = segment_argmax_onehot(y_soft.detach(), segment, num_segments)
    return y_hard - y_soft.detach() + y_soft


class CodebookHead(nn.Module):
    """Linear map from encoder features [B, in_dim] to latent logits [B, m, k]."""

    def __init__(self, in_dim: int, m: int, k: int):
        super().__init__()
        self.m, self.k = m, k
        self.proj = nn.Linear(in_dim, m * k)

    def forward(self, h: Tensor) -> Tensor:
        return self.proj(h).view(h.shape[0], self.m, self.k)


class LatentEmbedding(nn.Module):
    """One-hot codes [B, m, k] -> vectors [B, m, dim]; a learned null embedding stands in for dropped latents.

    The lookup is a product with the one-hot tensor, so straight-through gradients reach the encoder.
    """

    def __init__(self, m: int, k: int, dim: int, p_drop: float = 0.1):
        super().__init__()
        self.m, self.k, self.dim, self.p_drop = m, k, dim, p_drop
        self.codes = nn.Parameter(torch.randn(m, k, dim) / dim**0.5)
        self.null = nn.Parameter(torch.zeros(m, dim))

    def forward(self, z_onehot: Tensor | None, batch_size: int | None = None, drop_mask: Tensor | None = None) -> Tensor:
        """z_onehot None means all-null (then batch_size is needed). drop_mask [B] bool forces null per sample;
        otherwise in training each sample's latents are dropped together with probability p_drop."""
        if z_onehot is None:
            if batch_size is None:
                raise ValueError("batch_size is required when z_onehot is None")
            return self.null.unsqueeze(0).expand(batch_size, -1, -1)
        if z_onehot.shape[1:] != (self.m, self.k):
            raise ValueError(f"z_onehot must be [B, {self.m}, {self.k}], got {tuple(z_onehot.shape)}")
        emb = torch.einsum("bmk,mkd->bmd", z_onehot, self.codes)
        if drop_mask is None and self.training and self.p_drop > 0:
            drop_mask = torch.rand(emb.shape[0], device=emb.device) < self.p_drop
        if drop_mask is None:
            return emb
        return torch.where(drop_mask.view(-1, 1, 1), self.null.unsqueeze(0).to(emb.dtype), emb)


__all__ = [
    "CodebookHead",
    "LatentEmbedding",
    "gumbel_softmax_st",
    "sample_gumbel",
    "segment_argmax_onehot",
    "segment_gumbel_softmax_st",
]
