"""`discodock predict`: what lands in the output folder, --overwrite, the twin, --example, and never a NaN."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from .conftest import FAST, OUTPUT_FILES

REPO = Path(__file__).resolve().parents[2]
EXPECTED = list(OUTPUT_FILES)


def read_sdf(path: Path) -> Chem.Mol:
    """The one molecule of an SDF, hydrogens and SD properties kept."""
    (mol,) = list(Chem.SDMolSupplier(str(path), removeHs=False))
    assert mol is not None
    return mol


@pytest.fixture(scope="module")
def docked(bundles, example, tmp_path_factory) -> Path:
    """1ia1's ligand docked back into 1ia1 (pocket from the crystal ligand) with the tiny pointer model."""
    from discodock.cli import main

    out = tmp_path_factory.mktemp("predict") / "1ia1"
    code = main(["predict", "--protein", str(example.protein), "--ligand", str(example.ligand),
                 "--pocket-ligand", str(example.ligand), "--weights", str(bundles.disco), "--out", str(out), *FAST])
    assert code == 0
    return out


def test_output_folder_holds_every_file(docked: Path) -> None:
    assert sorted(p.name for p in docked.iterdir()) == sorted(EXPECTED)  # no temporary leftovers either
    assert not [p for p in docked.parent.iterdir() if p.name.startswith(".")]


def test_ranked_sdfs_have_hydrogens_properties_and_finite_coordinates(docked: Path, example) -> None:
    crystal = Chem.MolFromMolFile(str(example.ligand))
    confidences = []
    for rank in (1, 2, 3):
        mol = read_sdf(docked / f"rank{rank}.sdf")
        heavy = Chem.RemoveHs(mol)
        assert heavy.GetNumAtoms() == crystal.GetNumAtoms()
        assert mol.GetNumAtoms() > heavy.GetNumAtoms()  # hydrogens written, with coordinates
        xyz = mol.GetConformer().GetPositions()
        assert np.isfinite(xyz).all()
        assert mol.GetConformer().Is3D()
        assert int(mol.GetProp("rank")) == rank
        assert mol.GetProp("latent").count("|") == 1  # two pointer latents: 'lig:i|rec:j'
        confidences.append(float(mol.GetProp("confidence")))
        # hydrogens sit next to their heavy atom
        for atom in mol.GetAtoms():
            if atom.GetAtomicNum() == 1:
                heavy_idx = atom.GetNeighbors()[0].GetIdx()
                assert 0.9 < np.linalg.norm(xyz[atom.GetIdx()] - xyz[heavy_idx]) < 1.2
    assert confidences == sorted(confidences, reverse=True)


def test_poses_csv_matches_the_sdfs(docked: Path) -> None:
    table = pd.read_csv(docked / "poses.csv", keep_default_na=False)
    assert list(table.columns[:4]) == ["rank", "confidence", "latent", "file"]
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["file"].tolist() == ["rank1.sdf", "rank2.sdf", "rank3.sdf"]
    assert np.isfinite(table["confidence"]).all()
    assert table["confidence"].is_monotonic_decreasing
    for row in table.itertuples():
        mol = read_sdf(docked / row.file)
        assert float(mol.GetProp("confidence")) == pytest.approx(row.confidence, abs=1e-4)
        assert mol.GetProp("latent") == row.latent


def test_complex_pdb_has_protein_and_pose(docked: Path, example) -> None:
    text = (docked / "complex_rank1.pdb").read_text()
    protein_atoms = [line for line in example.protein.read_text().splitlines() if line.startswith("ATOM")]
    lines = text.splitlines()
    assert sum(line.startswith("ATOM") for line in lines) == len(protein_atoms)
    ligand = [line for line in lines if line.startswith("HETATM") and line[17:20] == "LIG"]
    pose = Chem.MolFromMolFile(str(docked / "rank1.sdf"), removeHs=False)
    assert len(ligand) == pose.GetNumAtoms()  # hydrogens included
    xyz = np.array([[float(line[30:38]), float(line[38:46]), float(line[46:54])] for line in ligand])
    np.testing.assert_allclose(xyz, pose.GetConformer().GetPositions(), atol=1e-3)
    assert Chem.MolFromPDBBlock(text, sanitize=False) is not None  # PyMOL-style readers accept it


