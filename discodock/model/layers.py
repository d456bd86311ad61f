"""Building blocks of the docking networks: embeddings and the e3nn tensor-product convolution.

`TensorProductConv` is DiffDock's convolution: for an edge s -> d with direction harmonics Y(r̂_sd),
    m_sd = TP_w(x_s ⊗ Y(r̂_sd)),   w = MLP([edge embedding, scalars of s, scalars of d])
    x'_d = mean_{s ∈ N(d)} m_sd   (then equivariant batch norm; optional residual)
so the tensor-product weights depend on the edge (distance, time, latents) and on both end nodes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from e3nn import o3
from e3nn.nn import BatchNorm
from torch import nn
from torch_geometric.utils import scatter

Tensor = torch.Tensor


def sinusoidal_embedding(t: Tensor, dim: int, scale: float = 1000.0, max_period: float = 10000.0) -> Tensor:
    """Transformer-style embedding of t ∈ [0, 1] (times `scale`): [sin(ω_i t), cos(ω_i t)], ω_i log-spaced."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=t.dtype) / max(half - 1, 1))
    angles = (t * scale).unsqueeze(-1) * freqs
    emb = torch.cat([angles.sin(), angles.cos()], dim=-1)
    return F.pad(emb, (0, dim - 2 * half))


class GaussianSmearing(nn.Module):
    """d -> exp(−(d − μ_k)² / (2 Δ²)) on `num` centres μ_k evenly spaced in [start, stop], Δ their spacing."""

    def __init__(self, start: float, stop: float, num: int):
        super().__init__()
        self.register_buffer("offset", torch.linspace(start, stop, num))
        self.coeff = -0.5 / ((stop - start) / max(num - 1, 1)) ** 2

    def forward(self, dist: Tensor) -> Tensor:
        return torch.exp(self.coeff * (dist.unsqueeze(-1) - self.offset) ** 2)


class NodeEmbedding(nn.Module):
    """Categorical columns -> sum of per-column embeddings, plus a linear map of extra scalars (time, latents)."""

    def __init__(self, feature_dims: tuple[int, ...], extra_dim: int, out_dim: int):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(d, out_dim) for d in feature_dims)
        self.extra = nn.Linear(extra_dim, out_dim) if extra_dim > 0 else None

    def forward(self, feat: Tensor, extra: Tensor | None = None) -> Tensor:
        """feat long [N, F]; extra [N, extra_dim] or None when extra_dim is 0."""
        h = sum(table(feat[:, i]) for i, table in enumerate(self.tables))
        if self.extra is not None:
            h = h + self.extra(extra)
        return h


def mlp(in_dim: int, hidden: int, out_dim: int, dropout: float = 0.0) -> nn.Sequential:
    """Two-layer ReLU MLP."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, out_dim))


def pad_to(x: Tensor, dim: int) -> Tensor:
    """Zero-pad the feature axis to `dim`: valid when x's irreps are a prefix of the target irreps."""
    return F.pad(x, (0, dim - x.shape[-1]))


def is_irreps_prefix(a: o3.Irreps, b: o3.Irreps) -> bool:
    """True when padding features of irreps `a` with zeros gives valid features of irreps `b`."""
    a, b = o3.Irreps(a), o3.Irreps(b)
    if len(a) > len(b):
        return False
    for i, (mul_ir_a, mul_ir_b) in enumerate(zip(a, b)):
        if mul_ir_a.ir != mul_ir_b.ir or mul_ir_a.mul > mul_ir_b.mul:
            return False
        if mul_ir_a.mul < mul_ir_b.mul and i != len(a) - 1:
            return False  # a partly filled block must be a's last one
    return True


class TensorProductConv(nn.Module):
    """DiffDock's convolution: per-edge-weighted FullyConnectedTensorProduct, mean aggregation, batch norm."""

    def __init__(
        self,
        in_irreps: str | o3.Irreps,
        sh_irreps: str | o3.Irreps,
        out_irreps: str | o3.Irreps,
        edge_dim: int,
        hidden: int | None = None,
        residual: bool = False,
        batch_norm: bool = True,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.in_irreps, self.sh_irreps = o3.Irreps(in_irreps), o3.Irreps(sh_irreps)
        self.out_irreps = o3.Irreps(out_irreps)
        if residual and not is_irreps_prefix(self.in_irreps, self.out_irreps):
            raise ValueError(f"residual needs {self.in_irreps} to be a prefix of {self.out_irreps}")
        self.residual = residual
        self.tp = o3.FullyConnectedTensorProduct(self.in_irreps, self.sh_irreps, self.out_irreps, shared_weights=False)
        self.fc = mlp(edge_dim, hidden or edge_dim, self.tp.weight_numel, dropout)
        self.batch_norm = BatchNorm(self.out_irreps) if batch_norm else None

    def forward(
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_attr: Tensor,
        edge_sh: Tensor,
        num_out: int | None = None,
        reduce: str = "mean",
    ) -> Tensor:
        """x [N_src, in]; edge_index [2, E] = (source, destination) -> [num_out, out] (default num_out: N_src)."""
        src, dst = edge_index
        num_out = x.shape[0] if num_out is None else num_out
        messages = self.tp(x[src], edge_sh, self.fc(edge_attr))
        out = scatter(messages, dst, dim=0, dim_size=num_out, reduce=reduce)
        if self.residual:
            out = out + pad_to(x, out.shape[-1])
        if self.batch_norm is not None and out.shape[0] > 0:  # no statistics of an empty set
            out = self.batch_norm(out)
        return out


def compile_tensor_products(module: nn.Module) -> int:
    """Compile the per-edge tensor products of every `TensorProductConv` in `module` (training speed-up).

    e3nn's generated tensor-product code slices the per-edge weights once per path; in eager mode each
    slice's backward fills a zero tensor of the full weight size, which is ~25 % of a CPU training step.
    `torch.compile` fuses this: a pocket training step went from 1.06 to 0.58 s on one CPU thread
    (batch 8, configs/model_small.yaml; 17–40 s of compilation first; benchmarks/training_step_speed.py). Only `forward` is replaced, so
    state dicts and checkpoints are unchanged. Returns the number of tensor products compiled.
    """
    import torch._dynamo

    convs = [m for m in module.modules() if isinstance(m, TensorProductConv)]
    # every conv shares e3nn's code object: one compiled variant per irreps signature and edge count rank
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 4 * len(convs) + 8)
    for conv in convs:
        conv.tp.forward = torch.compile(conv.tp.forward, dynamic=True)
    return len(convs)


__all__ = [
    "GaussianSmearing",
    "NodeEmbedding",
    "TensorProductConv",
    "compile_tensor_products",
    "is_irreps_prefix",
    "mlp",
    "pad_to",
    "sinusoidal_embedding",
]
