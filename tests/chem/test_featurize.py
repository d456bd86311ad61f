"""featurize_complex: shapes, dtypes, frames, pocket restriction; atom and bond features."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from rdkit import Chem

from discodock.chem.featurize import LIGAND_FEATURE_DIMS, featurize_complex, ligand_atom_features, ligand_bonds
from discodock.chem.ligand import read_ligand
from discodock.chem.protein import RESIDUE_TYPES, read_protein
from discodock.complex_graph import collate
from discodock.errors import InputError


@pytest.fixture(scope="module")
def example(posebusters_examples: Path):
    folder = posebusters_examples / "1ia1"
    return read_protein(folder / "1ia1_protein_one_lig_removed.pdb"), read_ligand(folder / "1ia1_ligand.sdf")


def test_shapes_and_frame(example):
    protein, ligand = example
    g = featurize_complex(protein, ligand, name="1ia1")
    n, r = ligand.GetNumAtoms(), protein.num_residues
    assert g.lig_atom_feat.shape == (n, len(LIGAND_FEATURE_DIMS)) and g.lig_atom_feat.dtype == torch.long
    assert (g.lig_atom_feat >= 0).all() and (g.lig_atom_feat < torch.tensor(LIGAND_FEATURE_DIMS)).all()
    assert g.lig_bond_index.shape == (2, 2 * ligand.GetNumBonds()) and g.lig_bond_type.shape == (2 * ligand.GetNumBonds(),)
    assert g.rec_type.shape == (r,) and g.rec_pos.shape == g.rec_side.shape == (r, 3)
    assert int(g.rec_type.max()) < len(RESIDUE_TYPES)
    torch.testing.assert_close(g.center, protein.ca.mean(0))
    torch.testing.assert_close(g.rec_pos.mean(0), torch.zeros(3), atol=1e-4, rtol=0)
    crystal = torch.tensor(ligand.GetConformer().GetPositions(), dtype=torch.float32)
    torch.testing.assert_close(g.lig_pos + g.center, crystal)
    torch.testing.assert_close(g.rec_side, protein.side_chain_centroid - protein.ca)
    assert g.tor_bonds.shape == (g.num_torsions, 2) and g.num_torsions == 2
    assert g.tor_move_index.shape[0] == 2 and g.tor_move_index[0].max() == g.num_torsions - 1
    for t, (u, v) in enumerate(g.tor_bonds.tolist()):  # v moves, u does not
        moving = g.tor_move_index[1, g.tor_move_index[0] == t].tolist()
        assert v in moving and u not in moving


def test_pocket_restriction(example):
    protein, ligand = example
    center = torch.tensor(ligand.GetConformer().GetPositions(), dtype=torch.float32).mean(0)
    g = featurize_complex(protein, ligand, name="1ia1", center=center, pocket_radius=12.0)
    expected = int(((protein.ca - center).norm(dim=-1) <= 12.0).sum())
    assert 0 < g.num_residues == expected < protein.num_residues
    assert g.rec_pos.norm(dim=-1).max() <= 12.0 + 1e-4
    torch.testing.assert_close(g.lig_pos.mean(0), torch.zeros(3), atol=1e-4, rtol=0)
    with pytest.raises(InputError, match="1ia1: no residue"):
        featurize_complex(protein, ligand, name="1ia1", center=center + 500.0, pocket_radius=5.0)


def test_collate_two_complexes(example, posebusters_examples: Path):
    protein, ligand = example
    other = read_ligand(posebusters_examples / "1uou" / "1uou_ligand.sdf")
    batch = collate([featurize_complex(protein, ligand, name="a"), featurize_complex(protein, other, name="b")])
    assert batch.lig_pos.shape[0] == ligand.GetNumAtoms() + other.GetNumAtoms()
    assert batch.tor_bonds.max() < batch.lig_pos.shape[0]


def test_atom_features_known_values():
    mol = Chem.MolFromSmiles("c1ccccc1C[Sn](C)(C)C")
    feat = ligand_atom_features(mol)
    assert feat[0, 0] == 0 and feat[7, 0] == LIGAND_FEATURE_DIMS[0] - 1  # carbon; tin → 'other' element
    assert feat[:6, 6].tolist() == [1] * 6 and feat[6:, 6].tolist() == [0] * 5  # aromatic column
    assert feat[:6, 8].tolist() == [4] * 6 and feat[6, 8] == 0  # smallest ring: 6-membered (index 4) / none
    assert feat[6, 4] == 2  # CH2: two hydrogens


def test_bond_types():
    index, kind = ligand_bonds(Chem.MolFromSmiles("C#CC=Cc1ccccc1"))
    assert index.shape == (2, 2 * 10)
    assert kind[::2].tolist() == [2, 0, 1, 0, 3, 3, 3, 3, 3, 3]  # triple, single, double, single, 6 aromatic
    assert (kind[::2] == kind[1::2]).all() and (index[0, ::2] == index[1, 1::2]).all()


def test_ligand_without_conformer_is_rejected(example):
    protein, _ = example
    with pytest.raises(InputError, match="x: ligand has no conformer"):
        featurize_complex(protein, Chem.MolFromSmiles("CCCC"), name="x")
