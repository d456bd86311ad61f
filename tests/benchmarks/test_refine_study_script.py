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


def test_pairs_compare_disco_with_its_twin_per_seed(script):
    ids = ["a", "b", "c"]
    refine = {"disco-pocket": [1.0, 1.0, 5.0], "twin-pocket": [3.0, 1.0, 5.0],
              "disco-pocket-s1": [3.0, 3.0, 1.0], "twin-pocket-s1": [1.0, 3.0, 1.0],
              "disco-pocket-s2": [1.0, 1.0, 1.0]}  # seed 2's twin has not run: no row for seed 2
    rows = pd.DataFrame([{"id": i, "model": m, "ranking": "vina-refine", "top1_rmsd": r}
                         for m, rmsds in refine.items() for i, r in zip(ids, rmsds)]
                        + [{"id": "a", "model": "twin-pocket", "ranking": "vina-opt", "top1_rmsd": 0.5}])
    pairs = script.compare_pairs(rows).set_index("pair")
    assert list(pairs.index) == ["seed 0", "seed 1"]
    assert (pairs.loc["seed 0", "only_a"], pairs.loc["seed 0", "only_b"]) == (1, 0)  # vina-opt rows are not counted
    assert (pairs.loc["seed 1", "only_a"], pairs.loc["seed 1", "only_b"]) == (0, 1)
    assert pairs.loc["seed 0", "a_success"] == pytest.approx(2 / 3) and (pairs["n"] == 3).all()


def test_pairs_compare_retrained_models_on_shared_complexes_only(script):
    refine = {"disco-pocket-f2": {"a": 1.0, "b": 3.0, "c": 1.0}, "disco-pocket-s0": {"a": 3.0, "b": 3.0}}
    rows = pd.DataFrame([{"id": i, "model": m, "ranking": "vina-refine", "top1_rmsd": r}
                         for m, by_id in refine.items() for i, r in by_id.items()])
    pairs = script.compare_pairs(rows).set_index("pair")
    assert list(pairs.index) == ["DisCo: retrained vs seed 0"]
    row = pairs.loc["DisCo: retrained vs seed 0"]
    assert (row["a"], row["b"], row["n"], row["only_a"], row["only_b"]) == ("disco-pocket-f2", "disco-pocket-s0", 2, 1, 0)
