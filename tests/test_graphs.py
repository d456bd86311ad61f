"""Radius / kNN graphs against a brute-force O(N²) reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from discodock import graphs


def reference(x, y, r, k, batch_x, batch_y, exclude_self=False) -> set[tuple[int, int]]:
    """(y index, x index) pairs: for each y, the k nearest x of its graph closer than r."""
    x, y = x.double().numpy(), y.double().numpy()
    out = set()
    for i in range(len(y)):
        cand = [(float(np.linalg.norm(y[i] - x[j])), j) for j in range(len(x))
                if batch_x[j] == batch_y[i] and not (exclude_self and i == j)]
        cand = sorted(c for c in cand if c[0] < r)[:k]
        out |= {(i, j) for _, j in cand}
    return out


def as_set(edge_index: torch.Tensor) -> set[tuple[int, int]]:
    pairs = {tuple(p) for p in edge_index.T.tolist()}
    assert len(pairs) == edge_index.shape[1], "duplicate edges"
    return pairs


def assert_ordered(query: torch.Tensor, source: torch.Tensor, num_source: int) -> None:
    """Edges sorted by query, then source (torch_cluster's order)."""
    key = query * num_source + source
    assert (key[1:] > key[:-1]).all()


def clouds(sizes: list[int], seed: int, scale: float = 4.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    pos = torch.randn(sum(sizes), 3, generator=g) * scale
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    return pos, batch


@pytest.fixture(params=[1 << 22, 1000, 37], ids=["one-chunk", "grouped-chunks", "tiny-chunks"])
def chunk_budget(request, monkeypatch):
    monkeypatch.setattr(graphs, "_CHUNK_PAIRS", request.param)
    return request.param


@pytest.mark.parametrize("max_num_neighbors", [64, 5])
@pytest.mark.parametrize("loop", [False, True])
def test_radius_graph_matches_brute_force(chunk_budget, max_num_neighbors, loop):
    pos, batch = clouds([30, 1, 55, 0, 20], seed=0)
    edge = graphs.radius_graph(pos, 5.0, batch, max_num_neighbors=max_num_neighbors, loop=loop)
    ref = reference(pos, pos, 5.0, max_num_neighbors, batch, batch, exclude_self=not loop)
    assert as_set(edge.flip(0)) == ref  # edge rows are (source j, target i)
    assert len(ref) > 100
    assert_ordered(edge[1], edge[0], len(pos))
    if max_num_neighbors == 5:
        assert torch.bincount(edge[1]).max() == 5  # truncation happened, keeping the nearest


def test_radius_graph_without_batch_and_flow(chunk_budget):
    pos, _ = clouds([40], seed=1)
    edge = graphs.radius_graph(pos, 6.0)
    assert as_set(edge.flip(0)) == reference(pos, pos, 6.0, 32, [0] * 40, [0] * 40, exclude_self=True)
    assert (edge[0] != edge[1]).all()
    assert torch.equal(edge[1], edge[1].sort().values)  # grouped by target


@pytest.mark.parametrize("max_num_neighbors", [32, 3])
def test_radius_cross_matches_brute_force(chunk_budget, max_num_neighbors):
    x, batch_x = clouds([50, 70, 10], seed=2)
    y, batch_y = clouds([8, 0, 12], seed=3)
    edge = graphs.radius(x, y, 6.0, batch_x, batch_y, max_num_neighbors=max_num_neighbors)
    ref = reference(x, y, 6.0, max_num_neighbors, batch_x, batch_y)
    assert as_set(edge) == ref and len(ref) > 20  # row 0 indexes y, row 1 indexes x
    assert_ordered(edge[0], edge[1], len(x))


@pytest.mark.parametrize("loop", [False, True])
def test_knn_graph_matches_brute_force(chunk_budget, loop):
    pos, batch = clouds([25, 4, 40], seed=4)
    edge = graphs.knn_graph(pos, 6, batch, loop=loop)
    ref = reference(pos, pos, float("inf"), 6, batch, batch, exclude_self=not loop)
    assert as_set(edge.flip(0)) == ref


def test_knn_cross_matches_brute_force(chunk_budget):
    x, batch_x = clouds([30, 20], seed=5)
    y, batch_y = clouds([5, 7], seed=6)
    assert as_set(graphs.knn(x, y, 4, batch_x, batch_y)) == reference(x, y, float("inf"), 4, batch_x, batch_y)


def test_empty_and_unsorted_inputs():
    pos = torch.randn(5, 3)
    assert graphs.radius_graph(pos, 1e-6).shape == (2, 0)
    assert graphs.radius(pos, torch.empty(0, 3), 2.0).shape == (2, 0)
    with pytest.raises(ValueError):
        graphs.radius_graph(pos, 1.0, batch=torch.tensor([1, 0, 0, 1, 1]))


def test_scatter_is_reexported():
    src = torch.tensor([1.0, 2.0, 3.0])
    assert torch.equal(graphs.scatter(src, torch.tensor([0, 1, 0]), dim=0, reduce="sum"), torch.tensor([4.0, 2.0]))


def test_ragged_arange_numbers_each_segment():
    from discodock.graphs import ragged_arange

    segment, within = ragged_arange(torch.tensor([2, 0, 3, 1]))
    assert segment.tolist() == [0, 0, 2, 2, 2, 3]
    assert within.tolist() == [0, 1, 0, 1, 2, 0]
    empty = ragged_arange(torch.zeros(0, dtype=torch.long))
    assert empty[0].numel() == 0 and empty[1].numel() == 0
