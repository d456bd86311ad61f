"""Conformer matching: torsion updates, Kabsch, and recovery of a pose made by setting random torsions."""

from __future__ import annotations

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdMolTransforms
from rdkit.Geometry import Point3D
from scipy.spatial.transform import Rotation

from discodock.chem.conformer_matching import apply_torsion_changes, kabsch_align, kabsch_rmsd, match_conformer
from discodock.chem.ligand import generate_conformer
from discodock.chem.torsions import rotatable_bonds, torsion_moving_atoms

SMILES = "CC(C)Cc1ccc(cc1)C(C)C(=O)NCc1ccncc1"  # 6 rotatable bonds, aromatic rings only (no puckers)


def _setup(seed: int = 0):
    mol = generate_conformer(Chem.MolFromSmiles(SMILES), seed=seed)
    bonds = rotatable_bonds(mol)
    masks = np.zeros((len(bonds), mol.GetNumAtoms()), dtype=bool)
    for t, atoms in enumerate(torsion_moving_atoms(mol, bonds)):
        masks[t, atoms] = True
    return mol, bonds, masks


def _with_positions(mol: Chem.Mol, pos: np.ndarray) -> Chem.Mol:
    out = Chem.Mol(mol)
    conf = out.GetConformer()
    for i, p in enumerate(pos):
        conf.SetAtomPosition(i, Point3D(*map(float, p)))
    return out


def test_torsion_change_sets_the_dihedral_and_keeps_bond_lengths():
    mol, bonds, masks = _setup()
    pos = mol.GetConformer().GetPositions()
    delta = np.random.default_rng(0).uniform(-np.pi, np.pi, (1, len(bonds)))
    new = apply_torsion_changes(pos, bonds, masks, delta)[0]
    moved = _with_positions(mol, new)
    for t, (u, v) in enumerate(bonds):
        a = next(n.GetIdx() for n in mol.GetAtomWithIdx(u).GetNeighbors() if n.GetIdx() != v)
        b = next(n.GetIdx() for n in mol.GetAtomWithIdx(v).GetNeighbors() if n.GetIdx() != u)
        before = rdMolTransforms.GetDihedralRad(mol.GetConformer(), a, u, v, b)
        after = rdMolTransforms.GetDihedralRad(moved.GetConformer(), a, u, v, b)
        change = np.angle(np.exp(1j * (after - before - delta[0, t])))
        assert abs(change) < 1e-6
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        assert abs(np.linalg.norm(new[i] - new[j]) - np.linalg.norm(pos[i] - pos[j])) < 1e-9


def test_kabsch_rmsd_is_zero_for_a_rigid_motion_and_align_recovers_it():
    pos = np.random.default_rng(1).normal(size=(20, 3))
    moved = pos @ Rotation.random(random_state=2).as_matrix().T + np.array([3.0, -1.0, 2.0])
    assert kabsch_rmsd(moved[None], pos)[0] < 1e-6
    np.testing.assert_allclose(kabsch_align(moved, pos), pos, atol=1e-9)
    mirrored = pos * np.array([1, 1, -1])  # a reflection is not a rotation: RMSD stays > 0
    assert kabsch_rmsd(mirrored[None], pos)[0] > 0.1


def test_recovers_pose_built_from_random_torsions():
    mol, bonds, masks = _setup(seed=0)
    pos = mol.GetConformer().GetPositions()
    delta = np.random.default_rng(3).uniform(-np.pi, np.pi, (1, len(bonds)))
    crystal_pos = apply_torsion_changes(pos, bonds, masks, delta)[0]
    crystal_pos = crystal_pos @ Rotation.random(random_state=4).as_matrix().T + np.array([10.0, -5.0, 3.0])
    crystal = _with_positions(mol, crystal_pos)
    start_rmsd = kabsch_rmsd(pos[None], crystal_pos)[0]
    assert start_rmsd > 1.0  # the random torsions really changed the shape

    matched, rmsd = match_conformer(crystal, seed=0, tries=1)  # seed 0 regenerates the same conformer
    got = matched.GetConformer().GetPositions()
    assert rmsd < 0.05
    assert abs(rmsd - np.sqrt(((got - crystal_pos) ** 2).sum(-1).mean())) < 1e-6  # already aligned
    assert Chem.MolToSmiles(matched) == Chem.MolToSmiles(crystal)


def test_other_conformer_matches_closely():
    crystal, bonds, masks = _setup(seed=7)
    matched, rmsd = match_conformer(crystal, seed=0, tries=2)
    assert rmsd < 0.5  # only bond lengths and angles differ from the target
    assert matched.GetNumAtoms() == crystal.GetNumAtoms()
