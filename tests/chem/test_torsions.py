"""Rotatable bonds as DiffDock defines them, their orientation and moving sides."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from discodock.chem.torsions import rotatable_bonds, torsion_moving_atoms


@pytest.mark.parametrize(
    "smiles, expected",
    [
        ("C", 0),
        ("CC", 0),
        ("CCC", 0),  # both bonds end in a terminal methyl
        ("CCO", 0),
        ("CCCC", 1),  # only the middle bond has two heavy atoms on each side
        ("CCCCC", 2),
        ("CCCC=CCCC", 4),  # the double bond would flip E and Z: only the single bonds rotate
        ("CC#CC", 0),  # nothing to set about a triple bond's axis
        ("OC(=O)/C=C/C(=O)OCC", 4),  # ethyl fumarate stays fumarate: its C=C never turns
        ("C1CCCCC1", 0),  # ring bonds never rotate
        ("c1ccccc1-c1ccccc1", 1),
        ("c1ccccc1C", 0),
        ("c1ccccc1CC", 1),
        ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", 4),  # ibuprofen
        ("CC(=O)Nc1ccc(O)cc1", 2),  # paracetamol: C(=O)-N and N-ring
    ],
)
def test_counts(smiles: str, expected: int):
    assert len(rotatable_bonds(Chem.MolFromSmiles(smiles))) == expected


def test_hydrogens_do_not_count_but_move():
    mol = Chem.AddHs(Chem.MolFromSmiles("CCCC"))
    bonds = rotatable_bonds(mol)
    assert len(bonds) == 1
    (moving,) = torsion_moving_atoms(mol, bonds)
    assert len(moving) == 2 + 5  # two carbons and their five hydrogens


def test_orientation_and_moving_side():
    mol = Chem.MolFromSmiles("c1ccccc1CCCl")  # atoms 0-5 ring, 6 CH2, 7 CH2, 8 Cl
    bonds = rotatable_bonds(mol)
    assert bonds == [(5, 6), (6, 7)]
    assert torsion_moving_atoms(mol, bonds) == [[6, 7, 8], [7, 8]]


def test_moving_side_is_the_smaller_one():
    mol = Chem.MolFromSmiles("CCCc1ccc(cc1)CCCCCC")
    for (u, v), moving in zip(rotatable_bonds(mol), torsion_moving_atoms(mol, rotatable_bonds(mol))):
        assert v in moving and u not in moving
        assert len(moving) <= mol.GetNumAtoms() - len(moving)


def test_rotating_a_moving_side_keeps_every_other_bond_length():
    mol = Chem.AddHs(Chem.MolFromSmiles("CC(C)Cc1ccc(cc1)C(C)C(=O)NCc1ccncc1"))
    AllChem.EmbedMolecule(mol, randomSeed=0)
    mol = Chem.RemoveHs(mol)
    pos = mol.GetConformer().GetPositions()
    bonds = rotatable_bonds(mol)
    lengths = lambda x: np.array([np.linalg.norm(x[b.GetBeginAtomIdx()] - x[b.GetEndAtomIdx()]) for b in mol.GetBonds()])
    for (u, v), moving in zip(bonds, torsion_moving_atoms(mol, bonds)):
        k = (pos[v] - pos[u]) / np.linalg.norm(pos[v] - pos[u])
        angle = 1.0
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        rot = np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx
        new = pos.copy()
        new[moving] = (pos[moving] - pos[v]) @ rot.T + pos[v]
        np.testing.assert_allclose(lengths(new), lengths(pos), atol=1e-9)
        assert np.abs(new - pos).max() > 0.1  # something moved
