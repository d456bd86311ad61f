"""Protein reading: wheel examples, altlocs, insertion codes, modified residues, hetero groups, mmCIF, size, errors."""

from __future__ import annotations

from pathlib import Path

import gemmi
import numpy as np
import pytest
import torch

from discodock.chem.protein import RESIDUE_TYPES, heavy_atoms, read_protein
from discodock.errors import InputError

# Residue 1: altloc A (occ 0.3) / B (0.7) on CB; residue 2: point mutation SER (A) / GLY (B);
# 2A: insertion code; CA calcium ion; water; MSE (selenomethionine, HETATM); a residue without Cα.
CRAFTED_PDB = """\
ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N
ATOM      2  CA  ALA A   1      11.639   6.071  -5.147  1.00  0.00           C
ATOM      3  C   ALA A   1      13.121   5.936  -5.123  1.00  0.00           C
ATOM      4  CB AALA A   1      11.100   7.300  -4.400  0.30  0.00           C
ATOM      5  CB BALA A   1      11.200   4.800  -4.400  0.70  0.00           C
ATOM      6  N  ASER A   2      13.700   6.000  -3.900  0.60  0.00           N
ATOM      7  CA ASER A   2      15.100   6.000  -3.700  0.60  0.00           C
ATOM      8  CB ASER A   2      15.500   7.000  -2.600  0.60  0.00           C
ATOM      9  OG ASER A   2      16.900   7.000  -2.600  0.60  0.00           O
ATOM     10  N  BGLY A   2      13.700   6.000  -3.900  0.40  0.00           N
ATOM     11  CA BGLY A   2      15.100   6.100  -3.700  0.40  0.00           C
ATOM     12  CA  GLY A   2A     18.100   6.100  -3.700  1.00  0.00           C
ATOM     13  N   LYS A   4      19.100   6.100  -3.700  1.00  0.00           N
HETATM   14 CA    CA A 101      20.000   6.000  -3.000  1.00  0.00          CA
HETATM   15  O   HOH A 102      22.000   6.000  -3.000  1.00  0.00           O
HETATM   16  N   MSE B   3      13.700   6.000  -3.900  1.00  0.00           N
HETATM   17  CA  MSE B   3      15.100   6.000  -3.700  1.00  0.00           C
HETATM   18 SE   MSE B   3      15.500   7.000  -2.600  1.00  0.00          SE
END
"""


@pytest.fixture
def crafted(tmp_path: Path) -> Path:
    path = tmp_path / "crafted.pdb"
    path.write_text(CRAFTED_PDB)
    return path


def test_crafted_rules(crafted: Path):
    protein = read_protein(crafted)
    assert protein.residue_names == ["ALA", "SER", "GLY", "MSE"]
    assert protein.residue_ids == ["1", "2", "2A", "3"]
    assert protein.chain_ids == ["A", "A", "A", "B"]
    assert protein.sequence == "ASGM"
    assert [RESIDUE_TYPES[t] for t in protein.residue_types] == ["ALA", "SER", "GLY", "MET"]
    # first altloc kept: CB at the A position
    torch.testing.assert_close(protein.side_chain_centroid[0], torch.tensor([11.1, 7.3, -4.4]))
    torch.testing.assert_close(protein.side_chain_centroid[1], torch.tensor([16.2, 7.0, -2.6]))
    torch.testing.assert_close(protein.side_chain_centroid[2], protein.ca[2])  # glycine: centroid = Cα
    torch.testing.assert_close(protein.side_chain_centroid[3], torch.tensor([15.5, 7.0, -2.6]))


def test_selenocysteine_and_pyrrolysine_are_residues(tmp_path: Path):
    """HETATM SEC and PYL, which Biopython's table does not map, are CYS- and LYS-like residues, not dropped."""
    lines = [line.replace("MSE B   3", f"{name} B   {k}") for k, name in ((3, "SEC"), (4, "PYL"))
             for line in CRAFTED_PDB.splitlines() if "MSE" in line]
    path = tmp_path / "sec_pyl.pdb"
    path.write_text("\n".join(CRAFTED_PDB.splitlines()[:3] + lines + ["END"]) + "\n")
    protein = read_protein(path)
    assert protein.residue_names == ["ALA", "SEC", "PYL"]
    assert [RESIDUE_TYPES[t] for t in protein.residue_types] == ["ALA", "CYS", "LYS"]


def test_keep_hetero_adds_ions_not_water(crafted: Path):
    protein = read_protein(crafted, keep_hetero=True)
    assert protein.residue_names == ["ALA", "SER", "GLY", "CA", "MSE"]
    assert RESIDUE_TYPES[protein.residue_types[3]] == "UNK" and protein.sequence[3] == "X"
    torch.testing.assert_close(protein.ca[3], torch.tensor([20.0, 6.0, -3.0]))


