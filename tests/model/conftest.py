"""Synthetic complexes for the model tests: chain ligands with torsions next to a cloud of residues."""

from __future__ import annotations

import pytest
import torch

from discodock.complex_graph import ComplexBatch, ComplexGraph, collate
from discodock.model.config import ModelConfig


def synthetic_complex(num_atoms: int, num_residues: int, num_torsions: int, seed: int, cfg: ModelConfig | None = None) -> ComplexGraph:
    """A chain ligand (1.5 Å steps) near the origin and residues spread over a ~12 Å ball."""
    cfg = cfg or ModelConfig()
    g = torch.Generator().manual_seed(seed)
    steps = torch.randn(num_atoms, 3, generator=g)
    lig_pos = (1.5 * steps / steps.norm(dim=1, keepdim=True)).cumsum(0)
    lig_pos = lig_pos - lig_pos.mean(0)
    chain = torch.stack([torch.arange(num_atoms - 1), torch.arange(1, num_atoms)])
    bond_index = torch.cat([chain, chain.flip(0)], dim=1)
    bond_type = torch.randint(0, 4, (num_atoms - 1,), generator=g).repeat(2)
    starts = torch.linspace(1, num_atoms - 3, num_torsions).long()
    tor_bonds = torch.stack([starts, starts + 1], dim=1)
    moves = [(t, a) for t, v in enumerate((starts + 1).tolist()) for a in range(v + 1, num_atoms)]
    feat = torch.stack([torch.randint(0, d, (num_atoms,), generator=g) for d in cfg.ligand_feature_dims], dim=1)
    return ComplexGraph(
        name=f"synthetic_{seed}",
        lig_atom_feat=feat,
        lig_pos=lig_pos,
        lig_bond_index=bond_index,
        lig_bond_type=bond_type,
        tor_bonds=tor_bonds,
        tor_move_index=torch.tensor(moves, dtype=torch.long).reshape(-1, 2).T,
        rec_type=torch.randint(0, cfg.num_residue_types, (num_residues,), generator=g),
        rec_pos=12.0 * torch.rand(num_residues, 1, generator=g) ** (1 / 3) * torch.nn.functional.normalize(torch.randn(num_residues, 3, generator=g), dim=1),
        rec_side=torch.randn(num_residues, 3, generator=g),
        center=torch.zeros(3),
    )


def synthetic_batch(sizes: list[tuple[int, int, int]], seed: int = 0, dtype: torch.dtype = torch.float32) -> ComplexBatch:
    """Collate complexes of the given (atoms, residues, torsions) sizes."""
    batch = collate([synthetic_complex(n, r, t, seed + i) for i, (n, r, t) in enumerate(sizes)])
    batch.lig_pos, batch.rec_pos, batch.rec_side = (x.to(dtype) for x in (batch.lig_pos, batch.rec_pos, batch.rec_side))
    return batch


def moved(batch: ComplexBatch, rot: torch.Tensor, shift: torch.Tensor) -> ComplexBatch:
    """The same complexes rotated by rot [3, 3] and translated by shift [3] (side-chain vectors rotate too)."""
    out = ComplexBatch(**{k: getattr(batch, k) for k in batch.__dataclass_fields__})
    out.lig_pos = batch.lig_pos @ rot.T + shift
    out.rec_pos = batch.rec_pos @ rot.T + shift
    out.rec_side = batch.rec_side @ rot.T
    return out


@pytest.fixture
def cfg() -> ModelConfig:
    return ModelConfig()


@pytest.fixture
def batch2() -> ComplexBatch:
    """Two complexes of different sizes: (12 atoms, 30 residues, 2 torsions) and (9, 24, 1)."""
    return synthetic_batch([(12, 30, 2), (9, 24, 1)])
