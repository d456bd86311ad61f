"""benchmarks/blind_pockets_study.py: blind through found pockets vs the blind model vs the pocket given."""

import numpy as np
import pandas as pd
import pytest

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("blind_pockets_study")


def test_compare_on_common_complexes(script, tmp_path):
    def bench(method, top1):
        return [{"id": f"c{i}", "method": method, "mode": "blind", "top1_rmsd": r, "top5_rmsd": r, "oracle_rmsd": r,
                 "confidence": -7.0, "pb_valid": "", "seconds": 20.0, "status": "ok"} for i, r in enumerate(top1)]

    rows = pd.DataFrame(bench("disco-pockets3+vina-refine", [1.0, 1.0, 5.0, np.nan])
                        + bench("disco+vina-refine", [9.0, 9.0, 9.0, 9.0])
                        + bench("disco-pockets3", [9.0] * 4))  # the confidence ranking is not compared
    rows_path = tmp_path / "rows.csv"
    rows.to_csv(rows_path, index=False)
    study = pd.DataFrame([{"id": f"c{i}", "model": m, "ranking": "vina-refine", "top1_rmsd": r, "oracle_rmsd": r,
                           "vina_score": -8.0, "seconds": 15.0}
                          for m, top1 in (("disco-pocket-boxpocket", [1.0, 5.0, 1.0, 1.0, 1.0]),
                                          ("disco-pocket", [0.1] * 5))
                          for i, r in enumerate(top1)])
    study_path = tmp_path / "refine_study.csv"
    study.to_csv(study_path, index=False)
    script.main(["--rows", str(rows_path), "--refine-study", str(study_path), "--out-prefix", str(tmp_path / "s")])
    summary = pd.read_csv(tmp_path / "s_summary.csv").set_index("method")
    assert set(summary.index) == {"disco-pockets3+vina-refine", "disco+vina-refine", script.REFERENCE}
    assert (summary["n"] == 4).all()  # c4 only in the reference
    pockets = summary.loc["disco-pockets3+vina-refine"]
    assert pockets["top1_success"] == pytest.approx(0.5)  # the failed complex (NaN) is a miss
    assert (pockets["only_this_vs_pocket_given"], pockets["only_pocket_given"]) == (1, 2)  # c1 vs c2, c3
    assert (pockets["only_this_vs_blind"], pockets["only_blind"]) == (2, 0)  # the blind model hits none
    assert summary.loc[script.REFERENCE, "top1_success"] == pytest.approx(0.75)
    assert np.isnan(summary.loc[script.REFERENCE, "p_vs_pocket_given"])
    assert np.isnan(summary.loc[script.BLIND, "p_vs_blind"])


def test_posebusters_v2_compares_the_benchmark_rows(script, tmp_path):
    """--posebusters-v2: found-pocket rows against the pocket given and the blind model, all from one rows CSV."""
    def bench(method, mode, top1):
        return [{"id": f"c{i}", "method": method, "mode": mode, "top1_rmsd": r, "oracle_rmsd": r, "seconds": 9.0}
                for i, r in enumerate(top1)]

    rows = pd.DataFrame(bench("disco-f2-pockets3+vina-refine", "blind", [1.0, 1.0, 5.0])
                        + bench("disco-f2-pockets3", "blind", [9.0] * 3)  # confidence-ranked: not compared
                        + bench(script.V2_POCKET_GIVEN, "pocket", [1.0, 5.0, 1.0])
                        + bench(script.V2_POCKET_GIVEN, "blind", [0.5] * 3)  # another mode: not the pocket given
                        + bench(script.V2_BLIND, "blind", [9.0, 9.0, 1.0])
                        + bench(script.V2_BLIND, "pocket", [0.5] * 3))
    rows.to_csv(tmp_path / "v2.csv", index=False)
    script.main(["--posebusters-v2", str(tmp_path / "v2.csv"), "--out-prefix", str(tmp_path / "v2")])
    summary = pd.read_csv(tmp_path / "v2_summary.csv").set_index("method")
    assert not (tmp_path / "v2_rows.csv").exists()  # the rows stay in the benchmark's CSV
    assert len(summary) == 3 and (summary["n"] == 3).all()
    pockets = summary.loc["disco-f2-pockets3+vina-refine"]
    assert (pockets["only_this_vs_pocket_given"], pockets["only_pocket_given"]) == (1, 1)  # c1 vs c2
    assert (pockets["only_this_vs_blind"], pockets["only_blind"]) == (2, 1)  # c0, c1 vs c2
    given = summary.filter(like="pocket given", axis=0)["top1_success"].item()
    assert given == pytest.approx(2 / 3, abs=1e-4)  # the CSV keeps 4 decimals
    assert summary.filter(like="blind model", axis=0)["top1_success"].item() == pytest.approx(1 / 3, abs=1e-4)
