"""The bad-input corpus: every unusable input ends in one line on stderr that names the input and the reason,
exit status 2, no traceback, and no output folder (or half-written file) left behind.

Inputs that look odd but are usable (2-D SDF, metal complex, peptide, rigid ligand, 5,000 residues,
non-ASCII paths, SMILES, mmCIF) must dock. Files live in `bad_inputs/`; a few are made at test time
(binary garbage, folders, read-only paths, mismatched weights).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
from rdkit import Chem

from .conftest import BAD_INPUTS, FAST, OUTPUT_FILES, write_synthetic_pdb

PHENOL = "c1ccccc1O"


@dataclass
class Ctx:
    """What a case needs to build its command line."""

    tmp: Path
    example: object
    bundles: object
    out: Path = field(init=False)

    def __post_init__(self) -> None:
        self.out = self.tmp / "out"

    def predict(self, protein=None, ligand=PHENOL, center="example", *extra) -> list:
        args = ["predict", "--protein", protein or self.example.protein, "--ligand", ligand]
        if center is not None:
            args += ["--pocket-center", self.example.center if center == "example" else center]
        return args + ["--weights", self.bundles.disco, "--out", self.out, *FAST, *extra]

    def screen(self, csv, *extra) -> list:
        return ["screen", "--csv", csv, "--out", self.out, "--pocket-center", self.example.center,
                "--weights", self.bundles.disco, *FAST, *extra]


def _blind_model_screen_with_pocket(ctx: Ctx) -> list:
    """A blind model and --pocket-center: refused before any row is docked."""
    csv = ctx.tmp / "pairs.csv"
    csv.write_text(f"complex_name,protein_path,ligand_description\na,{ctx.example.protein},{PHENOL}\n")
    return ctx.screen(csv, "--weights", ctx.bundles.blind)


def _garbage_pdb(ctx: Ctx) -> list:
    path = ctx.tmp / "garbage.pdb"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    return ctx.predict(protein=path)


def _folder_as_protein(ctx: Ctx) -> list:
    (ctx.tmp / "receptor.pdb").mkdir()
    return ctx.predict(protein=ctx.tmp / "receptor.pdb")


def _non_empty_out(ctx: Ctx) -> list:
    ctx.out.mkdir()
    (ctx.out / "notes.txt").write_text("keep me")
    return ctx.predict()


def _overwrite_foreign_folder(ctx: Ctx) -> list:
    ctx.out.mkdir()
    (ctx.out / "notes.txt").write_text("keep me")
    return ctx.predict(None, PHENOL, "example", "--overwrite")


def _out_under_a_file(ctx: Ctx) -> list:
    (ctx.tmp / "results").write_text("a file, not a folder")
    ctx.out = ctx.tmp / "results" / "run1"
    return ctx.predict()


def _out_is_a_file(ctx: Ctx) -> list:
    ctx.out.write_text("a file")
    return ctx.predict()


def _mismatched_weights(ctx: Ctx) -> list:
    """A real bundle whose score weights belong to a bigger network than its config says."""
    from discodock.chem.featurize import LIGAND_FEATURE_DIMS
    from discodock.model import ModelConfig, ScoreModel

    bundle = torch.load(ctx.bundles.disco, weights_only=True)
    bigger = ModelConfig(ns=16, nv=2, num_layers=1, ligand_feature_dims=LIGAND_FEATURE_DIMS)
    bundle["score"] = ScoreModel(bigger).state_dict()
    torch.save(bundle, ctx.tmp / "mismatched.pt")
    return ctx.predict(None, PHENOL, "example", "--weights", ctx.tmp / "mismatched.pt")


def _dict_not_bundle(ctx: Ctx) -> list:
    torch.save({"state_dict": {"w": torch.zeros(2)}}, ctx.tmp / "checkpoint.pt")
    return ctx.predict(None, PHENOL, "example", "--weights", ctx.tmp / "checkpoint.pt")


def _screen_out_is_a_file(ctx: Ctx) -> list:
    csv = ctx.tmp / "pairs.csv"
    csv.write_text(f"complex_name,protein_path,ligand_description\na,{ctx.example.protein},CCO\n")
    ctx.out.write_text("a file")
    return ctx.screen(csv)


B = BAD_INPUTS
# id: (argv builder, text the error must name, reason regex)
CASES: dict[str, tuple[Callable[[Ctx], list], str, str]] = {
    # proteins
    "pdb_truncated_mid_line": (lambda c: c.predict(B / "truncated.pdb"), "truncated.pdb",
                               "cannot read protein structure"),
    "pdb_binary_garbage": (_garbage_pdb, "garbage.pdb", "no protein residues|cannot read"),
    "pdb_only_waters_and_hetero": (lambda c: c.predict(B / "hetero_only.pdb"), "hetero_only.pdb",
                                   "no protein residues"),
    "pdb_empty_file": (lambda c: c.predict(B / "empty.pdb"), "empty.pdb", "no protein residues|empty"),
    "pdb_missing": (lambda c: c.predict(c.tmp / "nowhere.pdb"), "nowhere.pdb", "not found"),
    "pdb_is_a_folder": (_folder_as_protein, "receptor.pdb", "not found"),
    "cif_broken": (lambda c: c.predict(B / "broken.cif"), "broken.cif", "cannot read protein structure"),
    "protein_text_file": (lambda c: c.predict(B / "notes.txt"), "notes.txt", "cannot read|no protein residues"),
    # ligands
    "sdf_two_molecules": (lambda c: c.predict(None, B / "two_molecules.sdf"), "two_molecules.sdf", "2 molecules"),
    "sdf_empty": (lambda c: c.predict(None, B / "empty.sdf"), "empty.sdf", "empty"),
    "sdf_not_a_molfile": (lambda c: c.predict(None, B / "garbage.sdf"), "garbage.sdf", "unreadable|no molecule"),
    "sdf_pentavalent_carbon": (lambda c: c.predict(None, B / "pentavalent.sdf"), "pentavalent.sdf",
                               "sanitise.*valence"),
    "sdf_salt_two_fragments": (lambda c: c.predict(None, B / "salt.sdf"), "salt.sdf", "2 disconnected fragments"),
    "mol2_garbage": (lambda c: c.predict(None, B / "garbage.mol2"), "garbage.mol2", "unreadable MOL2"),
    "ligand_unknown_extension": (lambda c: c.predict(None, B / "ligand.xyz"), "ligand.xyz", "unknown ligand format"),
    "ligand_file_missing": (lambda c: c.predict(None, c.tmp / "lost.sdf"), "lost.sdf", "not found"),
    "smiles_unparseable": (lambda c: c.predict(None, "C1CC(=O"), "C1CC(=O", "unreadable SMILES"),
    "smiles_pentavalent_carbon": (lambda c: c.predict(None, "C(C)(C)(C)(C)C"), "C(C)(C)(C)(C)C", "sanitise.*valence"),
    "smiles_empty": (lambda c: c.predict(None, ""), "--ligand", "empty"),
    "smiles_salt": (lambda c: c.predict(None, "CC(=O)[O-].[Na+]"), "CC(=O)[O-].[Na+]", "2 disconnected fragments"),
    "smiles_ionic_ferrocene": (lambda c: c.predict(None, "[CH-]1C=CC=C1.[Fe+2].[CH-]1C=CC=C1"), "[Fe+2]",
                               "3 disconnected fragments"),
    # pocket options
    "pocket_center_two_numbers": (lambda c: c.predict(None, PHENOL, "1,2"), "1,2", "three numbers"),
    "pocket_center_letters": (lambda c: c.predict(None, PHENOL, "a,b,c"), "a,b,c", "three numbers"),
    "pocket_center_nan": (lambda c: c.predict(None, PHENOL, "nan,0,0"), "nan,0,0", "three numbers"),
    "pocket_center_far_away": (lambda c: c.predict(None, PHENOL, "900,900,900"), "1ia1", "no residue .* within 15"),
    "pocket_ligand_missing": (lambda c: c.predict(None, PHENOL, None, "--pocket-ligand", c.tmp / "ref.sdf"), "ref.sdf",
                              "not found"),
    "pocket_ligand_2d": (lambda c: c.predict(None, PHENOL, None, "--pocket-ligand", B / "flat_2d.sdf"), "flat_2d.sdf",
                         "no 3-D coordinates"),
    "pocket_center_and_ligand": (lambda c: c.predict(None, PHENOL, "example", "--pocket-ligand", c.example.ligand),
                                 "--pocket-center/--pocket-ligand", "not both"),
    "pocket_model_without_pocket": (lambda c: c.predict(None, PHENOL, None, "--pockets", "0"), "disco.pt",
                                    "pocket-mode model"),
    "blind_model_with_pocket": (lambda c: c.predict(None, PHENOL, "example", "--weights", c.bundles.blind), "blind.pt",
                                "is a blind model .*drop the pocket"),
    "blind_model_screen_with_pocket": (_blind_model_screen_with_pocket, "blind.pt", "is a blind model"),
    # output folder
    "out_not_empty": (_non_empty_out, "out", "not empty.*--overwrite"),
    "out_overwrite_foreign_folder": (_overwrite_foreign_folder, "out", "only replaces a previous discodock output"),
    "out_parent_is_a_file": (_out_under_a_file, "run1", "is a file"),
    "out_is_a_file": (_out_is_a_file, "out", "not a folder"),
    # numbers, device, weights
    "samples_zero": (lambda c: c.predict(None, PHENOL, "example", "--samples", "0"), "--samples 0", "positive"),
    "steps_negative": (lambda c: c.predict(None, PHENOL, "example", "--steps", "-1"), "--steps -1", "positive"),
    "threads_zero": (lambda c: c.predict(None, PHENOL, "example", "--threads", "0"), "--threads 0", "positive"),
    "device_cuda_absent": (lambda c: c.predict(None, PHENOL, "example", "--device", "cuda"), "--device cuda",
                           "CUDA is not available"),
    "device_unknown": (lambda c: c.predict(None, PHENOL, "example", "--device", "gpu7"), "--device gpu7",
                       "not a torch device"),
    "weights_unknown_name": (lambda c: c.predict(None, PHENOL, "example", "--weights", "disco-xl"), "disco-xl",
                             "no such weights file"),
    "weights_text_file": (lambda c: c.predict(None, PHENOL, "example", "--weights", B / "not_a_bundle.pt"),
                          "not_a_bundle.pt", "not a discodock model bundle"),
    "weights_plain_checkpoint": (_dict_not_bundle, "checkpoint.pt", "not a discodock model bundle"),
    "weights_mismatched_shapes": (_mismatched_weights, "mismatched.pt", "do not fit"),
    # YAML configs
    "config_unknown_key": (lambda c: c.predict(None, PHENOL, "example", "--config", B / "config_unknown_key.yaml"),
                           "config_unknown_key.yaml", "unknown options: num_poses"),
    "config_not_a_mapping": (lambda c: c.predict(None, PHENOL, "example", "--config", B / "config_list.yaml"),
                             "config_list.yaml", "mapping"),
    "config_yaml_syntax": (lambda c: c.predict(None, PHENOL, "example", "--config", B / "config_syntax.yaml"),
                           "config_syntax.yaml", "not a readable YAML"),
    "config_missing": (lambda c: c.predict(None, PHENOL, "example", "--config", c.tmp / "run.yaml"), "run.yaml",
                       "not found"),
    "vina_pocket_box_blind_benchmark": (lambda c: ["benchmark", "--mode", "blind", "--vina-rank", "optimize",
                                                   "--vina-box", "pocket", "--weights", c.bundles.twin, "--out", c.out],
                                        "--vina-box pocket", "needs --mode pocket"),
    "predict_without_inputs": (lambda c: ["predict", "--out", c.out, *FAST], "discodock predict", "give --protein"),
    "predict_example_and_protein": (lambda c: ["predict", "--example", "--protein", c.example.protein, "--out", c.out,
                                               *FAST], "--example", "drop --protein/--ligand"),
    # screen CSVs
    "screen_csv_missing": (lambda c: c.screen(c.tmp / "pairs.csv"), "pairs.csv", "not found"),
    "screen_csv_wrong_columns": (lambda c: c.screen(B / "screen_wrong_columns.csv"), "screen_wrong_columns.csv",
                                 "missing columns"),
    "screen_csv_empty_file": (lambda c: c.screen(B / "screen_empty.csv"), "screen_empty.csv", "not a readable CSV"),
    "screen_csv_header_only": (lambda c: c.screen(B / "screen_header_only.csv"), "screen_header_only.csv", "no rows"),
    "screen_out_is_a_file": (_screen_out_is_a_file, "out", "not a folder"),
}


def assert_bad_input(result, name: str, reason: str) -> None:
    """One line on stderr naming `name` and matching `reason`; exit status 2; no traceback."""
    assert result.code == 2, result.err
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, result.err
    line = result.err_lines[0]
    assert line.startswith("discodock: error: ")
    assert name in line, line
    assert re.search(reason, line, flags=re.IGNORECASE), line


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")} if folder.is_dir() else {}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_fails_in_one_line(case: str, cli, tmp_path: Path, example, bundles) -> None:
    ctx = Ctx(tmp_path, example, bundles)
    build, name, reason = CASES[case]
    argv = build(ctx)
    before = _snapshot(tmp_path)
    result = cli(*argv)
    assert_bad_input(result, name, reason)
    # nothing written: no output folder, no temporary leftovers, pre-existing files untouched
    assert _snapshot(tmp_path) == before


def test_corpus_has_at_least_30_bad_inputs() -> None:
    committed = [p for p in BAD_INPUTS.iterdir() if p.is_file()]
    assert len(CASES) >= 30
    assert len(committed) >= 15


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_output_folder(cli, tmp_path: Path, example, bundles) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert not os.access(locked, os.W_OK)
        ctx = Ctx(tmp_path, example, bundles)
        ctx.out = locked / "run"
        assert_bad_input(cli(*ctx.predict()), "run", "read-only")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


@pytest.mark.parametrize("out", [".", ".."])
def test_the_current_folder_is_no_output_folder(out: str, cli, tmp_path: Path, example, bundles, monkeypatch) -> None:
    """The folder is built beside --out and renamed onto it: refused before docking, not after."""
    here = tmp_path / "parent" / "empty"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    ctx = Ctx(tmp_path, example, bundles)
    ctx.out = Path(out)
    assert_bad_input(cli(*ctx.predict()), out, "current folder")
    assert list(here.iterdir()) == [] and sorted(p.name for p in here.parent.iterdir()) == ["empty"]


def test_debug_shows_the_traceback(cli, tmp_path: Path, example, bundles) -> None:
    from discodock.errors import InputError

    ctx = Ctx(tmp_path, example, bundles)
    with pytest.raises(InputError, match="three numbers"):
        cli(*ctx.predict(None, PHENOL, "1,2", "--debug"))


# --- unusual inputs that must work ---------------------------------------------------------------


def _docked_pose(out: Path) -> Chem.Mol:
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    mol = Chem.MolFromMolFile(str(out / "rank1.sdf"), removeHs=False)
    assert mol is not None and np.isfinite(mol.GetConformer().GetPositions()).all()
    return mol


PEPTIDE = Chem.MolToSmiles(Chem.MolFromSequence("GAGSGAGSGA"))  # 10 residues, 33 heavy atoms
WORKS = {
    "sdf_2d_gets_a_conformer": (B / "flat_2d.sdf", 11),
    "benzene_no_rotatable_bond": ("c1ccccc1", 6),
    "peptide_10_residues": (PEPTIDE, Chem.MolFromSmiles(PEPTIDE).GetNumAtoms()),
    # A connected metal complex docks: Pt takes the 'other' element bucket and dative bonds count as
    # single bonds (the model never saw metals, so do not trust its confidence here). Metal
    # complexes written as ionic fragments fail instead (see smiles_ionic_ferrocene).
    "metal_complex_cisplatin": ("[NH3]->[Pt](Cl)(Cl)<-[NH3]", 5),
    "single_heavy_atom": ("O", 1),
}


@pytest.mark.parametrize("case", list(WORKS), ids=list(WORKS))
def test_unusual_ligand_docks(case: str, cli, tmp_path: Path, example, bundles) -> None:
    ligand, heavy_atoms = WORKS[case]
    ctx = Ctx(tmp_path, example, bundles)
    result = cli(*ctx.predict(None, ligand))
    assert result.code == 0, result.err
    pose = _docked_pose(ctx.out)
    assert Chem.RemoveHs(pose).GetNumAtoms() == heavy_atoms
    z = pose.GetConformer().GetPositions()[:, 2]
    assert np.ptp(z) > 0.1 or heavy_atoms == 1  # a real 3-D pose, not the flat drawing


def test_5000_residue_protein_in_pocket_mode(cli, tmp_path: Path, bundles) -> None:
    ca = write_synthetic_pdb(tmp_path / "big.pdb", 5000)
    center = ",".join(f"{v:.2f}" for v in ca[2500])
    ctx = Ctx(tmp_path, None, bundles)
    result = cli("predict", "--protein", tmp_path / "big.pdb", "--ligand", PHENOL, "--pocket-center", center,
                 "--weights", bundles.disco, "--out", ctx.out, *FAST)
    assert result.code == 0, result.err
    _docked_pose(ctx.out)
    complex_pdb = (ctx.out / "complex_rank1.pdb").read_text()
    assert complex_pdb.count(" CA  ALA ") == 5000


def test_non_ascii_paths(cli, tmp_path: Path, example, bundles) -> None:
    folder = tmp_path / "prótein_数据"
    folder.mkdir()
    protein = folder / "x.pdb"
    protein.write_bytes(example.protein.read_bytes())
    ligand = folder / "lígando_配体.sdf"
    ligand.write_bytes((B / "flat_2d.sdf").read_bytes())
    out = tmp_path / "résultats_结果"
    result = cli("predict", "--protein", protein, "--ligand", ligand, "--pocket-center", example.center,
                 "--weights", bundles.disco, "--out", out, *FAST)
    assert result.code == 0, result.err
    _docked_pose(out)
    # and a bad input in such a folder is named correctly
    bad = folder / "ß.sdf"
    result = cli("predict", "--protein", protein, "--ligand", bad, "--pocket-center", example.center,
                 "--weights", bundles.disco, "--out", tmp_path / "other", *FAST)
    assert_bad_input(result, "ß.sdf", "not found")


def test_mmcif_protein(cli, tmp_path: Path, example, bundles) -> None:
    """A .cif receptor docks, and complex_rank1.pdb holds PDB records (not the mmCIF rows)."""
    import gemmi

    structure = gemmi.read_structure(str(example.protein))
    structure.setup_entities()
    structure.make_mmcif_document().write_file(str(tmp_path / "1ia1.cif"))
    out = tmp_path / "out"
    result = cli("predict", "--protein", tmp_path / "1ia1.cif", "--ligand", PHENOL, "--pocket-center", example.center,
                 "--weights", bundles.disco, "--out", out, *FAST)
    assert result.code == 0, result.err
    atoms = [line for line in (out / "complex_rank1.pdb").read_text().splitlines() if line.startswith("ATOM")]
    assert atoms and all(len(line) >= 54 for line in atoms)
    xyz = np.array([[float(line[30:38]), float(line[38:46]), float(line[46:54])] for line in atoms])
    assert np.isfinite(xyz).all() and np.ptp(xyz, axis=0).min() > 10  # real coordinates of a whole protein


def test_yaml_config_sets_options(cli, tmp_path: Path, example, bundles) -> None:
    """Options from YAML (a list for the pocket centre included); the command line wins over the file."""
    center = [float(v) for v in example.center.split(",")]
    config = tmp_path / "run.yaml"
    config.write_text(f"protein: {example.protein}\nligand: '{PHENOL}'\npocket_center: {center}\n"
                      f"weights: {bundles.disco}\nsamples: 5\nsteps: 4\nthreads: 1\n")
    out = tmp_path / "out"
    result = cli("predict", "--config", config, "--samples", "3", "--out", out)
    assert result.code == 0, result.err
    _docked_pose(out)  # 3 poses: the command line's --samples won


def test_yaml_config_bad_value_type(tmp_path: Path) -> None:
    from discodock.cli import parse_args

    config = tmp_path / "run.yaml"
    config.write_text("samples: [1, 2]\n")
    with pytest.raises(SystemExit) as stop:  # argparse's usage error, exit status 2
        parse_args(["predict", "--config", str(config)])
    assert stop.value.code == 2


def test_negative_pocket_center_parses() -> None:
    """`--pocket-center -1.5,2,3`: argparse alone would take '-1.5,2,3' for an option."""
    from discodock.cli import parse_args

    assert parse_args(["predict", "--pocket-center", "-1.5,2,-3"]).pocket_center == "-1.5,2,-3"
    assert parse_args(["screen", "--pocket-center=-1,-2,-3"]).pocket_center == "-1,-2,-3"


def test_vina_rank_flag_yaml_and_bad_choice(tmp_path: Path) -> None:
    from discodock.cli import parse_args

    assert parse_args(["predict", "--vina-rank"]).vina_rank == "score"  # bare flag: score only
    assert parse_args(["benchmark", "--vina-rank", "both"]).vina_rank == "both"
    assert parse_args(["benchmark", "--vina-rank", "all"]).vina_rank == "all"
    assert parse_args(["benchmark", "--steps", "0"]).steps == 0  # the prior's poses: allowed, unlike --steps -1
    assert parse_args(["predict", "--vina-rank", "refine"]).vina_rank == "refine"
    config = tmp_path / "run.yaml"
    config.write_text("vina-rank: true\n")
    assert parse_args(["predict", "--config", str(config)]).vina_rank == "score"
    assert parse_args(["predict"]).vina_box == "poses" and parse_args(["benchmark", "--vina-box", "pocket"]).vina_box == "pocket"
    config.write_text("vina_rank: optimise\n")  # a typo must not fall back to score-only ranking
    with pytest.raises(SystemExit) as stop:
        parse_args(["predict", "--config", str(config)])
    assert stop.value.code == 2