def test_picture_is_a_png(docked: Path) -> None:
    data = (docked / "rank1.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_files_follow_the_umask(docked: Path) -> None:
    """Temporary-then-rename must not leave mkstemp's private 0600 mode on the results."""
    umask = os.umask(0)
    os.umask(umask)
    assert docked.stat().st_mode & 0o777 == 0o777 & ~umask
    for path in docked.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_overwrite_replaces_the_folder(cli, tmp_path: Path, example, bundles) -> None:
    out = tmp_path / "run"
    base = ["predict", "--protein", example.protein, "--ligand", "c1ccccc1O", "--pocket-center", example.center,
            "--weights", bundles.disco, "--out", out, "--threads", "1", "--steps", "4"]
    assert cli(*base, "--samples", "3").code == 0
    assert (out / "rank3.sdf").is_file()
    again = cli(*base, "--samples", "2")
    assert again.code == 2 and "--overwrite" in again.err  # refused without it, old results intact
    assert (out / "rank3.sdf").is_file()
    assert cli(*base, "--samples", "2", "--overwrite").code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(set(OUTPUT_FILES) - {"rank3.sdf"})
    assert len(pd.read_csv(out / "poses.csv")) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the old folder is gone too


def test_same_seed_same_poses(cli, tmp_path: Path, example, bundles) -> None:
    poses = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert cli("predict", "--protein", example.protein, "--ligand", "CCOc1ccccc1", "--pocket-center",
                   example.center, "--weights", bundles.disco, "--out", out, "--seed", "7", *FAST).code == 0
        poses.append(Chem.MolFromMolFile(str(out / "rank1.sdf")).GetConformer().GetPositions())
    np.testing.assert_allclose(poses[0], poses[1], atol=1e-4)


def test_poses_keep_the_double_bond_geometry_of_the_input(cli, tmp_path: Path, example, bundles) -> None:
    """Ethyl fumarate (E) must not come back as maleate (Z): torsions turn single bonds only."""
    fumarate = "OC(=O)/C=C/C(=O)OCC"
    out = tmp_path / "out"
    assert cli("predict", "--protein", example.protein, "--ligand", fumarate, "--pocket-center", example.center,
               "--weights", bundles.disco, "--out", out, "--samples", "8", "--steps", "4", "--threads", "1").code == 0
    expected = Chem.MolToSmiles(Chem.MolFromSmiles(fumarate))
    for rank in range(1, 9):
        pose = Chem.MolFromMolFile(str(out / f"rank{rank}.sdf"))  # stereo read from the 3-D coordinates
        assert Chem.MolToSmiles(pose) == expected, rank


def test_temperature_preset_changes_the_sampling(cli, tmp_path: Path, example, bundles) -> None:
    poses = {}
    for preset in ("plain", "diffdock-v1.1"):
        out = tmp_path / preset
        assert cli("predict", "--protein", example.protein, "--ligand", "CCOc1ccccc1", "--pocket-center",
                   example.center, "--weights", bundles.disco, "--out", out, "--temperature", preset, *FAST).code == 0
        poses[preset] = Chem.MolFromMolFile(str(out / "rank1.sdf")).GetConformer().GetPositions()
    assert not np.allclose(poses["plain"], poses["diffdock-v1.1"], atol=1e-3)  # same seed, other sampler


def test_cli_temperature_choices_are_the_presets() -> None:
    from discodock.cli import parse_args
    from discodock.sampling import TEMPERATURE_PRESETS

    for command in ("predict", "screen", "benchmark"):
        for preset in TEMPERATURE_PRESETS:
            assert parse_args([command, "--temperature", preset]).temperature == preset
        with pytest.raises(SystemExit) as stop:  # argparse's usage error
            parse_args([command, "--temperature", "hot"])
        assert stop.value.code == 2


def test_twin_bundle_has_no_latents(cli, tmp_path: Path, example, bundles) -> None:
    out = tmp_path / "twin"
    result = cli("predict", "--protein", example.protein, "--ligand", example.ligand, "--pocket-ligand",
                 example.ligand, "--weights", bundles.twin, "--out", out, *FAST)
    assert result.code == 0, result.err
    table = pd.read_csv(out / "poses.csv", keep_default_na=False)
    assert table["latent"].tolist() == ["", "", ""]


def test_codebook_bundle_labels_poses_with_codes(cli, tmp_path: Path, bundles) -> None:
    out = tmp_path / "codebook"
    result = cli("predict", "--example", "--weights", bundles.codebook, "--out", out, *FAST)
    assert result.code == 0, result.err
    table = pd.read_csv(out / "poses.csv", keep_default_na=False)
    for latent in table["latent"]:
        codes = latent.split("|")  # two codebook latents: 'code:i|code:j', i, j in 0..7
        assert len(codes) == 2 and all(c.startswith("code:") and 0 <= int(c[5:]) < 8 for c in codes), latent
    assert read_sdf(out / "rank1.sdf").GetProp("latent") == table["latent"][0]


def test_example_uses_its_crystal_ligand_as_pocket(cli, tmp_path: Path, bundles) -> None:
    out = tmp_path / "example"
    result = cli("predict", "--example", "--weights", bundles.disco, "--out", out, *FAST)
    assert result.code == 0, result.err
    assert "1ia1" in result.out
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPECTED)


