"""`discodock benchmark` end to end on two example complexes: rows per ranking, resume, summary."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from .conftest import FAST


@pytest.fixture
def tiny_set(tmp_path: Path, posebusters_examples: Path) -> tuple[Path, Path]:
    """Two complexes of the posebusters wheel in the shared layout (<id>/protein.pdb, <id>/ligand.sdf)."""
    root = tmp_path / "data"
    for cid in ("1ia1", "1s3v"):
        folder = root / cid
        folder.mkdir(parents=True)
        (folder / "protein.pdb").symlink_to(posebusters_examples / cid / f"{cid}_protein_one_lig_removed.pdb")
        (folder / "ligand.sdf").symlink_to(posebusters_examples / cid / f"{cid}_ligand.sdf")
    ids = tmp_path / "ids.txt"
    ids.write_text("1ia1\n1s3v\n")
    return root, ids


@pytest.mark.slow
def test_benchmark_writes_confidence_and_vina_rows_and_resumes(cli, tmp_path, tiny_set, bundles):
    pytest.importorskip("vina")
    root, ids = tiny_set
    out = tmp_path / "results"
    common = ["benchmark", "--data", root, "--ids", ids, "--set", "tiny", "--mode", "pocket", "--weights",
              bundles.disco, "--method", "disco", "--out", out, *FAST]
    args = [*common, "--vina-rank"]
    assert cli(*args).code == 0
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str})
    assert sorted(zip(rows["id"], rows["method"])) == [
        ("1ia1", "disco"), ("1ia1", "disco+vina"), ("1s3v", "disco"), ("1s3v", "disco+vina")]
    assert (rows["status"] == "ok").all() and rows["top1_rmsd"].notna().all()
    # same poses, two rankings: the best of all samples is the same, the top pose need not be
    wide = rows.pivot(index="id", columns="method", values="oracle_rmsd")
    pd.testing.assert_series_equal(wide["disco"], wide["disco+vina"], check_names=False)
    vina_rows = rows[rows["method"] == "disco+vina"]
    assert (vina_rows["confidence"] < 50).all()  # the top pose's Vina score (kcal/mol), finite
    summary = pd.read_csv(out / "tiny_summary.csv")
    assert set(summary["method"]) == {"disco", "disco+vina"} and (summary["n"] == 2).all()

    result = cli(*args)  # resume: everything is done, nothing is appended
    assert result.code == 0 and "2 already in" in result.out
    assert len(pd.read_csv(out / "tiny.csv")) == 4
    # rows of one method are never mixed across settings: the run's settings are saved beside its rows
    result = cli(*args, "--seed", "1")
    assert result.code == 2 and "tiny_settings.json" in result.err and "seed 0 -> 1" in result.err
    assert len(pd.read_csv(out / "tiny.csv")) == 4

    # adding a ranking later appends only its rows: poses minimised by Vina, then ranked by Vina score
    assert cli(*common, "--vina-rank", "optimize").code == 0
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str})
    assert sorted(rows["method"]) == ["disco"] * 2 + ["disco+vina"] * 2 + ["disco+vina-opt"] * 2
    by_method = rows.set_index(["method", "id"])["confidence"]
    # the same seed samples the same poses; minimising each can only lower the best Vina score
    assert (by_method["disco+vina-opt"] <= by_method["disco+vina"] + 1e-3).all()
    assert set(pd.read_csv(out / "tiny_summary.csv")["method"]) == {"disco", "disco+vina", "disco+vina-opt"}

    # Monte-Carlo refinement from the minimised poses: chains only replace poses by lower-scoring ones
    assert cli(*common, "--vina-rank", "refine").code == 0
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str})
    by_method = rows.set_index(["method", "id"])["confidence"]
    assert (by_method["disco+vina-refine"] <= by_method["disco+vina-opt"] + 1e-3).all()
    rows = rows[rows["method"] != "disco+vina-refine"]
    rows.to_csv(out / "tiny.csv", index=False)  # as before, for the counts below

    # the pocket's box for Vina: rows of their own, beside the joint-extent ones
    assert cli(*common, "--vina-rank", "optimize", "--vina-box", "pocket").code == 0
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str})
    assert sorted(rows.loc[rows["method"].str.endswith("-pocket"), "method"]) == ["disco+vina-opt-pocket"] * 2
    assert rows.loc[rows["method"] == "disco+vina-opt-pocket", "top1_rmsd"].notna().all()
    assert b"\r" not in (out / "tiny.csv").read_bytes()  # one line end, as pandas writes the results it rewrites

    (out / "tiny_summary.csv").unlink()
    result = cli(*common, "--weights", tmp_path / "absent.pt", "--report-only")  # no model loaded, nothing docked
    assert result.code == 0 and (out / "tiny_summary.csv").is_file() and len(pd.read_csv(out / "tiny.csv")) == 8


@pytest.mark.slow
def test_zero_steps_control_with_every_vina_ranking(cli, tmp_path, tiny_set, bundles):
    """`--steps 0 --vina-rank all`: the diffusion prior's random poses, ranked four ways, one row each."""
    pytest.importorskip("vina")
    root, ids = tiny_set
    out = tmp_path / "results"
    result = cli("benchmark", "--data", root, "--ids", ids, "--set", "tiny", "--mode", "pocket", "--weights",
                 bundles.twin, "--method", "prior", "--out", out, "--vina-rank", "all", *FAST, "--steps", "0")
    assert result.code == 0, result.err
    assert "3 samples x 0 steps" in result.out
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str})
    assert sorted(rows["method"]) == sorted(["prior", "prior+vina", "prior+vina-opt", "prior+vina-refine"] * 2)
    assert (rows["status"] == "ok").all() and rows["top1_rmsd"].notna().all()
    score = rows.set_index(["method", "id"])["confidence"]
    assert (score["prior+vina-refine"] <= score["prior+vina-opt"] + 1e-3).all()
    assert (score["prior+vina-opt"] <= score["prior+vina"] + 1e-3).all()


