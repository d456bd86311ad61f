"""benchmarks/seed_study.py: DisCo vs twin per training seed and pooled over seeds."""

import numpy as np
import pandas as pd
import pytest

from ..conftest import load_benchmark_script

COLUMNS = ["id", "method", "mode", "top1_rmsd", "top5_rmsd", "oracle_rmsd", "confidence", "pb_valid", "seconds",
           "status"]


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("seed_study")


def _rows(method: str, oracle: list[float], mode: str = "pocket", top1: list[float] | None = None) -> list[dict]:
    top1 = top1 or [9.0] * len(oracle)
    return [{"id": f"C{i}", "method": method, "mode": mode, "top1_rmsd": t, "top5_rmsd": 9.0, "oracle_rmsd": r,
             "confidence": 0.0, "pb_valid": "", "seconds": 1.0, "status": "ok"}
            for i, (r, t) in enumerate(zip(oracle, top1))]


@pytest.fixture()
def rows_csvs(tmp_path):
    """Seed 0 in the main rows file (with rows the study must ignore), seed 1 in a run's own file."""
    main = (_rows("disco", [1.0, 1.0, 3.0, 1.0, 5.0]) + _rows("twin", [1.0, 3.0, 3.0, 3.0, 5.0])
            + _rows("disco+vina-opt", [0.1] * 5) + _rows("disco", [0.1] * 5, mode="blind"))
    seed1 = (_rows("disco_s1", [1.0, 3.0, np.nan, 1.0, 5.0]) + _rows("twin_s1", [3.0, 1.0, 3.0, 3.0, 5.0])
             + _rows("twin_s1", [3.0, 1.0, 3.0, 3.0, 5.0, 1.0])[-1:])  # C5: only one run has it
    paths = [tmp_path / "main.csv", tmp_path / "seed1.csv"]
    for path, table in zip(paths, [main, seed1]):
        pd.DataFrame(table, columns=COLUMNS).to_csv(path, index=False)
    return paths


def test_per_seed_and_pooled(script, rows_csvs):
    wide = script.rmsd_table(script.load_seed_rows(rows_csvs))
    assert list(wide.index) == ["C0", "C1", "C2", "C3", "C4"]  # C5 is not in every run
    assert wide[("disco", 1)]["C2"] == np.inf  # a failed complex is a miss

    seeds = script.per_seed(wide).set_index(["model", "seed"])
    assert seeds.loc[("disco", 0), "oracle_success"] == pytest.approx(3 / 5)
    assert seeds.loc[("twin", 0), "oracle_success"] == pytest.approx(1 / 5)
    assert seeds.loc[("disco", 0), ["only_disco", "only_twin"]].tolist() == [2, 0]
    assert seeds.loc[("disco", 1), ["only_disco", "only_twin"]].tolist() == [2, 1]
    assert np.isnan(seeds.loc[("twin", 1), "mcnemar_p"])

    pooled = script.pooled(wide)
    # per complex, mean success over seeds 0 and 1: disco [1, .5, 0, 1, 0], twin [.5, .5, 0, 0, 0]
    assert pooled["mean_difference"] == pytest.approx((0.5 + 0 + 0 + 1 + 0) / 5)
    assert pooled["difference_by_seed"] == "+0.400 +0.200"
    assert (pooled["complexes_disco_better"], pooled["complexes_twin_better"]) == (2, 0)
    assert pooled["ci_low"] <= pooled["mean_difference"] <= pooled["ci_high"]


def test_main_writes_tables_that_reproduce_from_the_rows_file(script, rows_csvs, tmp_path):
    prefix = tmp_path / "out" / "study"
    script.main(["--rows", *map(str, rows_csvs), "--out-prefix", str(prefix)])
    by_seed = pd.read_csv(tmp_path / "out" / "study_by_seed.csv")
    pooled = pd.read_csv(tmp_path / "out" / "study_pooled.csv")
    assert len(by_seed) == 4 and len(pooled) == 1
    kept = pd.read_csv(tmp_path / "out" / "study_rows.csv")
    assert set(kept["method"]) == {"disco", "twin", "disco_s1", "twin_s1"} and set(kept["mode"]) == {"pocket"}

    again = tmp_path / "again" / "study"
    script.main(["--rows", str(tmp_path / "out" / "study_rows.csv"), "--out-prefix", str(again)])
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "study_pooled.csv"), pooled)


def test_no_matching_rows_is_an_error_naming_the_file(script, tmp_path):
    path = tmp_path / "other.csv"
    pd.DataFrame(_rows("vina", [1.0]), columns=COLUMNS).to_csv(path, index=False)
    with pytest.raises(SystemExit, match="other.csv"):
        script.main(["--rows", str(path), "--out-prefix", str(tmp_path / "x")])


def test_vina_refine_ranking_compares_top1_of_the_refined_rows(script, rows_csvs, tmp_path):
    """--ranking vina-refine: only `<model>[_sN]+vina-refine` rows, their top-1 RMSD (not best of N)."""
    refined = tmp_path / "refined.csv"
    table = (_rows("disco+vina-refine", [0.5] * 3, top1=[1.0, 1.0, 3.0]) + _rows("twin+vina-refine", [0.5] * 3,
             top1=[3.0, 1.0, 3.0]) + _rows("disco_s1+vina-refine", [0.5] * 3, top1=[1.0, 3.0, 1.0])
             + _rows("twin_s1+vina-refine", [0.5] * 3, top1=[3.0, 3.0, 3.0]) + _rows("disco-s1+vina-refine", [0.5] * 3))
    pd.DataFrame(table, columns=COLUMNS).to_csv(refined, index=False)
    rows = script.load_seed_rows([*rows_csvs, refined], ranking="vina-refine")
    assert set(rows["method"]) == {"disco+vina-refine", "twin+vina-refine", "disco_s1+vina-refine",
                                   "twin_s1+vina-refine"}  # plain rows and an unrenamed run's rows are not seeds
    wide = script.rmsd_table(rows, "top1_rmsd")
    seeds = script.per_seed(wide, "top1").set_index(["model", "seed"])
    assert seeds.loc[("disco", 0), "top1_success"] == pytest.approx(2 / 3)
    assert seeds.loc[("disco", 1), ["only_disco", "only_twin"]].tolist() == [2, 0]
    pooled = script.pooled(wide, "top1")
    assert pooled["difference_by_seed"] == "+0.333 +0.667" and "median_top1_rmsd_disco" in pooled

    prefix = tmp_path / "out" / "refine"
    script.main(["--ranking", "vina-refine", "--rows", str(refined), "--out-prefix", str(prefix)])
    assert pd.read_csv(tmp_path / "out" / "refine_pooled.csv")["mean_difference"].item() == pytest.approx(0.5)
