"""Torsion updates and DiffDock's full pose update on a real RDKit conformer."""

from __future__ import annotations

import math

import pytest
import torch
from rdkit import Chem
from rdkit.Chem import AllChem, rdMolTransforms
from scipy.spatial.transform import Rotation

from discodock.geometry import (
    apply_torsion_updates,
    axis_angle_to_matrix,
    dihedral_angles,
    kabsch,
    modify_conformer,
    rigid_transform,
)
from discodock.geometry.torsion import torsion_quads

SMILES = "CC(=O)Nc1ccc(OCCN(C)CC(O)c2ccccc2)cc1"


def _side(mol: Chem.Mol, start: int, cut: tuple[int, int]) -> set[int]:
    """Atoms reachable from `start` without crossing bond `cut`."""
    seen, stack = {start}, [start]
    while stack:
        a = stack.pop()
        for nb in mol.GetAtomWithIdx(a).GetNeighbors():
            j = nb.GetIdx()
            if {a, j} == set(cut) or j in seen:
                continue
            seen.add(j)
            stack.append(j)
    return seen


def rotatable_bonds(mol: Chem.Mol) -> list[tuple[int, int, list[int]]]:
    """DiffDock's definition: a non-ring bond whose removal leaves > 1 atom on each side; v's side moves."""
    out = []
    for bond in mol.GetBonds():
        if bond.IsInRing():
            continue
        u, v = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        side_v = _side(mol, v, (u, v))
        if len(side_v) > 1 and mol.GetNumAtoms() - len(side_v) > 1:
            out.append((u, v, sorted(side_v)))
    return out


@pytest.fixture(scope="module")
def ligand():
    mol = Chem.AddHs(Chem.MolFromSmiles(SMILES))
    AllChem.EmbedMolecule(mol, randomSeed=7)
    mol = Chem.RemoveHs(mol)
    tors = rotatable_bonds(mol)
    pos = torch.from_numpy(mol.GetConformer().GetPositions())
    tor_bonds = torch.tensor([[u, v] for u, v, _ in tors])
    move = torch.tensor([[t, a] for t, (_, _, side) in enumerate(tors) for a in side]).T
    return mol, pos, tor_bonds, move