def test_wheel_example(posebusters_examples: Path):
    protein = read_protein(posebusters_examples / "1ia1" / "1ia1_protein_one_lig_removed.pdb")
    r = protein.num_residues
    assert r > 300 and set(protein.chain_ids) == {"A", "B"}
    assert protein.ca.shape == protein.side_chain_centroid.shape == (r, 3)
    assert protein.residue_types.dtype == torch.long and len(protein.sequence) == len(protein.residue_ids) == r
    assert "UNK" not in [RESIDUE_TYPES[t] for t in protein.residue_types]  # NDP and the other ligand copy dropped
    gly = protein.residue_types == RESIDUE_TYPES.index("GLY")
    assert gly.any()
    torch.testing.assert_close(protein.side_chain_centroid[gly], protein.ca[gly])
    offset = (protein.side_chain_centroid[~gly] - protein.ca[~gly]).norm(dim=-1)
    assert 0.5 < offset.min() and offset.max() < 7.0  # side-chain centroids sit a few Å from Cα
    hetero = read_protein(posebusters_examples / "1ia1" / "1ia1_protein_one_lig_removed.pdb", keep_hetero=True)
    assert {"NDP", "TQ3"} <= set(hetero.residue_names)


def test_mmcif_matches_pdb(posebusters_examples: Path, tmp_path: Path):
    pdb = posebusters_examples / "1uou" / "1uou_protein_one_lig_removed.pdb"
    structure = gemmi.read_structure(str(pdb))
    structure.setup_entities()
    cif = tmp_path / "1uou.cif"
    structure.make_mmcif_document().write_file(str(cif))
    a, b = read_protein(pdb), read_protein(cif)
    assert a.sequence == b.sequence and a.residue_ids == b.residue_ids and a.chain_ids == b.chain_ids
    torch.testing.assert_close(a.ca, b.ca)
    torch.testing.assert_close(a.side_chain_centroid, b.side_chain_centroid)


def _large_pdb(path: Path, chains: str, per_chain: int) -> Path:
    """An alanine protein of len(chains) * per_chain residues on a grid (3.8 Å apart)."""
    lines, serial = [], 1
    for c, chain in enumerate(chains):
        for i in range(per_chain):
            x, y, z = 3.8 * (i % 30), 3.8 * (i // 30), 10.0 * c
            for name, element, dx in (("N", "N", -1.2), ("CA", "C", 0.0), ("C", "C", 1.2), ("CB", "C", 0.0)):
                dz = 1.5 if name == "CB" else 0.0
                lines.append(
                    f"ATOM  {serial:5d}  {name:<3s} ALA {chain}{i + 1:4d}    "
                    f"{x + dx:8.3f}{y:8.3f}{z + dz:8.3f}  1.00  0.00           {element}"
                )
                serial = serial % 99999 + 1
    path.write_text("\n".join(lines) + "\nEND\n")
    return path


def test_large_protein_is_read_whole(tmp_path: Path):
    protein = read_protein(_large_pdb(tmp_path / "large.pdb", "ABC", 900))
    assert protein.num_residues == 2700
    assert protein.sequence == "A" * 2700
    torch.testing.assert_close(protein.side_chain_centroid - protein.ca, torch.tensor([0.0, 0.0, 1.5]).expand(2700, 3))


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("truncated.pdb", CRAFTED_PDB[:200], "cannot read"),  # cut inside a coordinate field
        ("waters.pdb", "HETATM    1  O   HOH A   1      22.000   6.000  -3.000  1.00  0.00           O\nEND\n", "no protein"),
        ("empty.pdb", "", "no protein"),
        ("truncated.cif", "data_x\nloop_\n_atom_site.group_PDB\n_atom_site.id\nATOM 1 2\n", "cannot read|no protein"),
    ],
)
def test_bad_proteins_name_the_file(tmp_path: Path, name: str, text: str, expected: str):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=expected) as info:
        read_protein(path)
    assert name in str(info.value)


def test_missing_protein_file(tmp_path: Path):
    with pytest.raises(InputError, match="missing.pdb: protein file not found"):
        read_protein(tmp_path / "missing.pdb")


def test_ions_only_with_keep_hetero_is_still_no_protein(tmp_path: Path):
    path = tmp_path / "ion.pdb"
    path.write_text("HETATM    1 ZN    ZN A   1      22.000   6.000  -3.000  1.00  0.00          ZN\nEND\n")
    with pytest.raises(InputError, match="ion.pdb: no protein"):
        read_protein(path, keep_hetero=True)


def test_shared_posebusters_protein_keeps_only_amino_acids(shared_data: Path):
    protein = read_protein(shared_data / "posebusters_428" / "5SAK_ZRY" / "protein.pdb")
    with_hetero = read_protein(shared_data / "posebusters_428" / "5SAK_ZRY" / "protein.pdb", keep_hetero=True)
    assert protein.num_residues > 100 and with_hetero.num_residues >= protein.num_residues
    assert protein.sequence.count("X") == 0


def test_heavy_atoms_keep_ions_drop_water_and_altlocs(crafted: Path):
    atoms = heavy_atoms(crafted)
    assert len(atoms) == 14  # 18 records - water - CB altloc B - the GLY altloc B (N, CA)
    assert any(np.allclose(a, [20.0, 6.0, -3.0]) for a in atoms)  # the calcium ion lines pockets too
    assert not any(np.allclose(a, [22.0, 6.0, -3.0]) for a in atoms)  # water
