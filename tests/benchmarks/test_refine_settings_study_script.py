"""benchmarks/refine_settings_study.py: the summary pairs each setting with the default per complex,
on the complexes every setting has."""

import pandas as pd
import pytest

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("refine_settings_study")


def test_summary_pairs_settings_with_the_default(script):
    (c0, s0), (c1, s1) = script.SETTINGS[:2]
    rows = pd.DataFrame({
        "id": ["a", "a", "b", "b", "c", "c", "d"], "model": "m",
        "chains": [c0, c1] * 3 + [c0], "steps": [s0, s1] * 3 + [s0],
        "top1_rmsd": [3.0, 1.0, 1.5, 1.2, 1.0, 5.0, 0.5],  # a: bigger only; b: both; c: default only; d: unpaired
        "oracle_rmsd": [1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 0.5],
        "vina_score": [-7.0, -8.0, -6.0, -6.5, -9.0, -9.5, -5.0],
        "minimisations": [80, 200] * 3 + [80], "seconds": [10.0, 30.0, 12.0, 32.0, 14.0, 34.0, 9.0],
    })
    summary = script.summarize(rows).set_index("setting")
    default, bigger = f"{c0}x{s0}", f"{c1}x{s1}"
    assert list(summary.index) == [default, bigger] and (summary["n"] == 3).all()  # d has one setting only
    assert summary.loc[default, "top1_success"] == pytest.approx(2 / 3)
    assert summary.loc[bigger, "top1_success"] == pytest.approx(2 / 3)
    assert (summary.loc[bigger, "gained_vs_default"], summary.loc[bigger, "lost_vs_default"]) == (1, 1)
    assert summary.loc[bigger, "oracle_success"] == pytest.approx(2 / 3)
    assert summary.loc[bigger, "median_vina_score"] == -8.0 and summary.loc[bigger, "mean_minimisations"] == 200
