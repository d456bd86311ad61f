"""benchmarks/refine_study.py: the summary counts successes per ranking and pairs them per complex."""

import pandas as pd
import pytest

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("refine_study")


def test_summary_pairs_refined_with_minimised_tops(script):
    rows = pd.DataFrame({
        "id": ["a", "a", "b", "b", "c", "c"], "model": "m",
        "ranking": ["vina-opt", "vina-refine"] * 3,
        "top1_rmsd": [3.0, 1.0, 1.5, 1.2, 4.0, 5.0],  # a: refine only; b: both; c: neither
        "oracle_rmsd": [1.0, 1.0, 1.0, 1.0, 1.5, 3.0],  # c: refinement replaced its best pose
        "vina_score": -7.0, "seconds": [10.0, 20.0, 12.0, 22.0, 14.0, 24.0],
    })
    summary = script.summarize(rows).set_index("ranking")
    assert summary.loc["vina-opt", "top1_success"] == pytest.approx(1 / 3)
    assert summary.loc["vina-refine", "top1_success"] == pytest.approx(2 / 3)
    assert summary.loc["vina-refine", "oracle_success"] == pytest.approx(2 / 3)
    assert (summary.loc["vina-refine", "only_refine"], summary.loc["vina-refine", "only_opt"]) == (1, 0)
    assert summary.loc["vina-refine", "median_seconds"] == 22.0 and (summary["n"] == 3).all()
