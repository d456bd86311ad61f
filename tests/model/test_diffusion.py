"""Forward noising and the normalised score-matching loss (DiffDock)."""

from __future__ import annotations

import torch

from discodock.complex_graph import collate
from discodock.model.config import ModelConfig
from discodock.model.diffusion import collate_targets, noise_complex, sample_time, score_matching_loss
from discodock.training.synthetic import synthetic_complex, synthetic_dataset


def _bond_lengths(pos: torch.Tensor, graph) -> torch.Tensor:
    i, j = graph.lig_bond_index
    return (pos[i] - pos[j]).norm(dim=-1)


def test_tiny_t_barely_moves_and_t1_moves_a_lot():
    cfg = ModelConfig()
    graph = synthetic_complex("a", 10, 20, torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(1)
    small = [((noise_complex(graph, 0.0, cfg, gen)[0].lig_pos - graph.lig_pos).norm(dim=-1).mean()) for _ in range(5)]
    large = [((noise_complex(graph, 1.0, cfg, gen)[0].lig_pos - graph.lig_pos).norm(dim=-1).mean()) for _ in range(5)]
    assert max(small) < 0.5  # σ_tr 0.1 Å, σ_rot 0.03, σ_tor 0.03 at t = 0
    assert min(large) > 5.0  # σ_tr 19 Å at t = 1


def test_noise_keeps_bond_lengths_and_target_shapes():
    cfg = ModelConfig()
    graph = synthetic_complex("a", 10, 20, torch.Generator().manual_seed(0))
    noisy, targets = noise_complex(graph, 0.7, cfg, torch.Generator().manual_seed(2))
    torch.testing.assert_close(_bond_lengths(noisy.lig_pos, graph), _bond_lengths(graph.lig_pos, graph), atol=1e-4, rtol=0)
    assert targets.tr_score.shape == (1, 3) and targets.rot_score.shape == (1, 3)
    assert targets.tor_score.shape == (graph.num_torsions,)
    # translation target −Δ/σ² points from the noisy centroid back to the clean one
    delta = noisy.lig_pos.mean(0) - graph.lig_pos.mean(0)
    torch.testing.assert_close(targets.tr_score[0], -delta / targets.sigma_tr**2, atol=1e-4, rtol=1e-3)


def test_noise_is_reproducible_with_a_generator():
    cfg = ModelConfig()
    graph = synthetic_complex("a", 9, 20, torch.Generator().manual_seed(0))
    a = noise_complex(graph, 0.5, cfg, torch.Generator().manual_seed(3))[0].lig_pos
    b = noise_complex(graph, 0.5, cfg, torch.Generator().manual_seed(3))[0].lig_pos
    torch.testing.assert_close(a, b)


def test_a_float64_complex_is_noised_in_float64():
    from dataclasses import replace

    graph = synthetic_complex("a", 9, 20, torch.Generator().manual_seed(0))
    graph = replace(graph, lig_pos=graph.lig_pos.double())
    noised = noise_complex(graph, 0.5, ModelConfig(), torch.Generator().manual_seed(3))[0]
    assert noised.lig_pos.dtype == torch.float64


def _batch_targets(num: int, seed: int = 0):
    cfg = ModelConfig()
    graphs = synthetic_dataset(num, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    t = sample_time(num, generator=gen)
    items = [noise_complex(g, t[i], cfg, gen) for i, g in enumerate(graphs)]
    batch = collate([g for g, _ in items])
    return batch, collate_targets([x for _, x in items])


def test_zero_prediction_costs_about_one_and_truth_costs_zero():
    batch, targets = _batch_targets(64)
    zero = {"tr_score": torch.zeros(64, 3), "rot_score": torch.zeros(64, 3), "tor_score": torch.zeros(targets.tor_score.shape[0])}
    loss = score_matching_loss(zero, targets)
    for part in ("tr_loss", "rot_loss", "tor_loss"):
        assert 0.6 < float(loss[part]) < 1.5, (part, float(loss[part]))
    assert 0.6 < float(loss["loss"]) < 1.5
    truth = {"tr_score": targets.tr_score, "rot_score": targets.rot_score, "tor_score": targets.tor_score}
    assert float(score_matching_loss(truth, targets)["loss"]) < 1e-10
    half = {k: 0.5 * v for k, v in truth.items()}
    assert float(score_matching_loss(half, targets)["loss"]) < float(loss["loss"])


def test_targets_collate_renumbers_torsions():
    batch, targets = _batch_targets(3)
    torch.testing.assert_close(targets.tor_batch, batch.tor_batch)


def test_beta_time_distribution_leans_to_high_t():
    t = sample_time(20000, "beta", alpha=2.0, generator=torch.Generator().manual_seed(0))
    assert 0.0 <= float(t.min()) and float(t.max()) <= 1.0
    assert abs(float(t.mean()) - 2 / 3) < 0.01  # mean of Beta(2, 1)