def test_auto_weights_dock_through_found_pockets_without_a_pocket_and_in_the_pocket_with_one(
        cli, tmp_path: Path, example, tiny_shipped) -> None:
    found = cli("predict", "--protein", example.protein, "--ligand", "c1ccccc1O", "--out", tmp_path / "f", *FAST)
    assert found.code == 0, found.err
    assert "from disco-pocket (pocket)" in found.out and "first 3 pockets" in found.err and "--pockets 0" in found.err
    blind = cli("predict", "--protein", example.protein, "--ligand", "c1ccccc1O", "--pockets", "0",
                "--out", tmp_path / "b", *FAST)
    assert blind.code == 0, blind.err
    assert "from disco (blind)" in blind.out
    assert "first 3 pockets" in blind.err  # the hint for a user without a pocket
    pocket = cli("predict", "--protein", example.protein, "--ligand", "c1ccccc1O", "--pocket-center", example.center,
                 "--out", tmp_path / "p", *FAST)
    assert pocket.code == 0, pocket.err
    assert "from disco-pocket (pocket)" in pocket.out and "first 3 pockets" not in pocket.err
    runs = {name: json.loads((tmp_path / name / "run.json").read_text()) for name in ("f", "b", "p")}
    assert (runs["f"]["weights"], runs["f"]["mode"], len(runs["f"]["pocket_centers"])) == ("disco-pocket", "pocket", 3)
    assert (runs["b"]["weights"], runs["b"]["mode"], runs["b"]["pocket_center"]) == ("disco", "blind", None)
    assert (runs["p"]["weights"], runs["p"]["mode"]) == ("disco-pocket", "pocket")
    assert np.allclose(runs["p"]["pocket_center"], [float(v) for v in example.center.split(",")], atol=1e-3)
    assert runs["p"]["samples"] == 3 and runs["p"]["steps"] == 4 and runs["p"]["seed"] == 0
    assert runs["p"]["docking_seconds"] > 0 and set(runs["p"]["docking_timings"]) >= {"sampling", "ranking"}
    assert runs["p"]["weights_sha256"] == hashlib.sha256((tiny_shipped / "disco_pocket.pt").read_bytes()).hexdigest()
    assert runs["p"]["temperature_preset"] is None and runs["p"]["low_temperature"]["temperature"] == [1.0, 1.0, 1.0]
    example_run = cli("predict", "--example", "--out", tmp_path / "e", *FAST)  # the demo: its crystal ligand's pocket
    assert example_run.code == 0 and "from disco-pocket (pocket)" in example_run.out


