"""Pocket finding: a synthetic cup, rigid motions, the wheel's example complexes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from scipy.spatial.transform import Rotation

from discodock.chem.pockets import enclosure_counts, find_pockets, occupancy_grid
from discodock.chem.protein import heavy_atoms
from discodock.errors import InputError


def cup(radius: float = 9.0, opening_degrees: float = 50.0, spacing: float = 1.5) -> np.ndarray:
    """Atoms on a sphere around the origin, with a round opening towards +z: one buried cavity."""
    n = int(4 * np.pi * radius**2 / spacing**2)
    k = np.arange(n) + 0.5  # Fibonacci sphere: evenly spread points
    polar, azimuth = np.arccos(1 - 2 * k / n), np.pi * (1 + 5**0.5) * k
    points = radius * np.stack([np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth), np.cos(polar)], -1)
    return points[np.degrees(polar) > opening_degrees]


def test_cup_pocket_is_its_cavity():
    pockets = find_pockets(cup())
    assert np.linalg.norm(pockets[0].center) < 2.5
    assert pockets == sorted(pockets, key=lambda p: -p.score)


def test_pockets_follow_rigid_motions():
    atoms = cup()
    rotation, shift = Rotation.from_euler("xyz", [30, -50, 70], degrees=True), np.array([12.0, -4.0, 31.0])
    moved = find_pockets(rotation.apply(atoms) + shift)[0].center
    expected = rotation.apply(find_pockets(atoms)[0].center) + shift
    assert np.linalg.norm(moved - expected) < 2.0  # grid of 1 Å, axis-aligned: equal up to its resolution


def test_a_point_inside_a_closed_shell_is_enclosed_along_all_lines():
    atoms = cup(opening_degrees=0.0)
    origin, spacing = atoms.min(0) - 2.0, 1.0
    shape = tuple(int(n) for n in np.ceil((atoms.max(0) + 2.0 - origin) / spacing) + 1)
    protein = occupancy_grid(atoms, origin, shape, spacing, atom_radius=2.0)
    centre = tuple(np.rint(-origin / spacing).astype(int))
    assert not protein[centre]
    assert enclosure_counts(protein, spacing, max_distance=12.0)[centre] == 7
    assert enclosure_counts(protein, spacing, max_distance=4.0)[centre] == 0  # the shell is 9 Å away


@pytest.mark.parametrize("name", ["1ia1", "1s3v", "1uou"])
def test_wheel_examples_first_pocket_holds_the_ligand(posebusters_examples, name):
    folder = posebusters_examples / name
    ligand = Chem.MolFromMolFile(str(folder / f"{name}_ligand.sdf"))
    centroid = ligand.GetConformer().GetPositions().mean(0)
    pockets = find_pockets(heavy_atoms(next(folder.glob("*_protein*.pdb"))))
    assert np.linalg.norm(pockets[0].center - centroid) < 4.0


def test_separation_and_count():
    pockets = find_pockets(cup(), separation=5.0, max_pockets=3)
    assert len(pockets) <= 3
    centres = np.array([p.center for p in pockets])
    assert all(np.linalg.norm(a - b) >= 5.0 for i, a in enumerate(centres) for b in centres[i + 1:])


def test_too_few_atoms_is_an_input_error():
    with pytest.raises(InputError, match="too few"):
        find_pockets(np.zeros((3, 3)))
