"""Symmetry-corrected heavy-atom RMSD (spyrmsd), without superposition: the docking metric."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rdkit import Chem
from spyrmsd.rmsd import symmrmsd

from discodock.errors import InputError


def _heavy(mol: Chem.Mol) -> Chem.Mol:
    return Chem.RemoveHs(mol, sanitize=False)


def _graph(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray]:
    """Atomic numbers and adjacency matrix: what spyrmsd matches atoms by."""
    atomic_numbers = np.array([a.GetAtomicNum() for a in mol.GetAtoms()])
    return atomic_numbers, Chem.GetAdjacencyMatrix(mol)


def _pose_coords(poses: Chem.Mol | Sequence[np.ndarray], n_atoms: int) -> list[np.ndarray]:
    if isinstance(poses, Chem.Mol):
        coords = [conf.GetPositions() for conf in _heavy(poses).GetConformers()]
    else:
        coords = [np.asarray(p, dtype=float) for p in poses]
    if not coords:
        raise InputError("poses", "no poses given")
    for c in coords:
        if c.shape != (n_atoms, 3):
            raise InputError("poses", f"pose has shape {c.shape}, reference has {n_atoms} heavy atoms")
    return coords


def symmetry_rmsd(reference: Chem.Mol, poses: Chem.Mol | Sequence[np.ndarray]) -> np.ndarray:
    """RMSD of each pose to the reference, minimised over the molecule's graph automorphisms.

    RMSD = min over automorphisms π of sqrt(1/N Σ_i ‖x_i − y_π(i)‖²), heavy atoms, no alignment.
    `poses` is a Mol (every conformer is one pose, same atom order as the reference) or a list of
    [N, 3] arrays in the reference's heavy-atom order. The isomorphisms are computed once.
    """
    ref = _heavy(reference)
    if ref.GetNumConformers() == 0:
        raise InputError("reference", "reference ligand has no coordinates")
    atomic_numbers, adjacency = _graph(ref)
    if isinstance(poses, Chem.Mol):
        pose_numbers, _ = _graph(_heavy(poses))
        if not np.array_equal(pose_numbers, atomic_numbers):
            raise InputError("poses", "pose atoms are not in the reference's heavy-atom order")
    coords = _pose_coords(poses, ref.GetNumAtoms())
    ref_coords = ref.GetConformer().GetPositions()
    values = symmrmsd(ref_coords, coords, atomic_numbers, atomic_numbers, adjacency, adjacency,
                      center=False, minimize=False, cache=True)
    return np.atleast_1d(np.asarray(values, dtype=float))


def pairwise_symmetry_rmsd(ligand: Chem.Mol, poses: np.ndarray, max_automorphisms: int = 10_000) -> np.ndarray:
    """RMSD [S, S] between every two poses [S, N, 3] of `ligand` (heavy-atom order), minimised over
    the graph automorphisms (elements and connectivity, as `symmetry_rmsd`); no alignment.

    The automorphisms are found once and all pairs are compared at once, instead of one
    `symmetry_rmsd` call per pose (S isomorphism searches).
    """
    from discodock.chem.ligand import skeleton

    graph = skeleton(_heavy(ligand))
    poses = np.asarray(poses, dtype=float)
    if poses.ndim != 3 or poses.shape[1:] != (graph.GetNumAtoms(), 3):
        raise InputError("poses", f"poses have shape {poses.shape}, ligand has {graph.GetNumAtoms()} heavy atoms")
    automorphisms = graph.GetSubstructMatches(graph, uniquify=False, useChirality=False, maxMatches=max_automorphisms)
    best = np.full((len(poses), len(poses)), np.inf)
    for perm in automorphisms:  # perm[k]: the atom that atom k maps to
        diff = poses[:, None, :, :] - poses[None, :, list(perm), :]
        best = np.minimum(best, np.sqrt((diff**2).sum(-1).mean(-1)))
    return best
