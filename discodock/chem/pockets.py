"""Candidate binding pockets from the protein's shape alone: buried empty space (after LIGSITE, Hendlich et al. 1997).

Grid the protein's box. A grid point is protein if a heavy atom lies within `atom_radius`, else empty.
Through each empty point run the 7 lines of LIGSITE (the 3 axes and the 4 cube diagonals); the point is
enclosed along a line when protein lies within `max_distance` on both sides (a protein-solvent-protein
event). LIGSITE clusters the points enclosed along most lines; on our training complexes those clusters
merge into grooves hundreds of Å^3 wide whose centroids miss the ligand, so instead the enclosure counts
of the empty points are smoothed (Gaussian, `smoothing` Å) and the pockets are the field's highest peaks,
at least `separation` apart. A pocket's score is the smoothed enclosure at its peak (0..7).

`benchmarks/pocket_finding.py` measures how often a ligand's centroid lies near the first k pockets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from discodock.errors import InputError

# LIGSITE's 7 lines: the axes and the cube diagonals, as grid steps
LINES = np.array([(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1), (1, 1, -1), (1, -1, 1), (-1, 1, 1)])


@dataclass(frozen=True)
class Pocket:
    center: np.ndarray  # [3] Å: a peak of the smoothed enclosure field
    score: float  # the smoothed enclosure there (0..7): higher = more buried


def occupancy_grid(atoms: np.ndarray, origin: np.ndarray, shape: tuple[int, int, int], spacing: float,
                   atom_radius: float) -> np.ndarray:
    """bool [X, Y, Z]: grid points with a heavy atom within `atom_radius`."""
    reach = int(np.ceil(atom_radius / spacing))
    axis = np.arange(-reach, reach + 1)
    offsets = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
    nearest = np.rint((atoms - origin) / spacing).astype(int)
    cells = nearest[:, None, :] + offsets[None]  # [A, O, 3]
    close = np.linalg.norm(origin + cells * spacing - atoms[:, None, :], axis=-1) <= atom_radius
    cells = cells[close]
    inside = np.all((cells >= 0) & (cells < shape), axis=1)
    grid = np.zeros(shape, dtype=bool)
    grid[tuple(cells[inside].T)] = True
    return grid


def _seen_within(protein: np.ndarray, step: np.ndarray, steps: int) -> np.ndarray:
    """bool grid: protein at one of the points x + k·step, k = 1..steps."""
    pad = steps * np.abs(step)
    padded = np.pad(protein, [(p, p) for p in pad])
    seen = np.zeros_like(protein)
    size = np.array(protein.shape)
    for k in range(1, steps + 1):
        start = pad + k * step
        seen |= padded[tuple(slice(s, s + n) for s, n in zip(start, size))]
    return seen


def enclosure_counts(protein: np.ndarray, spacing: float, max_distance: float) -> np.ndarray:
    """int [X, Y, Z]: for each grid point, the number of LIGSITE lines with protein on both sides."""
    counts = np.zeros(protein.shape, dtype=np.int8)
    for line in LINES:
        steps = int(max_distance // (spacing * np.linalg.norm(line)))
        counts += _seen_within(protein, line, steps) & _seen_within(protein, -line, steps)
    return counts


def find_pockets(
    atoms: np.ndarray,
    *,
    spacing: float = 1.0,
    atom_radius: float = 2.0,
    max_distance: float = 12.0,
    smoothing: float = 3.0,
    separation: float = 8.0,
    max_pockets: int = 5,
) -> list[Pocket]:
    """Pockets of a protein given its heavy atoms [A, 3] (Å), most buried first; at most `max_pockets`."""
    atoms = np.asarray(atoms, dtype=float).reshape(-1, 3)
    if len(atoms) < 10:
        raise InputError("protein", f"{len(atoms)} heavy atoms: too few to look for pockets")
    origin = atoms.min(0) - atom_radius
    shape = tuple(int(n) for n in np.ceil((atoms.max(0) + atom_radius - origin) / spacing) + 1)
    protein = occupancy_grid(atoms, origin, shape, spacing, atom_radius)
    counts = np.where(protein, 0, enclosure_counts(protein, spacing, max_distance)).astype(float)
    field = ndimage.gaussian_filter(counts, smoothing / spacing)
    peaks = np.argwhere((field == ndimage.maximum_filter(field, size=3)) & (field > 0))
    pockets: list[Pocket] = []
    for peak in peaks[np.argsort(-field[tuple(peaks.T)], kind="stable")]:
        center = origin + peak * spacing
        if all(np.linalg.norm(center - p.center) >= separation for p in pockets):
            pockets.append(Pocket(center, float(field[tuple(peak)])))
            if len(pockets) == max_pockets:
                break
    return pockets
