import numpy as np
import pandas as pd
import pytest

from discodock.evaluation.benchmark import paired_comparison, summarize


@pytest.fixture
def rows() -> pd.DataFrame:
    # complex b failed for disco (NaN = miss, after 0.1 s); twin has not run c yet
    return pd.DataFrame({
        "id": ["a", "b", "c", "a", "b"], "method": ["disco"] * 3 + ["twin"] * 2, "mode": ["pocket"] * 5,
        "top1_rmsd": [1.0, np.nan, 1.5, 3.0, 1.0], "oracle_rmsd": [0.5, np.nan, 1.0, 3.0, 1.0],
        "pb_valid": [True, "", False, True, True], "seconds": [2.0, 0.1, 6.0, 1.0, 3.0],
        "status": ["ok", "failed: ligand.sdf: no molecule", "ok", "ok", "ok"],
    })


def test_summary_counts_failures_as_misses(rows):
    summary = summarize(rows, ["a", "b", "c"]).set_index("method")
    assert summary.loc["disco", "n"] == 3 and summary.loc["twin", "n"] == 2
    assert summary.loc["disco", "top1_success"] == pytest.approx(2 / 3)
    assert summary.loc["twin", "top1_success"] == pytest.approx(1 / 2)
    # a: valid and < 2 Å; b: failed, a miss here too; c: invalid
    assert summary.loc["disco", "pb_valid_success"] == pytest.approx(1 / 3)
    assert summary.loc["disco", "median_seconds"] == 4.0  # a and c: a failure's seconds time no docking


def test_rows_docked_without_checks_are_left_out_of_the_valid_rate(rows):
    rows.loc[2, "pb_valid"] = ""  # c docked, never checked: neither a hit nor a miss for 'valid'
    summary = summarize(rows, ["a", "b", "c"]).set_index("method")
    assert summary.loc["disco", "pb_valid_success"] == pytest.approx(1 / 2)  # a hit, b failed
    rows["pb_valid"] = ""
    assert np.isnan(summarize(rows, ["a", "b", "c"]).set_index("method").loc["disco", "pb_valid_success"])


def test_paired_comparison_uses_complexes_both_ran(rows):
    (result,) = paired_comparison(rows).to_dict("records")
    assert result["n"] == 2  # a and b; c only ran for disco
    assert (result["only_a"], result["only_b"]) == (1, 1)  # a: disco only; b: twin only (disco failed)
    # best of N: a: disco only (the twin's best is 3 Å); b: twin only (disco failed)
    assert (result["oracle_only_a"], result["oracle_only_b"]) == (1, 1)
    assert result["oracle_success_a"] == result["oracle_success_b"] == 0.5


def test_report_pairs_disco_with_twin_for_each_ranking(tmp_path, rows):
    from discodock.evaluation.benchmark import write_report

    vina = rows.assign(method=rows["method"] + "+vina", top1_rmsd=[3.0, 1.0, 1.0, 1.0, 3.0])
    table = pd.concat([rows, vina]).assign(top5_rmsd=1.0, confidence=0.0, status="ok")
    table.to_csv(tmp_path / "tiny.csv", index=False)
    write_report(tmp_path, "tiny", ["a", "b", "c"])
    paired = pd.read_csv(tmp_path / "tiny_paired.csv").set_index("a")
    assert list(paired.index) == ["disco", "disco+vina"] and list(paired["b"]) == ["twin", "twin+vina"]
    assert (paired.loc["disco+vina", "only_a"], paired.loc["disco+vina", "only_b"]) == (1, 1)  # b; a


def test_rmsd_cdf_has_a_panel_per_mode_and_styles_by_ranking(tmp_path, rows, monkeypatch):
    """One panel per mode; a model keeps its colour across rankings, a ranking its line style; Vina is black."""
    import matplotlib.pyplot as plt

    from discodock.evaluation.benchmark import plot_rmsd_cdf

    more = rows.assign(method=rows["method"] + "+vina-refine-pocket")
    blind = rows.assign(mode="blind")
    vina = pd.DataFrame({"id": ["a", "b"], "top1_rmsd": [0.5, 4.0]})
    figures = []
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure to look at it
    plot_rmsd_cdf(pd.concat([rows, more, blind]), vina, tmp_path / "cdf.png")
    assert (tmp_path / "cdf.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    blind_ax, pocket_ax = figures[0].axes
    assert (blind_ax.get_title(), pocket_ax.get_title()) == ("blind", "pocket")
    lines = {line.get_label().split(",")[0]: line for line in pocket_ax.get_lines() if "n=" in line.get_label()}
    assert set(lines) == {"disco", "twin", "disco+vina-refine-pocket", "twin+vina-refine-pocket", "vina"}
    assert lines["disco"].get_color() == lines["disco+vina-refine-pocket"].get_color() != lines["twin"].get_color()
    assert lines["disco"].get_linestyle() == "-" and lines["disco+vina-refine-pocket"].get_linestyle() == "-."
    assert lines["vina"].get_color() == "black" and len(blind_ax.get_lines()) == 3  # disco, twin, the 2 Å line


def test_settings_recorded_before_the_networks_hash_are_compared_on_the_file_hash(tmp_path):
    import json

    from discodock.errors import InputError
    from discodock.evaluation.benchmark import record_settings

    settings = {"weights_sha256": "f1", "networks_sha256": "n1", "samples": 40, "steps": 20, "seed": 0,
                "temperature": None, "pockets": 0, "pb_valid": True}
    old = {k: v for k, v in settings.items() if k != "networks_sha256"}
    path = tmp_path / "set_settings.json"
    path.write_text(json.dumps({"disco/pocket": old}))
    record_settings(path, ["disco/pocket"], settings)  # same file: resumes
    path.write_text(json.dumps({"disco/pocket": {**old, "weights_sha256": "f0"}}))
    with pytest.raises(InputError, match="weights_sha256 'f0' -> 'f1'"):
        record_settings(path, ["disco/pocket"], settings)