def test_posebusters_checks_of_every_pose(cli, tmp_path: Path, example, bundles) -> None:
    """--pb-checks: one boolean column per PoseBusters 'dock' check and pb_valid, for every pose, in rank order."""
    out = tmp_path / "checked"
    result = cli("predict", "--protein", example.protein, "--ligand", example.ligand, "--pocket-center",
                 example.center, "--weights", bundles.disco, "--pb-checks", "--out", out, *FAST)
    assert result.code == 0, result.err
    poses = pd.read_csv(out / "poses.csv")
    checks = [c for c in poses.columns if c.startswith("pb_") and c != "pb_valid"]
    assert len(poses) == 3 and "pb_valid" in poses and len(checks) >= 5
    assert poses[checks + ["pb_valid"]].isin([True, False]).all().all()
    assert (poses["pb_valid"] == poses[checks].all(axis=1)).all()  # valid: every check passed
    assert json.loads((out / "run.json").read_text())["posebusters_seconds"] > 0


def test_a_bundle_caveat_is_printed_as_a_note(cli, tmp_path: Path, example, bundles) -> None:
    import shutil

    from discodock.weights import update_metadata

    weights = tmp_path / "noted.pt"
    shutil.copy(bundles.disco, weights)
    update_metadata(weights, caveat="trained for minutes; see its model card")
    result = cli("predict", "--protein", example.protein, "--ligand", "c1ccccc1O", "--pocket-center", example.center,
                 "--weights", weights, "--out", tmp_path / "out", *FAST)
    assert result.code == 0, result.err
    assert f"discodock: note: {weights}: trained for minutes; see its model card" in result.err_lines


