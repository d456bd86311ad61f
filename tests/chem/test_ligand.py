"""Ligand reading: SMILES, SDF (2-D and 3-D), MOL2, hydrogens, and every bad-input case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

from discodock.chem.ligand import add_hydrogens, generate_conformer, read_ligand
from discodock.errors import InputError

# Paracetamol with hydrogens, written by OpenBabel 3.1 (MOL2 readers expect explicit hydrogens).
PARACETAMOL_MOL2 = """@<TRIPOS>MOLECULE
paracetamol
 20 20 0 0 0
SMALL
GASTEIGER

@<TRIPOS>ATOM
      1 C          -3.7899    0.0969   -0.3676 C.3     1  UNL1        0.0125
      2 C          -2.4070   -0.3759   -0.0912 C.2     1  UNL1        0.2141
      3 O          -2.2720   -1.5082    0.3994 O.2     1  UNL1       -0.2758
      4 N          -1.3010    0.4413   -0.3804 N.am    1  UNL1       -0.2857
      5 C           0.0498    0.1414   -0.1795 C.ar    1  UNL1        0.0336
      6 C           0.5715   -1.0041    0.3375 C.ar    1  UNL1       -0.0370
      7 C           1.9450   -1.2174    0.5026 C.ar    1  UNL1       -0.0184
      8 C           2.8514   -0.2507    0.1390 C.ar    1  UNL1        0.1170
      9 O           4.2138   -0.4590    0.3014 O.3     1  UNL1       -0.5068
     10 C           2.3443    0.9188   -0.3875 C.ar    1  UNL1       -0.0184
     11 C           0.9766    1.1223   -0.5481 C.ar    1  UNL1       -0.0370
     12 H          -4.4896   -0.6606   -0.0820 H       1  UNL1        0.0323
     13 H          -3.8942    0.3031   -1.4123 H       1  UNL1        0.0323
     14 H          -3.9808    0.9883    0.1927 H       1  UNL1        0.0323
     15 H          -1.4996    1.3242   -0.7680 H       1  UNL1        0.1548
     16 H          -0.0784   -1.7535    0.6223 H       1  UNL1        0.0637
     17 H           2.2799   -2.1086    0.9009 H       1  UNL1        0.0655
     18 H           4.5246   -1.2658    0.6625 H       1  UNL1        0.2921
     19 H           2.9982    1.6652   -0.6708 H       1  UNL1        0.0655
     20 H           0.6402    2.0130   -0.9463 H       1  UNL1        0.0637
@<TRIPOS>BOND
     1     1     2    1
     2     2     3    2
     3     2     4   am
     4     4     5    1
     5     5     6   ar
     6     6     7   ar
     7     7     8   ar
     8     8     9    1
     9     8    10   ar
    10    10    11   ar
    11    11     5   ar
    12     1    12    1
    13     1    13    1
    14     1    14    1
    15     4    15    1
    16     6    16    1
    17     7    17    1
    18     9    18    1
    19    10    19    1
    20    11    20    1
