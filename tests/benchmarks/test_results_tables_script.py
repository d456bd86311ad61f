"""benchmarks/results_tables.py: the Vina-misses table splits what Vina docks and we miss into ranking
misses (a pose of ours within 2 Å) and search misses (none)."""

import pandas as pd

from ..conftest import load_benchmark_script


def test_vina_misses_split_ranking_from_search(tmp_path, monkeypatch):
    script = load_benchmark_script("results_tables")
    monkeypatch.setattr(script, "RESULTS", tmp_path)
    assert script.vina_misses_table() is None  # no result files yet
    pd.DataFrame({
        "id": ["a", "b", "c", "d", "e"], "method": "disco+vina-refine", "mode": "pocket",
        "top1_rmsd": [1.0, 3.0, 4.0, 1.5, 5.0],
        "oracle_rmsd": [1.0, 1.2, 3.0, 1.5, 5.0],  # b: a good pose ranked low; c: none found
    }).to_csv(tmp_path / "posebusters_v2.csv", index=False)
    pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "top1_rmsd": [0.5, 0.8, 1.1, 2.5, 6.0]}).to_csv(
        tmp_path / "vina_posebusters_v2.csv", index=False)
    table = script.vina_misses_table()
    row = table.splitlines()[2]  # header, rule, the one method present
    assert row == "| disco+vina-refine | 5 | 1 | 1 | 2 | 1 | 1 | 1 |"