def test_non_finite_pose_is_never_written(tmp_path: Path, example, bundles) -> None:
    """write_outputs refuses a NaN pose and leaves neither the folder nor a temporary one."""
    from discodock.chem.protein import read_protein
    from discodock.pipeline import dock, pocket_center_from, prepare, write_outputs
    from discodock.weights import load_models

    center = pocket_center_from(example.center, None)
    prepared = prepare("1ia1", read_protein(example.protein), "c1ccccc1O", pocket_center=center, pocket_radius=15.0)
    result = dock(load_models(bundles.disco), prepared, samples=2, steps=3)
    result.poses[1, 0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        write_outputs(result, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_dock_times_its_stages(example, bundles) -> None:
    """The prior's seconds are counted inside sampling; the twin spends none."""
    from discodock.chem.protein import read_protein
    from discodock.pipeline import dock, pocket_center_from, prepare
    from discodock.weights import load_models

    center = pocket_center_from(example.center, None)
    prepared = prepare("1ia1", read_protein(example.protein), "c1ccccc1O", pocket_center=center, pocket_radius=15.0)
    disco = dock(load_models(bundles.disco), prepared, samples=2, steps=3).timings
    assert set(disco) == {"prior", "sampling", "ranking"}
    assert 0 < disco["prior"] < disco["sampling"] and disco["ranking"] > 0
    assert dock(load_models(bundles.twin), prepared, samples=2, steps=3).timings["prior"] == 0


def test_zero_steps_gives_the_diffusion_priors_poses(example, bundles) -> None:
    """steps 0 (the control for what the score model adds): the poses are the draws that sampling starts
    from, in the input frame, the model never called; the same seed gives the same draws."""
    import torch

    from discodock.chem.protein import read_protein
    from discodock.pipeline import dock, pocket_center_from, prepare
    from discodock.sampling import random_initial_poses
    from discodock.weights import load_models

    center = pocket_center_from(example.center, None)
    prepared = prepare("1ia1", read_protein(example.protein), "c1ccccc1O", pocket_center=center, pocket_radius=15.0)
    models = load_models(bundles.disco)
    result = dock(models, prepared, samples=5, steps=0, seed=3)
    assert result.latents == [""] * 5 and result.timings["prior"] == 0
    expected = random_initial_poses(prepared.graph, 5, models.config.tr_sigma_max,
                                    torch.Generator().manual_seed(3)) + prepared.graph.center
    # ranked by confidence, so compare as sets of poses
    matched = [min(np.abs(pose - e.numpy()).max() for e in expected) for pose in result.poses]
    assert max(matched) < 1e-4
    # rigid-body and torsion moves only: every pose is the ligand itself (internal geometry kept)
    bond = prepared.ligand.GetBondWithIdx(0)
    lengths = np.linalg.norm(result.poses[:, bond.GetBeginAtomIdx()] - result.poses[:, bond.GetEndAtomIdx()], axis=-1)
    assert np.ptp(lengths) < 1e-4
    again = dock(models, prepared, samples=5, steps=0, seed=3)
    np.testing.assert_allclose(again.poses, result.poses)
    with pytest.raises(ValueError, match="steps"):
        dock(models, prepared, samples=5, steps=-1)


def test_vina_pocket_box_keeps_the_pocket_and_needs_one(example, bundles) -> None:
    pytest.importorskip("vina")
    from dataclasses import replace

    from discodock.chem.protein import read_protein
    from discodock.errors import InputError
    from discodock.pipeline import dock, pocket_center_from, prepare, rank_by_vina
    from discodock.weights import load_models

    center = pocket_center_from(example.center, None)
    protein = read_protein(example.protein)
    prepared = prepare("1ia1", protein, "c1ccccc1O", pocket_center=center, pocket_radius=15.0)
    np.testing.assert_allclose(prepared.pocket_center, center.numpy(), atol=1e-5)
    result = dock(load_models(bundles.twin), prepared, samples=3, steps=3)
    far = result.poses.copy()
    far[2] += 25.0  # one pose far outside the pocket
    ranked = rank_by_vina(replace(result, poses=far), example.protein, box="pocket")["vina"]
    assert ranked.scores[-1] == np.inf and np.allclose(ranked.result.poses[-1], far[2])  # it ranks last
    with pytest.raises(ValueError, match="box"):
        rank_by_vina(result, example.protein, box="site")
    with pytest.raises(ValueError, match="Vina rankings"):
        rank_by_vina(result, example.protein, ["vina-minimised"])
    blind = prepare("1ia1", protein, "c1ccccc1O")
    assert blind.pocket_center is None
    with pytest.raises(InputError, match="pocket centre"):
        rank_by_vina(replace(result, complex=blind), example.protein, box="pocket")


def test_vina_rankings_share_their_work_and_match_separate_runs(example, bundles) -> None:
    """One call for all rankings (one set of grid maps, one minimisation) ranks as one call each."""
    pytest.importorskip("vina")
    from discodock.chem.protein import read_protein
    from discodock.pipeline import VINA_RANKINGS, dock, pocket_center_from, prepare, rank_by_vina
    from discodock.refine import RefineSettings
    from discodock.weights import load_models

    prepared = prepare("1ia1", read_protein(example.protein), "c1ccccc1O",
                       pocket_center=pocket_center_from(example.center, None), pocket_radius=15.0)
    result = dock(load_models(bundles.twin), prepared, samples=3, steps=3)
    settings = RefineSettings(chains=2, steps=3, seed=1)
    together = rank_by_vina(result, example.protein, VINA_RANKINGS, refine=settings)
    assert list(together) == list(VINA_RANKINGS)
    for name in VINA_RANKINGS:
        alone = rank_by_vina(result, example.protein, [name], refine=settings)[name]
        np.testing.assert_allclose(together[name].scores, alone.scores, atol=1e-3)
        np.testing.assert_allclose(together[name].result.poses, alone.result.poses, atol=1e-3)
    assert together["vina-opt"].scores[0] <= together["vina"].scores[0]  # minimising never raises the best
    assert together["vina-refine"].scores[0] <= together["vina-opt"].scores[0]
    assert together["vina-refine"].seconds > together["vina-opt"].seconds  # refinement's seconds include minimising


def test_vina_pocket_box_needs_a_pocket_before_docking(cli, tmp_path: Path, example) -> None:
    from discodock.chem.featurize import LIGAND_FEATURE_DIMS
    from discodock.model import ModelConfig, ScoreModel
    from discodock.weights import save_bundle

    cfg = ModelConfig(ns=8, nv=2, num_layers=1, ligand_feature_dims=LIGAND_FEATURE_DIMS, latent_mode="none")
    save_bundle(tmp_path / "blind.pt", cfg, ScoreModel(cfg), None, None, mode="blind", pocket_radius=None)
    result = cli("predict", "--protein", example.protein, "--ligand", "c1ccccc1O", "--weights", tmp_path / "blind.pt",
                 "--out", tmp_path / "out", "--vina-rank", "optimize", "--vina-box", "pocket", *FAST)
    assert result.code == 2 and "--vina-box pocket" in result.err and "--pocket-center" in result.err
    assert not (tmp_path / "out").exists()


def test_sampler_nan_fails_clearly(cli, tmp_path: Path, example, bundles, monkeypatch) -> None:
    """A model that only ever produces NaN: predict stops with one line, exit 1, and writes nothing."""
    import torch

    from discodock.model.score_model import ScoreModel

    forward = ScoreModel.forward

    def nan_scores(self, *args, **kwargs):
        return {k: torch.full_like(v, float("nan")) for k, v in forward(self, *args, **kwargs).items()}

    monkeypatch.setattr(ScoreModel, "forward", nan_scores)
    out = tmp_path / "out"
    result = cli("predict", "--protein", example.protein, "--ligand", "c1ccccc1O", "--pocket-center", example.center,
                 "--weights", bundles.disco, "--out", out, *FAST)
    assert result.code == 1
    assert len(result.err_lines) == 1 and "non-finite" in result.err
    assert not out.exists()


def test_real_process_prints_one_line(tmp_path: Path, example, bundles) -> None:
    """The installed entry point as a user runs it: exit status 2, one stderr line, no traceback, no warnings."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "discodock.cli", "predict", "--protein", str(example.protein), "--ligand", "C1CC(",
         "--pocket-center", example.center, "--weights", str(bundles.disco), "--out", str(tmp_path / "out"), *FAST],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("discodock: error: C1CC(: ") and "SMILES" in line
    assert not (tmp_path / "out").exists()


def test_vina_ranking_and_posebusters_columns(tmp_path: Path, example, bundles) -> None:
    # A separate process, as users run it: PoseBusters' 'dock' run here left the in-process
    # 'redock' checks of tests/evaluation/test_validity.py failing to load molecules (not yet understood).
    out = tmp_path / "ranked"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "discodock.cli", "predict", "--protein", str(example.protein), "--ligand",
         str(example.ligand), "--pocket-ligand", str(example.ligand), "--weights", str(bundles.disco), "--out",
         str(out), "--vina-rank", "refine", "--pb-checks", *FAST],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out / "poses.csv")
    assert table["vina_score"].is_monotonic_increasing  # minimised and refined by Vina, ranked by its score
    assert json.loads((out / "run.json").read_text())["vina_rank"] == "refine"
    assert np.isfinite(table["vina_score"].iloc[0])  # only poses far outside the shared box score inf
    assert {"pb_valid", "pb_mol_pred_loaded"} <= set(table.columns)
    assert table["pb_mol_pred_loaded"].all()
