"""benchmarks/sampling_study.py: settings are compared on the same complexes."""

import pandas as pd
import pytest

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("sampling_study")


def test_summary_is_paired_over_complexes_every_setting_has(script):
    rows = pd.DataFrame({
        "preset": ["plain", "plain", "plain", "cold", "cold"], "model": "m", "vina_box": "poses", "id": ["a", "b", "c", "a", "b"],
        "top1_rmsd": [1.0, 3.0, 1.0, 3.0, 3.0], "oracle_rmsd": [1.0, 1.0, 1.0, 1.0, 3.0],
        "share_below_2": [0.5, 0.1, 0.9, 0.2, 0.0], "top1_opt_rmsd": [1.0, 1.5, 9.0, 1.0, 3.0],
        "oracle_opt_rmsd": [1.0, 1.0, 1.0, 1.0, 1.0], "share_opt_below_2": [0.5, 0.5, 0.5, 0.5, 0.5],
        "seconds": 1.0,
    })
    summary = script.summarize(rows).set_index("preset")
    assert (summary["vina_box"] == "poses").all()
    assert (summary["n"] == 2).all()  # "c" has no cold row, so it is left out of both
    assert summary.loc["plain", "top1_opt_success"] == 1.0 and summary.loc["cold", "top1_opt_success"] == 0.5
    assert summary.loc["plain", "top1_success"] == 0.5 and summary.loc["cold", "oracle_success"] == 0.5
    assert summary.loc["plain", "share_below_2"] == pytest.approx(0.3)
