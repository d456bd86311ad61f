"""Tiny synthetic complexes (no RDKit, no files) for tests and smoke runs of the training code.

A ligand is a zig-zag chain (1.5 Å bonds, tetrahedral angles, random dihedrals) whose inner bonds
are rotatable; the receptor is a shell of residues around it. Sizes are small so a few training
steps take well under a second on one CPU thread.
"""

from __future__ import annotations

import math

import torch

from discodock.complex_graph import ComplexGraph
from discodock.model.config import DEFAULT_LIGAND_FEATURE_DIMS, DEFAULT_NUM_RESIDUE_TYPES

BOND = 1.5  # Å
ANGLE = math.radians(109.5)


def _place(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, dihedral: float) -> torch.Tensor:
    """The atom d with |cd| = BOND, angle bcd = ANGLE and dihedral abcd (natural extension reference frame)."""
    bc = (c - b) / (c - b).norm()
    n = torch.linalg.cross(b - a, bc)
    n = n / n.norm()
    m = torch.linalg.cross(n, bc)
    d2 = torch.tensor([-BOND * math.cos(ANGLE), BOND * math.sin(ANGLE) * math.cos(dihedral),
                       BOND * math.sin(ANGLE) * math.sin(dihedral)])
    return c + d2[0] * bc + d2[1] * m + d2[2] * n


def chain_positions(num_atoms: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """[N, 3] zig-zag chain with random dihedrals, centred at the origin."""
    pos = [torch.zeros(3), torch.tensor([BOND, 0.0, 0.0]),
           torch.tensor([BOND - BOND * math.cos(ANGLE), BOND * math.sin(ANGLE), 0.0])]
    for _ in range(3, num_atoms):
        dihedral = float(torch.rand(1, generator=generator)) * 2 * math.pi - math.pi
        pos.append(_place(pos[-3], pos[-2], pos[-1], dihedral))
    out = torch.stack(pos[:num_atoms])
    return out - out.mean(0)


def synthetic_complex(
    name: str = "synthetic",
    num_atoms: int = 8,
    num_residues: int = 30,
    generator: torch.Generator | None = None,
) -> ComplexGraph:
    """A small chain ligand (num_atoms − 3 rotatable bonds) inside a shell of residues; origin at the protein centre."""
    if num_atoms < 3:
        raise ValueError("a synthetic ligand needs at least 3 atoms")
    lig_pos = chain_positions(num_atoms, generator)
    bonds = torch.stack([torch.arange(num_atoms - 1), torch.arange(1, num_atoms)])
    # inner bonds (1,2) … (N−3, N−2) rotate; atoms beyond v move
    tor_bonds = torch.tensor([[i, i + 1] for i in range(1, num_atoms - 2)], dtype=torch.long).reshape(-1, 2)
    move = [(t, a) for t, (u, v) in enumerate(tor_bonds.tolist()) for a in range(v + 1, num_atoms)]
    tor_move_index = torch.tensor(move, dtype=torch.long).reshape(-1, 2).T.contiguous()
    feat = torch.stack([torch.randint(0, min(d, 4), (num_atoms,), generator=generator) for d in DEFAULT_LIGAND_FEATURE_DIMS], 1)
    direction = torch.randn(num_residues, 3, generator=generator)
    direction = direction / direction.norm(dim=-1, keepdim=True)
    radius = 6.0 + 6.0 * torch.rand(num_residues, 1, generator=generator)
    rec_pos = direction * radius
    offset = rec_pos.mean(0)  # origin at the protein centre, as featurize_complex does in blind mode
    return ComplexGraph(
        name=name,
        lig_atom_feat=feat,
        lig_pos=lig_pos - offset,
        lig_bond_index=torch.cat([bonds, bonds.flip(0)], dim=1),
        lig_bond_type=torch.zeros(2 * (num_atoms - 1), dtype=torch.long),
        tor_bonds=tor_bonds,
        tor_move_index=tor_move_index,
        rec_type=torch.randint(0, DEFAULT_NUM_RESIDUE_TYPES, (num_residues,), generator=generator),
        rec_pos=rec_pos - offset,
        rec_side=torch.randn(num_residues, 3, generator=generator) * 1.5,
        center=offset,
    )


def synthetic_dataset(num: int = 8, seed: int = 0, num_atoms: int = 8, num_residues: int = 30) -> list[ComplexGraph]:
    """`num` synthetic complexes with different (random) proteins and ligand shapes."""
    gen = torch.Generator().manual_seed(seed)
    return [synthetic_complex(f"syn{i}", num_atoms + i % 3, num_residues, gen) for i in range(num)]


__all__ = ["chain_positions", "synthetic_complex", "synthetic_dataset"]