def bond_geometry(mol: Chem.Mol, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    bonds = torch.tensor([[b.GetBeginAtomIdx(), b.GetEndAtomIdx()] for b in mol.GetBonds()])
    angles = torch.tensor(
        [
            [a.GetIdx(), j.GetIdx(), k.GetIdx()]
            for j in mol.GetAtoms()
            for a in j.GetNeighbors()
            for k in j.GetNeighbors()
            if a.GetIdx() < k.GetIdx()
        ]
    )
    lengths = (pos[:, bonds[:, 0]] - pos[:, bonds[:, 1]]).norm(dim=-1)
    e1 = pos[:, angles[:, 0]] - pos[:, angles[:, 1]]
    e2 = pos[:, angles[:, 2]] - pos[:, angles[:, 1]]
    cos = (e1 * e2).sum(-1) / (e1.norm(dim=-1) * e2.norm(dim=-1))
    return lengths, cos


def random_delta(s: int, t: int, seed: int = 0) -> torch.Tensor:
    return (torch.rand(s, t, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 2 - 1) * math.pi


def test_fixture_has_several_rotatable_bonds(ligand):
    assert ligand[2].shape[0] >= 8


def test_updates_preserve_bond_lengths_and_angles_and_change_the_conformer(ligand):
    mol, pos, tor_bonds, move = ligand
    S = 8
    x = pos.expand(S, -1, -1)
    out = apply_torsion_updates(x, tor_bonds, move, random_delta(S, len(tor_bonds)))
    l0, c0 = bond_geometry(mol, x)
    l1, c1 = bond_geometry(mol, out)
    assert torch.allclose(l0, l1, atol=1e-10) and torch.allclose(c0, c1, atol=1e-10)
    assert (out - x).norm(dim=-1).max() > 1.0


def test_update_then_negated_reverse_returns_input(ligand):
    _, pos, tor_bonds, move = ligand
    S, T = 5, len(tor_bonds)
    delta = random_delta(S, T, seed=1)
    out = apply_torsion_updates(pos.expand(S, -1, -1), tor_bonds, move, delta)
    reverse_move = torch.stack([T - 1 - move[0], move[1]])
    back = apply_torsion_updates(out, tor_bonds.flip(0), reverse_move, -delta.flip(1))
    assert torch.allclose(back, pos.expand(S, -1, -1), atol=1e-10)


def test_each_torsion_turns_its_dihedral_by_delta(ligand):
    mol, pos, tor_bonds, move = ligand
    quads = []
    for u, v in tor_bonds.tolist():
        a = next(n.GetIdx() for n in mol.GetAtomWithIdx(u).GetNeighbors() if n.GetIdx() != v)
        b = next(n.GetIdx() for n in mol.GetAtomWithIdx(v).GetNeighbors() if n.GetIdx() != u)
        quads.append([a, u, v, b])
    quads = torch.tensor(quads)
    before = dihedral_angles(pos[None], quads)[0]
    conf = mol.GetConformer()
    rdkit = torch.tensor([rdMolTransforms.GetDihedralRad(conf, *q) for q in quads.tolist()], dtype=torch.float64)
    assert torch.allclose(before, rdkit, atol=1e-10)
    T = len(tor_bonds)
    delta = torch.diag(random_delta(1, T, seed=2)[0])  # sample t turns only torsion t
    after = dihedral_angles(apply_torsion_updates(pos.expand(T, -1, -1), tor_bonds, move, delta), quads)
    change = torch.remainder(after.diagonal() - before + math.pi, 2 * math.pi) - math.pi
    assert torch.allclose(change, delta.diagonal(), atol=1e-10)


def test_samples_are_independent(ligand):
    _, pos, tor_bonds, move = ligand
    delta = random_delta(3, len(tor_bonds), seed=3)
    batched = apply_torsion_updates(pos.expand(3, -1, -1), tor_bonds, move, delta)
    for s in range(3):
        single = apply_torsion_updates(pos[None], tor_bonds, move, delta[s : s + 1])
        assert torch.allclose(batched[s], single[0], atol=1e-12)


def diffdock_order(pos, tr, rot, tor, tor_bonds, move):
    """Reference: DiffDock's own order (rigid move first, then torsions Kabsch-aligned onto the rigid pose)."""
    center = pos.mean(-2, keepdim=True)
    rigid = rigid_transform(pos - center, axis_angle_to_matrix(rot), tr) + center
    flexible = apply_torsion_updates(rigid, tor_bonds, move, tor)
    R, t = kabsch(flexible, rigid)
    return rigid_transform(flexible, R, t)


def test_modify_conformer_matches_diffdock_order_and_keeps_centroid(ligand):
    _, pos, tor_bonds, move = ligand
    g = torch.Generator().manual_seed(4)
    S = 6
    x = pos.expand(S, -1, -1)
    tr = torch.randn(S, 3, generator=g, dtype=torch.float64) * 3
    rot = torch.randn(S, 3, generator=g, dtype=torch.float64)
    tor = random_delta(S, len(tor_bonds), seed=5)
    out = modify_conformer(x, tr, rot, tor, tor_bonds, move)
    assert torch.allclose(out, diffdock_order(x, tr, rot, tor, tor_bonds, move), atol=1e-9)
    assert torch.allclose(out.mean(-2), x.mean(-2) + tr, atol=1e-10)
    rigid_only = modify_conformer(x, tr, rot, None, tor_bonds, move)
    assert torch.allclose(rigid_only.mean(-2), x.mean(-2) + tr, atol=1e-10)
    assert torch.allclose(torch.cdist(rigid_only, rigid_only), torch.cdist(x, x), atol=1e-9)


def test_modify_conformer_is_equivariant_under_global_rotation(ligand):
    _, pos, tor_bonds, move = ligand
    g = torch.Generator().manual_seed(6)
    S = 4
    x = pos.expand(S, -1, -1) + torch.randn(3, generator=g, dtype=torch.float64) * 5
    tr = torch.randn(S, 3, generator=g, dtype=torch.float64)
    rot = torch.randn(S, 3, generator=g, dtype=torch.float64)
    tor = random_delta(S, len(tor_bonds), seed=7)
    Q = torch.from_numpy(Rotation.random(random_state=8).as_matrix())
    out = modify_conformer(x, tr, rot, tor, tor_bonds, move)
    out_rotated_input = modify_conformer(x @ Q.T, tr @ Q.T, rot @ Q.T, tor, tor_bonds, move)
    assert torch.allclose(out_rotated_input, out @ Q.T, atol=1e-9)


def test_float32_and_autograd(ligand):
    _, pos, tor_bonds, move = ligand
    delta = torch.zeros(2, len(tor_bonds), requires_grad=True)
    out = modify_conformer(pos.float().expand(2, -1, -1), torch.zeros(2, 3), torch.zeros(2, 3), delta, tor_bonds, move)
    assert out.dtype == torch.float32
    out.pow(2).sum().backward()
    assert torch.isfinite(delta.grad).all()


def test_torsion_quads_are_every_dihedral_about_each_rotatable_bond(ligand):
    mol, pos, tor_bonds, _ = ligand
    pairs = torch.tensor([[b.GetBeginAtomIdx(), b.GetEndAtomIdx()] for b in mol.GetBonds()]).T
    quads, bond = torsion_quads(torch.cat([pairs, pairs.flip(0)], dim=1), tor_bonds)
    expected = sorted(
        (t, a.GetIdx(), u, v, b.GetIdx())
        for t, (u, v) in enumerate(tor_bonds.tolist())
        for a in mol.GetAtomWithIdx(u).GetNeighbors() if a.GetIdx() != v
        for b in mol.GetAtomWithIdx(v).GetNeighbors() if b.GetIdx() != u
    )
    assert sorted((t, *q) for t, q in zip(bond.tolist(), quads.tolist())) == expected
    assert bond.tolist() == sorted(bond.tolist()) and len(set(bond.tolist())) == tor_bonds.shape[0]
    # a torsion update turns every dihedral about its bond by the same angle
    delta = random_delta(1, tor_bonds.shape[0], seed=3)
    moved = apply_torsion_updates(pos.unsqueeze(0), tor_bonds, ligand[3], delta)
    turned = dihedral_angles(moved, quads) - dihedral_angles(pos.unsqueeze(0), quads)
    torch.testing.assert_close(torch.remainder(turned - delta[:, bond] + math.pi, 2 * math.pi) - math.pi,
                               torch.zeros_like(turned), atol=1e-9, rtol=0)


def test_torsion_quads_of_no_bonds_are_empty():
    quads, bond = torsion_quads(torch.tensor([[0, 1], [1, 0]]), torch.zeros(0, 2, dtype=torch.long))
    assert quads.shape == (0, 4) and bond.shape == (0,)
