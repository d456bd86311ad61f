"""Radius and kNN graphs in plain torch, batched over complexes (torch_cluster's conventions).

PyG 2.8's own `radius_graph` / `knn_graph` need pyg-lib, which is not installable here, so these
are written with exact pairwise distances within each complex: small complexes are padded into
one batched `cdist`, a big one is split by query rows, so that no chunk holds more than
`_CHUNK_PAIRS` distances (a 5,000-residue protein, or S copies of it, never needs N² at once).

Conventions (torch_cluster): `radius(x, y)` / `knn(x, y)` return [2, E] with row 0 indexing y
(the queries) and row 1 indexing x; `radius_graph` / `knn_graph` return edge_index [2, E] with
row 0 the source j and row 1 the target i (flow "source_to_target"): each target i keeps at most
`max_num_neighbors` (or k) sources, the nearest ones. Batch vectors must be sorted, as in PyG.
Edges come ordered by query, then by source index.
"""

from __future__ import annotations

import math

import torch
from torch_geometric.utils import scatter

Tensor = torch.Tensor

__all__ = ["radius", "radius_graph", "knn", "knn_graph", "ragged_arange", "scatter"]

_CHUNK_PAIRS = 1 << 22  # distance entries per chunk (~16 MB in float32)


def ragged_arange(counts: Tensor) -> tuple[Tensor, Tensor]:
    """Segment i repeated counts[i] times, and 0 .. counts[i] - 1 within it: counts [S] -> two [sum(counts)]."""
    segment = torch.repeat_interleave(torch.arange(counts.shape[0], device=counts.device), counts)
    within = torch.arange(segment.shape[0], device=counts.device) - (torch.cumsum(counts, 0) - counts)[segment]
    return segment, within


def _ptr(batch: Tensor | None, n: int, num_graphs: int) -> list[int]:
    """CSR offsets of a sorted batch vector (all in graph 0 when batch is None)."""
    if batch is None:
        return [0, n] + [n] * (num_graphs - 1)
    if batch.numel() > 1 and bool((batch[1:] < batch[:-1]).any()):
        raise ValueError("batch vectors must be sorted (as PyG builds them)")
    counts = torch.bincount(batch, minlength=num_graphs)
    return [0] + counts.cumsum(0).tolist()


