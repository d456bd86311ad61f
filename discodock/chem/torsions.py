"""Rotatable bonds as DiffDock defines them, and the side of each that moves.

DiffDock (`utils/torsion.py: get_transformation_mask`): a bond is a torsion when removing it splits
the molecular graph (so it is in no ring) and the smaller side holds more than one heavy atom, so
rotating it moves something (a terminal methyl, hydroxyl or halogen does not count). Unlike DiffDock,
only single bonds rotate: turning a chain double bond between two multi-atom sides would turn an E
isomer into its Z isomer (another molecule), and a triple bond's axis has no dihedral to set.
The smaller side moves: (u, v) is oriented so that v belongs to it.
"""

from __future__ import annotations

from rdkit import Chem


def _side(mol: Chem.Mol, start: int, blocked: int) -> list[int]:
    """Atoms reachable from `start` without stepping onto `blocked` (i.e. one side of the bond)."""
    seen, stack = {start}, [start]
    while stack:
        for nbr in mol.GetAtomWithIdx(stack.pop()).GetNeighbors():
            j = nbr.GetIdx()
            if j != blocked and j not in seen:
                seen.add(j)
                stack.append(j)
    return sorted(seen)


def _heavy_count(mol: Chem.Mol, atoms: list[int]) -> int:
    return sum(mol.GetAtomWithIdx(i).GetAtomicNum() > 1 for i in atoms)


def rotatable_bonds(mol: Chem.Mol) -> list[tuple[int, int]]:
    """DiffDock's rotatable bonds less the double and triple ones, in bond order, each as (u, v) with v on
    the moving (smaller) side.

    Sides are measured in heavy atoms; on a tie v is the bond's end atom.
    """
    bonds = []
    for bond in mol.GetBonds():
        if bond.IsInRing() or bond.GetBondType() != Chem.BondType.SINGLE:
            continue
        u, v = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        n_u = _heavy_count(mol, _side(mol, u, blocked=v))
        n_v = _heavy_count(mol, _side(mol, v, blocked=u))
        if min(n_u, n_v) < 2:
            continue
        bonds.append((v, u) if n_u < n_v else (u, v))
    return bonds


def torsion_moving_atoms(mol: Chem.Mol, bonds: list[tuple[int, int]]) -> list[list[int]]:
    """For each bond (u, v): the sorted atom ids on v's side (v included; it lies on the axis and stays put)."""
    return [_side(mol, v, blocked=u) for u, v in bonds]
