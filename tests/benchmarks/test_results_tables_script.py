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


def test_seed_tables_render_what_seed_study_writes(tmp_path, monkeypatch):
    """The plain (best of 40) and the refined (top-1) seed tables read the columns seed_study.py names."""
    seed_study = load_benchmark_script("seed_study")
    script = load_benchmark_script("results_tables")
    monkeypatch.setattr(script, "RESULTS", tmp_path)
    rows = [{"id": f"C{i}", "method": f"{model}{seed}{suffix}", "mode": "pocket", "top1_rmsd": top1,
             "oracle_rmsd": 1.0, "status": "ok"}
            for suffix in ("", "+vina-refine") for seed in ("", "_s1") for model, top1 in (("disco", 1.0), ("twin", 3.0))
            for i in range(4)]
    pd.DataFrame(rows).to_csv(tmp_path / "rows.csv", index=False)
    seed_study.main(["--rows", str(tmp_path / "rows.csv"), "--out-prefix", str(tmp_path / "seed_study")])
    seed_study.main(["--ranking", "vina-refine", "--rows", str(tmp_path / "rows.csv"),
                     "--out-prefix", str(tmp_path / "seed_study_refine")])
    plain = script.seed_study_table()
    refined = script.seed_study_table("seed_study_refine", "top1", "top-1")
    assert "| 0 | 4 | 100.0 % / 100.0 % | 0 / 0 |" in plain  # best of 40: both always within 2 Å
    assert "| 1 | 4 | 100.0 % / 0.0 % | 4 / 0 |" in refined and "median top-1 RMSD over seeds 1.00 vs 3.00 Å" in refined


def test_readme_and_results_doc_show_what_the_result_files_give(capsys):
    """The generated blocks of README.md and docs/RESULTS.md equal this script's output on the committed files
    (after a new result: python benchmarks/results_tables.py --write)."""
    script = load_benchmark_script("results_tables")
    assert script.main(["--check"]) == 0, capsys.readouterr().out


def test_a_generated_block_is_replaced_between_its_markers(tmp_path):
    import pytest

    script = load_benchmark_script("results_tables")
    text = "intro\n<!-- results_tables.py: all -->\nold table\n<!-- results_tables.py: end -->\noutro\n"
    assert script.with_block(text, "all", "| new |", tmp_path / "doc.md") == (
        "intro\n<!-- results_tables.py: all -->\n\n| new |\n\n<!-- results_tables.py: end -->\noutro\n")
    with pytest.raises(SystemExit, match="doc.md: needs one block"):
        script.with_block("no markers", "all", "| new |", tmp_path / "doc.md")
