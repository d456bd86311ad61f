"""discodock.output: the complex file people open beside the ranked poses."""

from __future__ import annotations

import gzip
from pathlib import Path

import gemmi
import pytest
from rdkit import Chem

from discodock.output import complex_pdb_text


@pytest.fixture
def complex_1ia1(posebusters_examples: Path) -> tuple[Path, Chem.Mol]:
    folder = posebusters_examples / "1ia1"
    return folder / "1ia1_protein_one_lig_removed.pdb", Chem.MolFromMolFile(str(folder / "1ia1_ligand.sdf"))


def _records(text: str, kind: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(kind)]


def test_pose_serials_follow_the_receptors_so_readers_bond_the_right_atoms(complex_1ia1):
    protein, ligand = complex_1ia1
    text = complex_pdb_text(protein, ligand)
    receptor = [int(line[6:11]) for line in _records(text, "ATOM")]
    pose = [int(line[6:11]) for line in _records(text, "HETATM") if line[17:20] == "LIG"]
    assert len(pose) == ligand.GetNumAtoms() and min(pose) > max(receptor)
    assert sum(line.startswith("TER") for line in text.splitlines()) >= 3  # after each polymer chain, and the pose
    assert len(set(receptor + pose)) == len(receptor) + len(pose)
    bonded = {int(line[i:i + 5]) for line in _records(text, "CONECT") for i in range(6, len(line), 5)}
    assert bonded and bonded <= set(pose)  # CONECT names only the pose's atoms
    read = Chem.MolFromPDBBlock(text, sanitize=False, removeHs=False)
    lig = [a for a in read.GetAtoms() if a.GetPDBResidueInfo().GetResidueName() == "LIG"]
    assert sum(b.GetOtherAtom(a).GetPDBResidueInfo().GetResidueName() != "LIG" for a in lig for b in a.GetBonds()) == 0


def test_gzipped_protein_gives_the_same_complex(complex_1ia1, tmp_path):
    protein, ligand = complex_1ia1
    packed = tmp_path / "protein.pdb.gz"
    packed.write_bytes(gzip.compress(protein.read_bytes()))
    text = complex_pdb_text(packed, ligand)
    assert len(_records(text, "ATOM")) > 1000
    assert text == complex_pdb_text(protein, ligand)


def test_only_the_first_model_of_an_nmr_file(complex_1ia1, tmp_path):
    protein, ligand = complex_1ia1
    structure = gemmi.read_structure(str(protein))
    structure.add_model(structure[0])
    structure.renumber_models()
    two_models = tmp_path / "nmr.pdb"
    structure.write_pdb(str(two_models))
    assert len(gemmi.read_structure(str(two_models))) == 2
    assert complex_pdb_text(two_models, ligand) == complex_pdb_text(protein, ligand)
