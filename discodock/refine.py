"""Monte-Carlo refinement of docked poses in Vina's energy, as Vina's own search moves (Trott & Olson 2010).

The diffusion model proposes poses; Vina's local minimisation only finds the nearest minimum of
each. Refinement walks from a few of the best, *distinct* minimised poses as Vina's search does:
mutate one degree of freedom (the position, the orientation, or one torsion, chosen uniformly),
minimise locally, accept by the Metropolis rule at Vina's temperature RT = 1.2 kcal/mol (600 K),
and keep the lowest-energy pose the chain visits. A chain's best replaces the pose it started from,
so the number of poses stays the same. Vina runs thousands of such steps from random starts; here
a handful of chains of ten steps start where the model already put the ligand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from rdkit import Chem
from scipy.spatial.transform import Rotation

from discodock.chem.torsions import rotatable_bonds, torsion_moving_atoms
from discodock.evaluation.rmsd import pairwise_symmetry_rmsd
from discodock.output import pose_molecule

# (energy in kcal/mol, minimised heavy-atom pose) of a pose: `VinaScorer(pose, local_optimize=True)`
Minimiser = Callable[[Chem.Mol], tuple[float, Chem.Mol]]


@dataclass(frozen=True)
class RefineSettings:
    chains: int = 4  # chains, from the best minimised poses at least `min_separation` apart
    steps: int = 10  # mutate-minimise-accept steps per chain
    min_separation: float = 2.0  # Å, symmetry-corrected RMSD between the chains' starts
    amplitude: float = 2.0  # Å: Vina's mutation amplitude (translation; rotation angle × radius of gyration)
    temperature: float = 1.2  # kcal/mol: Vina's Metropolis temperature
    seed: int = 0


def _inside_unit_ball(rng: np.random.Generator) -> np.ndarray:
    while True:
        point = rng.uniform(-1.0, 1.0, 3)
        if point @ point < 1.0:
            return point


def mutate_pose(pos: np.ndarray, bonds: Sequence[tuple[int, int]], moving: Sequence[Sequence[int]],
                rng: np.random.Generator, amplitude: float = 2.0) -> np.ndarray:
    """Vina's mutation of a pose [N, 3]: one of 2 + T degrees of freedom, uniformly — a translation
    by `amplitude` × a point in the unit ball, a rotation about the centroid by a rotation vector of
    (`amplitude` / radius of gyration) × a point in the unit ball, or torsion t turned by an angle
    uniform in [-π, π) (its `moving[t]` atoms about the bond `bonds[t]` = (u, v))."""
    pos = np.array(pos, dtype=float)
    which = rng.integers(2 + len(bonds))
    if which == 0:
        return pos + amplitude * _inside_unit_ball(rng)
    if which == 1:
        center = pos.mean(0)
        gyration = np.sqrt(((pos - center) ** 2).sum(-1).mean())
        rotation = Rotation.from_rotvec(amplitude / max(gyration, 1e-3) * _inside_unit_ball(rng))
        return rotation.apply(pos - center) + center
    u, v = bonds[which - 2]
    axis = (pos[v] - pos[u]) / np.linalg.norm(pos[v] - pos[u])
    atoms = list(moving[which - 2])
    pos[atoms] = Rotation.from_rotvec(axis * rng.uniform(-np.pi, np.pi)).apply(pos[atoms] - pos[v]) + pos[v]
    return pos


def distinct_starts(ligand: Chem.Mol, poses: np.ndarray, energies: np.ndarray, count: int,
                    min_separation: float) -> list[int]:
    """Indices of up to `count` poses, lowest energy first, each more than `min_separation` Å
    (symmetry-corrected RMSD) from those before it; poses of infinite energy are never picked."""
    rmsd = pairwise_symmetry_rmsd(ligand, poses)
    chosen: list[int] = []
    for i in np.argsort(energies, kind="stable"):
        if len(chosen) == count or not np.isfinite(energies[i]):
            break
        if all(rmsd[i, j] > min_separation for j in chosen):
            chosen.append(int(i))
    return chosen


def refine_chain(minimise: Minimiser, ligand: Chem.Mol, start: np.ndarray, start_energy: float,
                 settings: RefineSettings, rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """(energy, pose) of the lowest minimum a Metropolis chain of `settings.steps` visits from the
    minimised pose `start` [N, 3] (energy `start_energy`); the start itself when nothing is lower."""
    bonds = rotatable_bonds(ligand)
    moving = torsion_moving_atoms(ligand, bonds)
    current, current_energy = np.asarray(start, dtype=float), float(start_energy)
    best, best_energy = current, current_energy
    for _ in range(settings.steps):
        trial = mutate_pose(current, bonds, moving, rng, settings.amplitude)
        energy, minimised = minimise(pose_molecule(ligand, trial))
        if not np.isfinite(energy):  # left the box
            continue
        if energy < current_energy or rng.random() < np.exp((current_energy - energy) / settings.temperature):
            current, current_energy = minimised.GetConformer().GetPositions(), energy
            if energy < best_energy:
                best, best_energy = current, energy
    return best_energy, best


def refine_poses(minimise: Minimiser, ligand: Chem.Mol, poses: np.ndarray, energies: np.ndarray,
                 settings: RefineSettings = RefineSettings()) -> tuple[np.ndarray, np.ndarray]:
    """(energies [S], poses [S, N, 3]): minimised `poses` of `ligand` (heavy atoms) with their Vina
    `energies`, where each chain's start is replaced by the chain's best pose."""
    energies, poses = np.array(energies, dtype=float), np.array(poses, dtype=float)
    rng = np.random.default_rng(settings.seed)
    for i in distinct_starts(ligand, poses, energies, settings.chains, settings.min_separation):
        energies[i], poses[i] = refine_chain(minimise, ligand, poses[i], energies[i], settings, rng)
    return energies, poses