def test_a_ranking_that_fails_keeps_the_sampled_row(cli, tmp_path, tiny_set, bundles, monkeypatch):
    """Vina refusing a complex fails its Vina row only; the confidence-ranked row of the same poses stays."""
    from discodock import pipeline
    from discodock.errors import InputError

    def refuse(*args, **kwargs):
        raise InputError("ligand", "too many torsions for Vina")

    monkeypatch.setattr(pipeline, "rank_by_vina", refuse)
    root, ids = tiny_set
    out = tmp_path / "results"
    args = ["benchmark", "--data", root, "--ids", ids, "--set", "tiny", "--mode", "pocket", "--weights",
            bundles.disco, "--method", "disco", "--out", out, "--limit", "1", "--vina-rank", *FAST]
    result = cli(*args)
    assert result.code == 0, result.err
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str}).set_index("method")
    assert rows.loc["disco", "status"] == "ok" and rows.loc["disco", "top1_rmsd"] >= 0
    assert rows.loc["disco+vina", "status"] == "failed: ligand: too many torsions for Vina"
    assert pd.isna(rows.loc["disco+vina", "top1_rmsd"])
    assert "1 already in" in cli(*args).out  # a failure is a result: a plain rerun leaves it
    assert "0 already in" in cli(*args, "--retry-failed").out  # tried again; only the failed row is rewritten
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str})
    assert rows["method"].tolist() == ["disco", "disco+vina", "disco+vina"]


def test_the_weights_must_fit_the_mode(cli, tmp_path, tiny_set, bundles):
    """A pocket model is refused in blind mode before anything is docked; a blind model docks the whole protein."""
    root, ids = tiny_set
    out = tmp_path / "results"
    common = ["benchmark", "--data", root, "--ids", ids, "--set", "tiny", "--out", out, *FAST]
    refused = cli(*common, "--mode", "blind", "--weights", bundles.disco)
    assert refused.code == 2 and "pocket-mode model" in refused.err and "--mode pocket" in refused.err
    assert not (out / "tiny.csv").exists()
    refused = cli(*common, "--mode", "pocket", "--weights", bundles.blind)
    assert refused.code == 2 and "is a blind model" in refused.err and "--mode blind" in refused.err
    assert cli(*common, "--mode", "blind", "--weights", bundles.blind).code == 0
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str})
    assert rows["mode"].tolist() == ["blind", "blind"] and rows["method"].tolist() == ["blind", "blind"]
    assert (rows["status"] == "ok").all() and rows["top1_rmsd"].notna().all()


def test_default_method_names_carry_the_temperature_preset():
    from discodock.evaluation.benchmark import default_method_name

    assert default_method_name("discodock/weights/disco_pocket.pt", None) == "disco"
    assert default_method_name("twin-pocket", "mild") == "twin@mild"  # the mode is a column of its own


