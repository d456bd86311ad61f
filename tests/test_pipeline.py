"""discodock.pipeline: merging per-pocket results into one ranking."""

from __future__ import annotations

import numpy as np
import pytest

from discodock.pipeline import DockingResult, merge_ranked


def _result(offset: float, confidence: list[float], name: str) -> DockingResult:
    n = len(confidence)
    return DockingResult(complex=name, poses=np.full((n, 2, 3), offset) + np.arange(n)[:, None, None],
                         confidence=np.array(confidence), latents=[f"{name}{i}" for i in range(n)], seconds=1.5,
                         timings={"sampling": 1.0, "ranking": 0.5})


def test_merge_ranked_orders_all_poses_by_score():
    a, b = _result(0.0, [0.9, 0.1], "a"), _result(100.0, [0.5, 0.7], "b")
    merged, scores = merge_ranked([a, b], [a.confidence, b.confidence], higher_is_better=True)
    assert scores.tolist() == [0.9, 0.7, 0.5, 0.1]
    assert merged.latents == ["a0", "b1", "b0", "a1"]  # poses, confidences and latents move together
    assert merged.poses[:, 0, 0].tolist() == [0.0, 101.0, 100.0, 1.0]
    assert merged.confidence.tolist() == scores.tolist()
    assert merged.pocket.tolist() == [1, 2, 2, 1]  # which input (pocket) each pose came from, from 1
    assert merged.complex == "a" and merged.seconds == 3.0 and merged.timings == {"sampling": 2.0, "ranking": 1.0}


def test_merge_ranked_lowest_first_for_energies():
    a, b = _result(0.0, [0.0, 0.0], "a"), _result(10.0, [0.0, 0.0], "b")
    merged, scores = merge_ranked([a, b], [np.array([-7.0, np.inf]), np.array([-9.0, -6.0])], higher_is_better=False)
    assert scores.tolist() == [-9.0, -7.0, -6.0, np.inf]  # a pose outside its box (+inf) ranks last
    assert merged.latents == ["b0", "a0", "b1", "a1"]
    assert merged.complex == "b"  # the top pose's pocket
    with pytest.raises(ValueError):
        merge_ranked([], [], higher_is_better=True)


def test_each_pocket_draws_with_its_own_seed(monkeypatch):
    """dock_in_pockets: pocket k samples with seed + k (independent draws; the first pocket as pocket docking)."""
    import torch

    from discodock import pipeline

    calls = []
    monkeypatch.setattr(pipeline, "prepare", lambda name, protein, ligand, pocket_center, pocket_radius, seed:
                        calls.append(("prepare", pocket_center.tolist(), seed)) or pocket_center)
    monkeypatch.setattr(pipeline, "dock", lambda models, prepared, samples, steps, seed, device:
                        calls.append(("dock", prepared.tolist(), seed))
                        or _result(float(prepared[0]), [0.5] * samples, str(int(prepared[0]))))
    models = type("Models", (), {"pocket_radius": 15.0})()
    centers = [torch.tensor([0.0, 0, 0]), torch.tensor([10.0, 0, 0]), torch.tensor([20.0, 0, 0])]
    merged, per_pocket = pipeline.dock_in_pockets(models, None, None, centers, name="x", samples=2, seed=7)
    assert [c[2] for c in calls] == [7, 7, 8, 8, 9, 9]
    assert [c[1][0] for c in calls] == [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]  # each pocket docked at its own centre
    assert [r.complex for r in per_pocket] == ["0", "10", "20"] and len(merged.poses) == 6


def test_vina_ranks_each_pocket_in_its_own_box_with_its_own_refinement_seed(monkeypatch):
    from discodock import pipeline
    from discodock.refine import RefineSettings

    seen = []

    def fake_rank_by_vina(result, protein_path, rankings, *, box, refine):
        seen.append((result.complex, box, refine.seed, refine.chains))
        return {"vina-refine": pipeline.VinaRanking(result, -result.confidence, 1.0)}

    monkeypatch.setattr(pipeline, "rank_by_vina", fake_rank_by_vina)
    pockets = [_result(0.0, [0.9, 0.1], "a"), _result(10.0, [0.5, 0.7], "b")]
    ranked = pipeline.rank_pockets_by_vina(pockets, "p.pdb", ["vina-refine"], refine=RefineSettings(chains=2, seed=5))
    assert seen == [("a", "pocket", 5, 2), ("b", "pocket", 6, 2)]
    assert ranked["vina-refine"].scores.tolist() == [-0.9, -0.7, -0.5, -0.1]
    assert ranked["vina-refine"].result.pocket.tolist() == [1, 2, 2, 1] and ranked["vina-refine"].seconds == 2.0
