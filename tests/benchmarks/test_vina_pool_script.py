"""benchmarks/vina_pool.py: our top pose and Vina's, pooled by Vina score."""

import numpy as np
import pandas as pd
import pytest

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("vina_pool")


# per complex: (our top-1 RMSD, our score, Vina's top-1 RMSD, Vina's score)
CASES = {
    "ours_lower_right": (1.0, -9.0, 5.0, -8.0),  # the pool takes ours and gains a complex over Vina
    "ours_lower_wrong": (6.0, -9.5, 1.0, -9.0),  # takes ours and loses one
    "vina_lower": (1.0, -7.0, 4.0, -8.0),  # keeps Vina's (a miss although ours was right)
    "tie": (1.0, -8.0, 3.0, -8.0),  # a tie keeps Vina's
    "ours_failed": (np.nan, np.nan, 1.5, -6.0),  # keeps Vina's
    "vina_failed": (0.5, -5.0, np.nan, np.nan),  # takes ours
}


@pytest.fixture()
def csvs(tmp_path):
    ours = [{"id": i, "method": "disco+vina-refine", "mode": "pocket", "top1_rmsd": r, "confidence": s,
             "seconds": 10.0} for i, (r, s, _, _) in CASES.items()]
    ours += [{"id": i, "method": "twin+vina-refine", "mode": "pocket", "top1_rmsd": 9.0, "confidence": -1.0,
              "seconds": 10.0} for i in CASES]
    vina = [{"id": i, "top1_rmsd": r, "best_rmsd": r, "seconds": 3.0, "status": "ok", "cpu_seconds": 3.0,
             "top1_score": s} for i, (_, _, r, s) in CASES.items()]
    rows_path, vina_path = tmp_path / "rows.csv", tmp_path / "vina.csv"
    pd.DataFrame(ours).to_csv(rows_path, index=False)
    pd.DataFrame(vina).to_csv(vina_path, index=False)
    return rows_path, vina_path


def test_pool_takes_the_lower_score(script, csvs):
    rows, vina = (pd.read_csv(p, dtype={"id": str}) for p in csvs)
    pooled = script.pool(script.our_top_poses(rows, "disco+vina-refine"), vina).set_index("id")
    assert pooled["picks_ours"].to_dict() == {"ours_lower_right": True, "ours_lower_wrong": True, "vina_lower": False,
                                              "tie": False, "ours_failed": False, "vina_failed": True}
    assert pooled.loc["ours_lower_wrong", "top1_rmsd_pooled"] == 6.0
    assert pooled.loc["vina_failed", "top1_rmsd_pooled"] == 0.5
    assert (pooled["seconds_pooled"] == 13.0).all()


def test_summary_counts_gains_and_losses(script, csvs, tmp_path):
    out = tmp_path / "pool.csv"
    script.main(["--rows", str(csvs[0]), "--vina", str(csvs[1]), "--methods", "disco+vina-refine", "twin+vina-refine",
                 "--out", str(out)])
    summary = pd.read_csv(out).set_index("method")
    disco = summary.loc["disco+vina-refine"]
    # Vina alone: ours_lower_wrong, ours_failed (2 of 6); pooled: ours_lower_right, ours_failed, vina_failed (3)
    assert disco["vina_success"] == pytest.approx(2 / 6, abs=1e-4)
    assert disco["pooled_success"] == pytest.approx(3 / 6, abs=1e-4)
    assert (disco["picks_ours"], disco["picks_ours_right"]) == (3, 2)
    assert (disco["gained_vs_vina"], disco["lost_vs_vina"]) == (2, 1)
    twin = summary.loc["twin+vina-refine"]  # its -1 beats only Vina's failure, with a miss: the pool is Vina
    assert twin["picks_ours"] == 1 and twin["pooled_success"] == pytest.approx(2 / 6, abs=1e-4)


def test_study_rows_are_named_model_plus_ranking(script):
    rows = pd.DataFrame({"id": ["a", "a"], "model": ["disco-pocket"] * 2, "ranking": ["vina-opt", "vina-refine"],
                         "top1_rmsd": [3.0, 1.0], "oracle_rmsd": [1.0, 1.0], "vina_score": [-7.0, -8.0],
                         "seconds": [5.0, 9.0]})
    top = script.our_top_poses(rows, "disco-pocket+vina-refine")
    assert top[["top1_rmsd", "score", "seconds"]].values.tolist() == [[1.0, -8.0, 9.0]]


def test_vina_rows_without_scores_are_refused(script, csvs, tmp_path):
    vina = pd.read_csv(csvs[1]).drop(columns="top1_score")
    old = tmp_path / "old.csv"
    vina.to_csv(old, index=False)
    with pytest.raises(SystemExit, match="top1_score"):
        script.main(["--rows", str(csvs[0]), "--vina", str(old), "--methods", "disco+vina-refine",
                     "--out", str(tmp_path / "x.csv")])
