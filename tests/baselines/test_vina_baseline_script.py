"""The benchmark script's bookkeeping: CPU-time limit, failures as misses, summary."""

import math
from pathlib import Path

import pandas as pd
import pytest

from discodock.evaluation.datasets import ComplexPaths

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("vina_baseline")


def _spin(*_):
    while True:  # burns CPU until the rlimit stops it
        pass


def test_cpu_limit_gives_a_timeout_row(script, monkeypatch):
    monkeypatch.setattr(script, "dock_one", _spin)
    row = script.run_with_timeout(ComplexPaths("x", Path("p"), Path("l")), 1, 1, cpu_limit=1)
    assert row["status"] == "timeout" and math.isnan(row["top1_rmsd"]) and row["cpu_seconds"] >= 0.9


def test_errors_are_reported_per_complex(script, monkeypatch):
    def fail(*_):
        raise ValueError("bad ligand\nsecond line")

    monkeypatch.setattr(script, "dock_one", fail)
    row = script.run_with_timeout(ComplexPaths("x", Path("p"), Path("l")), 1, 1, cpu_limit=30)
    assert row["status"] == "error: ValueError: bad ligand"


def test_summary_counts_failures_as_misses(script):
    rows = pd.DataFrame({"id": list("abcd"), "top1_rmsd": [1.0, 3.0, float("nan"), 0.5],
                         "best_rmsd": [1.0, 1.5, float("nan"), 0.5], "seconds": [10, 20, 30, 40],
                         "status": ["ok", "ok (offloaded)", "timeout", "ok"], "cpu_seconds": [5, 6, 7, 8]})
    summary = script.summarize(rows, {})
    assert summary["n"] == 4 and summary["n_ok"] == 3 and summary["n_timeout"] == 1 and summary["n_error"] == 0
    assert summary["top1_success"] == 0.5 and summary["best_of_9_success"] == 0.75
    assert summary["median_seconds"] == 25 and summary["median_cpu_seconds"] == 6.5


def test_latest_row_of_a_retried_complex_wins(script, tmp_path):
    out = tmp_path / "rows.csv"
    out.write_text("id,top1_rmsd,best_rmsd,seconds,status,cpu_seconds\n"
                   "a,,,0.1,error: TypeError: bad type,\n"
                   "b,1.0,1.0,5,ok,4\n"
                   "a,0.5,0.5,9,ok,8\n")
    rows = script.latest_rows(out).set_index("id")
    assert list(rows.index) == ["b", "a"] and rows.loc["a", "status"] == "ok"
    assert script.latest_rows(tmp_path / "missing.csv").empty


def test_shards_split_the_set(script):
    import argparse

    assert script.parse_shard("1/3") == (1, 3)
    for bad in ("3/3", "-1/2", "1", "a/b"):
        with pytest.raises(argparse.ArgumentTypeError):
            script.parse_shard(bad)
