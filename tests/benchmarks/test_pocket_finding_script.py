"""benchmarks/pocket_finding.py: success at k pockets within a cutoff, failures as misses."""

import numpy as np
import pandas as pd
import pytest

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("pocket_finding")


def test_summary_counts_the_first_k_pockets(script):
    rows = pd.DataFrame([
        {"set": "a", "id": "1", "status": "ok", "seconds": 0.1, "dcc_1": 2.0, "dcc_2": 9.0, "dcc_3": 9.0},
        {"set": "a", "id": "2", "status": "ok", "seconds": 0.3, "dcc_1": 5.0, "dcc_2": 9.0, "dcc_3": 3.0},
        {"set": "a", "id": "3", "status": "ok", "seconds": 0.2, "dcc_1": 12.0, "dcc_2": np.nan, "dcc_3": np.nan},
        {"set": "a", "id": "4", "status": "failed: unreadable", "seconds": np.nan},
    ])
    summary = script.summarize(rows).iloc[0]
    assert (summary["n"], summary["failed"]) == (4, 1)
    assert summary["top1_within_4A"] == pytest.approx(1 / 4)
    assert summary["top3_within_4A"] == pytest.approx(2 / 4)
    assert summary["top1_within_6A"] == pytest.approx(2 / 4)
    assert summary["median_seconds"] == pytest.approx(0.2)


def test_distances_on_a_wheel_example(script, posebusters_examples):
    folder = posebusters_examples / "1s3v"
    distances, seconds = script.pocket_distances(next(folder.glob("*_protein*.pdb")), folder / "1s3v_ligand.sdf")
    assert len(distances) == 5 and distances[0] < 4.0 and seconds > 0