def test_method_names_say_how_the_poses_were_ranked():
    from discodock.evaluation.benchmark import method_name

    assert method_name("disco", "confidence", "pocket") == "disco"
    assert method_name("disco", "vina-opt") == "disco+vina-opt"
    assert method_name("twin", "vina", "pocket") == "twin+vina-pocket"


def test_ids_without_data_select_a_shard_of_the_named_set(tmp_path, monkeypatch):
    import argparse

    from discodock.errors import InputError
    from discodock.evaluation import benchmark, datasets

    everything = [datasets.ComplexPaths(cid, tmp_path / cid / "protein.pdb", tmp_path / cid / "ligand.sdf")
                  for cid in ("a", "b", "c")]
    monkeypatch.setattr(datasets, "load_set", lambda name, root=None: everything)
    ids = tmp_path / "shard.txt"
    ids.write_text("c\na\n")
    args = argparse.Namespace(set="posebusters_v2", data=None, layout="shared", ids=ids)
    assert [c.id for c in benchmark.select_complexes(args)] == ["c", "a"]
    args.ids = None
    assert len(benchmark.select_complexes(args)) == 3
    ids.write_text("a\nzz\n")
    args.ids = ids
    with pytest.raises(InputError, match="zz"):
        benchmark.select_complexes(args)


@pytest.mark.slow
def test_benchmark_blind_through_found_pockets(cli, tmp_path, tiny_set, bundles):
    """--pockets K: no pocket given; the pocket model docks in each of the first K pockets found, one ranking."""
    pytest.importorskip("vina")
    root, ids = tiny_set
    out = tmp_path / "results"
    common = ["benchmark", "--data", root, "--ids", ids, "--set", "tiny", "--out", out, *FAST]
    assert cli(*common, "--mode", "blind", "--pockets", "2", "--weights", bundles.disco, "--vina-rank", "refine").code == 0
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str})
    assert sorted(set(rows["method"])) == ["disco-pockets2", "disco-pockets2+vina-refine"]
    assert (rows["mode"] == "blind").all() and (rows["status"] == "ok").all() and rows["top1_rmsd"].notna().all()
    # the top pose's Vina score (+inf when the untrained model left every pose outside the pockets' boxes)
    assert rows.loc[rows["method"] == "disco-pockets2+vina-refine", "confidence"].notna().all()

    result = cli(*common, "--mode", "pocket", "--pockets", "2", "--weights", bundles.disco)
    assert result.code == 2 and "--mode blind" in result.err
    result = cli(*common, "--mode", "blind", "--pockets", "2", "--weights", bundles.blind)
    assert result.code == 2 and "blind model" in result.err


def test_pb_valid_rows_and_a_report_with_vina_and_identity_bins(cli, tmp_path, tiny_set, bundles):
    """--pb-valid checks each top pose; --report-only adds the Vina baseline CSV and the identity bins found in
    --out beside the rows."""
    root, ids = tiny_set
    out = tmp_path / "results"
    common = ["benchmark", "--data", root, "--ids", ids, "--set", "tiny", "--mode", "pocket", "--weights",
              bundles.disco, "--method", "disco", "--out", out, *FAST]
    assert cli(*common, "--pb-valid").code == 0
    rows = pd.read_csv(out / "tiny.csv", dtype={"id": str, "pb_valid": str})
    assert set(rows["pb_valid"]) <= {"True", "False"} and len(rows) == 2
    pd.DataFrame({"id": ["1ia1", "1s3v"], "top1_rmsd": [1.0, 3.0], "best_rmsd": [0.5, 1.5], "seconds": [9.0, 11.0],
                  "status": ["ok", "ok"]}).to_csv(out / "vina_tiny.csv", index=False)
    pd.DataFrame({"id": ["1ia1", "1s3v"], "max_identity": [0.2, 0.95]}).to_csv(out / "tiny_identity.csv", index=False)
    assert cli(*common, "--report-only").code == 0
    summary = pd.read_csv(out / "tiny_summary.csv").set_index("method")
    assert summary.loc["vina", "top1_success"] == 0.5 and summary.loc["vina", "oracle_success"] == 1.0
    assert summary.loc["vina", "median_seconds"] == 10.0 and pd.isna(summary.loc["vina", "pb_valid_success"])
    assert 0.0 <= summary.loc["disco", "pb_valid_success"] <= summary.loc["disco", "top1_success"]
    bins = pd.read_csv(out / "tiny_by_identity.csv").set_index("bin")
    assert bins.loc["<30%", "n"] == 1 and bins.loc[">=90%", "n"] == 1 and bins.loc["30-90%", "n"] == 0
