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
    assert merged.complex == "a" and merged.seconds == 3.0 and merged.timings == {"sampling": 2.0, "ranking": 1.0}


def test_merge_ranked_lowest_first_for_energies():
    a, b = _result(0.0, [0.0, 0.0], "a"), _result(10.0, [0.0, 0.0], "b")
    merged, scores = merge_ranked([a, b], [np.array([-7.0, np.inf]), np.array([-9.0, -6.0])], higher_is_better=False)
    assert scores.tolist() == [-9.0, -7.0, -6.0, np.inf]  # a pose outside its box (+inf) ranks last
    assert merged.latents == ["b0", "a0", "b1", "a1"]
    assert merged.complex == "b"  # the top pose's pocket
    with pytest.raises(ValueError):
        merge_ranked([], [], higher_is_better=True)
