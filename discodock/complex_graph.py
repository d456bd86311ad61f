"""The featurised protein–ligand complex: the one data contract between chemistry and model.

`discodock.chem.featurize` builds a `ComplexGraph` from files; the score model, encoder, prior
and confidence model read a `ComplexBatch` made by `collate`. Everything is a plain tensor so a
cached complex loads with `torch.load` on a machine without RDKit (e.g. a training GPU).

Conventions
- Coordinates are in Å, in a frame whose origin is `center` (the protein centre in blind mode,
  the pocket centre in pocket mode): add `center` back before writing a pose.
- Ligand: heavy atoms only. `lig_pos` is the current pose (for training, the crystal pose of the
  matched conformer).
- Torsions: bond t rotates atoms `tor_move[t]` about the axis `lig_pos[u] -> lig_pos[v]`, where
  (u, v) = `tor_bonds[t]`; v lies on the moving side. In a batch the moving sets are stored as
  flat pairs `tor_move_index = [[torsion ids], [atom ids]]` so they concatenate cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch

Tensor = torch.Tensor


@dataclass
class ComplexGraph:
    """One complex. Shapes: N ligand heavy atoms, B bonds, T rotatable bonds, R residues."""

    name: str
    lig_atom_feat: Tensor  # long [N, F]: categorical columns, vocab sizes in chem.featurize.LIGAND_FEATURE_DIMS
    lig_pos: Tensor  # float [N, 3]
    lig_bond_index: Tensor  # long [2, 2B], both directions
    lig_bond_type: Tensor  # long [2B]: 0 single, 1 double, 2 triple, 3 aromatic
    tor_bonds: Tensor  # long [T, 2]: (u, v), atoms on v's side move
    tor_move_index: Tensor  # long [2, M]: (torsion id, atom id) pairs, local ids
    rec_type: Tensor  # long [R]: residue type, vocab in chem.protein.RESIDUE_TYPES
    rec_pos: Tensor  # float [R, 3]: C-alpha
    rec_side: Tensor  # float [R, 3]: side-chain centroid minus C-alpha (zeros for Gly / missing)
    center: Tensor  # float [3]: origin of this frame in the input files' coordinates

    @property
    def num_atoms(self) -> int:
        return int(self.lig_pos.shape[0])

    @property
    def num_torsions(self) -> int:
        return int(self.tor_bonds.shape[0])

    @property
    def num_residues(self) -> int:
        return int(self.rec_pos.shape[0])

    def with_ligand_pos(self, lig_pos: Tensor) -> "ComplexGraph":
        """A copy sharing every tensor but the ligand coordinates."""
        return replace(self, lig_pos=lig_pos)

    def to(self, device: torch.device | str) -> "ComplexGraph":
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(self, **{k: v.to(device) for k, v in moved.items() if isinstance(v, Tensor)})


@dataclass
class ComplexBatch:
    """Several complexes concatenated; *_batch vectors give each node's complex index."""

    names: list[str]
    lig_atom_feat: Tensor
    lig_pos: Tensor
    lig_bond_index: Tensor
    lig_bond_type: Tensor
    lig_batch: Tensor  # long [N_total]
    tor_bonds: Tensor  # long [T_total, 2], global atom ids
    tor_move_index: Tensor  # long [2, M_total], global torsion and atom ids
    tor_batch: Tensor  # long [T_total]
    rec_type: Tensor
    rec_pos: Tensor
    rec_side: Tensor
    rec_batch: Tensor  # long [R_total]
    center: Tensor  # float [G, 3]

    @property
    def num_graphs(self) -> int:
        return len(self.names)

    def to(self, device: torch.device | str) -> "ComplexBatch":
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        return replace(self, **{k: v.to(device) for k, v in moved.items() if isinstance(v, Tensor)})


def _segment_ids(sizes: list[int]) -> Tensor:
    return torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes, dtype=torch.long))


def collate(graphs: list[ComplexGraph]) -> ComplexBatch:
    """Concatenate complexes, shifting atom and torsion ids by the running offsets."""
    if not graphs:
        raise ValueError("collate needs at least one complex")
    atom_offsets = torch.tensor([0] + [g.num_atoms for g in graphs[:-1]]).cumsum(0)
    tor_offsets = torch.tensor([0] + [g.num_torsions for g in graphs[:-1]]).cumsum(0)
    bond_index, tor_bonds, tor_move = [], [], []
    for g, a0, t0 in zip(graphs, atom_offsets, tor_offsets):
        bond_index.append(g.lig_bond_index + a0)
        tor_bonds.append(g.tor_bonds.reshape(-1, 2) + a0)
        tor_move.append(g.tor_move_index.reshape(2, -1) + torch.stack([t0, a0]).view(2, 1))
    return ComplexBatch(
        names=[g.name for g in graphs],
        lig_atom_feat=torch.cat([g.lig_atom_feat for g in graphs]),
        lig_pos=torch.cat([g.lig_pos for g in graphs]),
        lig_bond_index=torch.cat(bond_index, dim=1),
        lig_bond_type=torch.cat([g.lig_bond_type for g in graphs]),
        lig_batch=_segment_ids([g.num_atoms for g in graphs]),
        tor_bonds=torch.cat(tor_bonds),
        tor_move_index=torch.cat(tor_move, dim=1),
        tor_batch=_segment_ids([g.num_torsions for g in graphs]),
        rec_type=torch.cat([g.rec_type for g in graphs]),
        rec_pos=torch.cat([g.rec_pos for g in graphs]),
        rec_side=torch.cat([g.rec_side for g in graphs]),
        rec_batch=_segment_ids([g.num_residues for g in graphs]),
        center=torch.stack([g.center for g in graphs]),
    )