"""


IBUPROFEN = "CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O"


def _canonical(mol: Chem.Mol) -> str:
    return Chem.MolToSmiles(Chem.RemoveHs(mol))


def test_smiles_gets_seeded_3d_heavy_atom_conformer():
    mol = read_ligand(IBUPROFEN, seed=3)
    assert mol.GetNumAtoms() == 15
    assert all(a.GetAtomicNum() > 1 for a in mol.GetAtoms())
    pos = mol.GetConformer().GetPositions()
    assert np.abs(pos[:, 2]).max() > 0.1  # really 3-D
    again = read_ligand(IBUPROFEN, seed=3).GetConformer().GetPositions()
    np.testing.assert_allclose(pos, again)
    assert _canonical(mol) == Chem.MolToSmiles(Chem.MolFromSmiles(IBUPROFEN))  # stereo kept


def test_a_smiles_longer_than_a_file_name_is_read_as_smiles():
    peptide = "N[C@@H](C)C(=O)" + "N[C@@H](C)C(=O)" * 20 + "O"  # ~300 characters: over NAME_MAX (255)
    assert len(peptide) > 255
    assert read_ligand(peptide).GetNumAtoms() == 21 * 5 + 1  # N, CA, CB, C, O per residue; the final OH


def test_sdf_keeps_crystal_pose(posebusters_examples: Path):
    path = posebusters_examples / "1ia1" / "1ia1_ligand.sdf"
    mol = read_ligand(path)
    raw = Chem.MolFromMolFile(str(path), removeHs=True)
    assert mol.GetNumAtoms() == raw.GetNumAtoms() == 19
    np.testing.assert_allclose(mol.GetConformer().GetPositions(), raw.GetConformer().GetPositions(), atol=1e-6)
    assert read_ligand(str(path)).GetNumAtoms() == 19  # a str path is a path, not SMILES


@pytest.mark.parametrize("complex_id", ["1of6", "1s3v", "1uou"])
def test_reads_all_wheel_examples(posebusters_examples: Path, complex_id: str):
    mol = read_ligand(posebusters_examples / complex_id / f"{complex_id}_ligand.sdf")
    assert mol.GetNumAtoms() > 10 and mol.GetNumConformers() == 1


def _heavy_only_mol2(tmp_path: Path) -> Path:
    """The paracetamol MOL2 with its hydrogens deleted: RDKit then sees radicals."""
    lines, section = [], ""
    for line in PARACETAMOL_MOL2.splitlines():
        section = line if line.startswith("@<TRIPOS>") else section
        fields = line.split()
        if section == "@<TRIPOS>ATOM" and len(fields) > 5 and fields[5] == "H":
            continue
        if section == "@<TRIPOS>BOND" and len(fields) == 4 and int(fields[2]) > 11:
            continue
        lines.append(line.replace(" 20 20 0 0 0", " 11 11 0 0 0"))
    return _write(tmp_path, "no_hydrogens.mol2", "\n".join(lines) + "\n")


def test_mol2(tmp_path: Path):
    path = tmp_path / "paracetamol.mol2"
    path.write_text(PARACETAMOL_MOL2)
    mol = read_ligand(path)
    assert mol.GetNumAtoms() == 11
    assert _canonical(mol) == Chem.MolToSmiles(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1"))
    np.testing.assert_allclose(mol.GetConformer().GetPositions()[0], [-3.7899, 0.0969, -0.3676], atol=1e-4)


def test_2d_sdf_gets_3d_conformer_with_stereo(tmp_path: Path):
    flat = Chem.MolFromSmiles(IBUPROFEN)
    Chem.rdDepictor.Compute2DCoords(flat)
    path = tmp_path / "flat.sdf"
    Chem.MolToMolFile(flat, str(path))
    mol = read_ligand(path)
    assert np.abs(mol.GetConformer().GetPositions()[:, 2]).max() > 0.1
    assert _canonical(mol) == Chem.MolToSmiles(flat)
    with pytest.raises(InputError, match="flat.sdf.*3-D"):
        read_ligand(path, add_conformer_if_2d=False)


def test_add_hydrogens_places_them_near_their_heavy_atom():
    mol = read_ligand("CCO")
    with_h = add_hydrogens(mol)
    assert with_h.GetNumAtoms() == 9
    pos = with_h.GetConformer().GetPositions()
    np.testing.assert_allclose(pos[:3], mol.GetConformer().GetPositions())
    for atom in with_h.GetAtoms():
        if atom.GetAtomicNum() == 1:
            heavy = atom.GetNeighbors()[0].GetIdx()
            assert 0.9 < np.linalg.norm(pos[atom.GetIdx()] - pos[heavy]) < 1.2


def test_generate_conformer_keeps_atom_order():
    mol = Chem.MolFromSmiles("OC(=O)c1ccccc1N")
    conf_mol = generate_conformer(mol, seed=1)
    assert [a.GetSymbol() for a in conf_mol.GetAtoms()] == [a.GetSymbol() for a in mol.GetAtoms()]
    pos = conf_mol.GetConformer().GetPositions()
    for bond in conf_mol.GetBonds():  # physically sensible bond lengths
        assert 1.1 < np.linalg.norm(pos[bond.GetBeginAtomIdx()] - pos[bond.GetEndAtomIdx()]) < 1.6


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _unsanitisable_sdf(tmp_path: Path) -> Path:
    mol = Chem.MolFromSmiles("C(C)(C)(C)(C)C", sanitize=False)  # pentavalent carbon
    return _write(tmp_path, "pentavalent.sdf", Chem.MolToMolBlock(mol) + "$$$$\n")


def _empty_molecule_sdf(tmp_path: Path) -> Path:
    return _write(tmp_path, "no_atoms.sdf", Chem.MolToMolBlock(Chem.Mol()) + "$$$$\n")


def _two_molecule_sdf(tmp_path: Path) -> Path:
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO")) + "$$$$\n"
    return _write(tmp_path, "two.sdf", block * 2)


def _two_fragment_sdf(tmp_path: Path) -> Path:
    return _write(tmp_path, "salt.sdf", Chem.MolToMolBlock(Chem.MolFromSmiles("CC(=O)[O-].[Na+]")) + "$$$$\n")


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda tmp: tmp / "missing.sdf", "not found"),
        (lambda tmp: _write(tmp, "empty.sdf", ""), "empty file"),
        (lambda tmp: _write(tmp, "garbage.sdf", "this is not\na molecule\n$$$$\n"), "no molecule|unreadable"),
        (_heavy_only_mol2, "unpaired electrons"),
        (lambda tmp: _write(tmp, "garbage.mol2", "@<TRIPOS>MOLECULE\nnonsense\n"), "unreadable"),
        (lambda tmp: _write(tmp, "ligand.xyz", "1\n\nC 0 0 0\n"), "unknown ligand format"),
        (_unsanitisable_sdf, "sanitise"),
        (_empty_molecule_sdf, "no atoms"),
        (_two_molecule_sdf, "2 molecules"),
        (lambda tmp: _write(tmp, "two.mol2", PARACETAMOL_MOL2 * 2), "MOL2 holds 2 molecules"),
        (_two_fragment_sdf, "2 disconnected fragments"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, make, expected: str):
    path = make(tmp_path)
    with pytest.raises(InputError, match=expected) as info:
        read_ligand(path)
    assert path.name in str(info.value)


def test_several_molecules_in_wheel_sdf(posebusters_examples: Path):
    with pytest.raises(InputError, match="1ia1_ligands.sdf: SDF holds"):
        read_ligand(posebusters_examples / "1ia1" / "1ia1_ligands.sdf")


@pytest.mark.parametrize(
    "smiles, expected",
    [
        ("C1CC", "does not parse|unreadable"),  # unclosed ring
        ("c1cccc1", "sanitise"),  # cannot kekulise
        ("C[C](C)(C)(C)C", "sanitise"),  # pentavalent carbon
        ("CCO.O", "2 disconnected fragments"),
        ("no_such_file.sdf", "not found"),
    ],
)
def test_bad_smiles_name_the_string(smiles: str, expected: str):
    with pytest.raises(InputError, match=expected) as info:
        read_ligand(smiles)
    assert smiles in str(info.value)


def test_sdf_query_fields_give_plain_atoms(tmp_path: Path):
    """An SDF atom block with hydrogen-count query fields (as some PDBbind files have) reads as plain
    atoms and bonds, stereo kept: query atoms would make Vina's ligand preparation fail."""
    mol = Chem.AddHs(Chem.MolFromSmiles("C/C=C/[C@H](N)C(=O)O"))
    Chem.rdDistGeom.EmbedMolecule(mol, randomSeed=0)
    lines = Chem.MolToMolBlock(mol).splitlines()
    counts = lines[3]
    n_atoms = int(counts[:3])
    for i in range(4, 4 + n_atoms):  # column 43-45: hydrogen count + 1 (a query field)
        lines[i] = lines[i][:42] + "  1" + lines[i][45:]
    path = tmp_path / "query.sdf"
    path.write_text("\n".join(lines) + "\n$$$$\n")
    assert any(a.HasQuery() for a in Chem.MolFromMolFile(str(path)).GetAtoms())  # the fixture has queries
    read = read_ligand(path)
    assert not any(a.HasQuery() for a in read.GetAtoms()) and not any(b.HasQuery() for b in read.GetBonds())
    assert _canonical(read) == Chem.MolToSmiles(Chem.MolFromSmiles("C/C=C/[C@H](N)C(=O)O"))