def _plan(ptr_x: list[int], ptr_y: list[int], budget: int) -> list[list[tuple[int, int, int, int]]]:
    """Chunks of work, each a list of (y0, y1, x0, x1) boxes, one per graph, padded together under `budget`.

    Consecutive small graphs share a chunk (one batched distance computation); a graph whose
    box alone exceeds the budget is split by query rows. Chunks and boxes come in y order.
    """
    chunks: list[list[tuple[int, int, int, int]]] = []
    group: list[tuple[int, int, int, int]] = []
    rows = cols = 0  # padded box of the open group
    for g in range(len(ptr_y) - 1):
        y0, y1, x0, x1 = ptr_y[g], ptr_y[g + 1], ptr_x[g], ptr_x[g + 1]
        ny, nx = y1 - y0, x1 - x0
        if ny == 0 or nx == 0:
            continue
        if ny * nx > budget:
            if group:
                chunks.append(group)
                group, rows, cols = [], 0, 0
            step = max(1, budget // nx)
            chunks.extend([[(a, min(a + step, y1), x0, x1)] for a in range(y0, y1, step)])
            continue
        if group and (len(group) + 1) * max(rows, ny) * max(cols, nx) > budget:
            chunks.append(group)
            group, rows, cols = [], 0, 0
        group.append((y0, y1, x0, x1))
        rows, cols = max(rows, ny), max(cols, nx)
    if group:
        chunks.append(group)
    return chunks


def _nearest_within(d: Tensor, valid: Tensor, k: int) -> Tensor:
    """Restrict each row of the mask `valid` to its k smallest distances d (only rows with more than k)."""
    over = (valid.sum(1) > k).nonzero().squeeze(1)
    if over.numel() > 0:
        dd = d[over].masked_fill_(~valid[over], math.inf)
        nearest = torch.topk(dd, k, dim=1, largest=False).indices
        valid[over] = torch.zeros_like(valid[over]).scatter_(1, nearest, True)
    return valid


def _chunk_edges(
    x: Tensor, y: Tensor, boxes: list[tuple[int, int, int, int]], r: float, k: int, exclude_self: bool
) -> Tensor:
    """Edges (y idx, x idx) of the boxes of one chunk, padded to a common size: one batched cdist."""
    device = y.device
    lo = torch.tensor(boxes, dtype=torch.long, device=device)  # [G, 4]: y0, y1, x0, x1
    rows, cols = int((lo[:, 1] - lo[:, 0]).max()), int((lo[:, 3] - lo[:, 2]).max())
    y_idx = lo[:, :1] + torch.arange(rows, device=device)  # [G, rows]
    x_idx = lo[:, 2:3] + torch.arange(cols, device=device)  # [G, cols]
    y_real, x_real = y_idx < lo[:, 1:2], x_idx < lo[:, 3:4]
    # padding repeats a real row; y_real / x_real mask it out
    y_idx, x_idx = torch.minimum(y_idx, lo[:, 1:2] - 1), torch.minimum(x_idx, lo[:, 3:4] - 1)
    # exact differences, not the |a|² + |b|² - 2ab shortcut, so cut-offs match a brute-force check
    d = torch.cdist(y[y_idx], x[x_idx], compute_mode="donot_use_mm_for_euclid_dist")  # [G, rows, cols]
    valid = (d < r) & y_real[:, :, None] & x_real[:, None, :]
    if exclude_self:  # x is y: drop each point itself
        valid &= y_idx[:, :, None] != x_idx[:, None, :]
    valid = _nearest_within(d.view(-1, cols), valid.view(-1, cols), k).view_as(d)
    g, i, j = valid.nonzero(as_tuple=True)  # ordered by graph, query, source
    return torch.stack([y_idx[g, i], x_idx[g, j]])


def _neighbors(
    x: Tensor,
    y: Tensor,
    r: float,
    max_num_neighbors: int,
    batch_x: Tensor | None,
    batch_y: Tensor | None,
    exclude_self: bool,
) -> Tensor:
    """For each y row, up to max_num_neighbors nearest x rows closer than r in its graph: [2, E] (y, x)."""
    if x.dim() != 2 or y.dim() != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"expected point sets [N, D] with equal D, got {tuple(x.shape)} and {tuple(y.shape)}")
    device = y.device
    bx = torch.zeros(x.shape[0], dtype=torch.long, device=device) if batch_x is None else batch_x
    by = torch.zeros(y.shape[0], dtype=torch.long, device=device) if batch_y is None else batch_y
    num_graphs = int(max(bx.max() if bx.numel() else 0, by.max() if by.numel() else 0)) + 1
    ptr_x, ptr_y = _ptr(bx, x.shape[0], num_graphs), _ptr(by, y.shape[0], num_graphs)
    edges = [torch.empty(2, 0, dtype=torch.long, device=device)]
    for boxes in _plan(ptr_x, ptr_y, _CHUNK_PAIRS):
        edges.append(_chunk_edges(x, y, boxes, r, max_num_neighbors, exclude_self))
    return torch.cat(edges, dim=1)


def radius(
    x: Tensor,
    y: Tensor,
    r: float,
    batch_x: Tensor | None = None,
    batch_y: Tensor | None = None,
    max_num_neighbors: int = 32,
) -> Tensor:
    """For each point of y, the (at most max_num_neighbors nearest) points of x closer than r: [2, E] (y idx, x idx)."""
    return _neighbors(x, y, r, max_num_neighbors, batch_x, batch_y, exclude_self=False)


def knn(x: Tensor, y: Tensor, k: int, batch_x: Tensor | None = None, batch_y: Tensor | None = None) -> Tensor:
    """For each point of y, its k nearest points of x in the same graph: [2, E] (y idx, x idx)."""
    return _neighbors(x, y, math.inf, k, batch_x, batch_y, exclude_self=False)


def radius_graph(
    pos: Tensor,
    r: float,
    batch: Tensor | None = None,
    max_num_neighbors: int = 32,
    loop: bool = False,
) -> Tensor:
    """Edges j -> i for |pos_i - pos_j| < r in each graph, the max_num_neighbors nearest per i: [2, E] (j, i)."""
    target_source = _neighbors(pos, pos, r, max_num_neighbors, batch, batch, exclude_self=not loop)
    return target_source.flip(0)


def knn_graph(pos: Tensor, k: int, batch: Tensor | None = None, loop: bool = False) -> Tensor:
    """Edges j -> i from each target i's k nearest sources j in its graph: [2, E] (j, i)."""
    target_source = _neighbors(pos, pos, math.inf, k, batch, batch, exclude_self=not loop)
    return target_source.flip(0)
