"""Files → ComplexGraph: ligand atom/bond features, torsions and residue nodes in a centred frame.

Ligand atom features are DiffDock-like categorical columns, each with a last 'other' bucket so an
unseen value still has an embedding. The vocabularies are small on purpose: the training pool is a
few hundred complexes, and rare values are better pooled than given untrained rows.
"""

from __future__ import annotations

import torch
from rdkit import Chem

from discodock.chem.protein import Protein
from discodock.chem.torsions import rotatable_bonds, torsion_moving_atoms
from discodock.complex_graph import ComplexGraph
from discodock.errors import InputError

_ELEMENTS = ("C", "N", "O", "S", "F", "Cl", "Br", "I", "P", "B", "Si", "Se")
_CHIRALITY = (
    Chem.ChiralType.CHI_UNSPECIFIED,
    Chem.ChiralType.CHI_TETRAHEDRAL_CW,
    Chem.ChiralType.CHI_TETRAHEDRAL_CCW,
)
_DEGREES = (0, 1, 2, 3, 4, 5, 6)  # total degree, hydrogens included
_CHARGES = (-2, -1, 0, 1, 2)
_NUM_HS = (0, 1, 2, 3, 4)
_HYBRIDISATION = (
    Chem.HybridizationType.SP,
    Chem.HybridizationType.SP2,
    Chem.HybridizationType.SP3,
    Chem.HybridizationType.SP3D,
    Chem.HybridizationType.SP3D2,
)
_AROMATIC = (False, True)
_NUM_RINGS = (0, 1, 2, 3)  # rings the atom belongs to
_RING_SIZES = (0, 3, 4, 5, 6, 7, 8)  # smallest ring the atom is in, 0 = none

# One vocabulary per column of ligand_atom_features, in column order.
_VOCABS = (_ELEMENTS, _CHIRALITY, _DEGREES, _CHARGES, _NUM_HS, _HYBRIDISATION, _AROMATIC, _NUM_RINGS, _RING_SIZES)
LIGAND_FEATURE_NAMES: tuple[str, ...] = (
    "element", "chirality", "degree", "formal_charge", "num_hs", "hybridisation", "aromatic", "num_rings",
    "smallest_ring",
)  # fmt: skip
LIGAND_FEATURE_DIMS: tuple[int, ...] = tuple(len(v) + 1 for v in _VOCABS)  # +1: the 'other' bucket

BOND_TYPES = {
    Chem.BondType.SINGLE: 0,
    Chem.BondType.DOUBLE: 1,
    Chem.BondType.TRIPLE: 2,
    Chem.BondType.AROMATIC: 3,
}


def _index(vocab: tuple, value: object) -> int:
    """Position of value in vocab, or the 'other' bucket len(vocab)."""
    return vocab.index(value) if value in vocab else len(vocab)


def _smallest_ring(ring_info: Chem.RingInfo, atom_idx: int) -> int:
    sizes = [len(ring) for ring in ring_info.AtomRings() if atom_idx in ring]
    return min(sizes) if sizes else 0


def ligand_atom_features(mol: Chem.Mol) -> torch.Tensor:
    """Categorical atom features, long [N, F]; column c takes values in [0, LIGAND_FEATURE_DIMS[c])."""
    ring_info = mol.GetRingInfo()
    rows = []
    for atom in mol.GetAtoms():
        i = atom.GetIdx()
        values = (
            atom.GetSymbol(), atom.GetChiralTag(), atom.GetTotalDegree(), atom.GetFormalCharge(),
            atom.GetTotalNumHs(), atom.GetHybridization(), atom.GetIsAromatic(), ring_info.NumAtomRings(i),
            _smallest_ring(ring_info, i),
        )  # fmt: skip
        rows.append([_index(vocab, value) for vocab, value in zip(_VOCABS, values)])
    return torch.tensor(rows, dtype=torch.long).reshape(-1, len(_VOCABS))


def ligand_bonds(mol: Chem.Mol) -> tuple[torch.Tensor, torch.Tensor]:
    """Bond index long [2, 2B] (both directions, consecutive) and bond type long [2B] (other orders → single)."""
    pairs, types = [], []
    for bond in mol.GetBonds():
        u, v = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        kind = BOND_TYPES.get(bond.GetBondType(), 0)
        pairs += [(u, v), (v, u)]
        types += [kind, kind]
    index = torch.tensor(pairs, dtype=torch.long).reshape(-1, 2).T.contiguous()
    return index, torch.tensor(types, dtype=torch.long)


def torsion_tensors(mol: Chem.Mol) -> tuple[torch.Tensor, torch.Tensor]:
    """tor_bonds long [T, 2] (u, v) and tor_move_index long [2, M] of (torsion id, moving atom id) pairs."""
    bonds = rotatable_bonds(mol)
    moving = torsion_moving_atoms(mol, bonds)
    pairs = [(t, a) for t, atoms in enumerate(moving) for a in atoms]
    tor_bonds = torch.tensor(bonds, dtype=torch.long).reshape(-1, 2)
    return tor_bonds, torch.tensor(pairs, dtype=torch.long).reshape(-1, 2).T.contiguous()


def featurize_complex(
    protein: Protein,
    ligand: Chem.Mol,
    *,
    name: str,
    center: torch.Tensor | None = None,
    pocket_radius: float | None = None,
) -> ComplexGraph:
    """The ComplexGraph of a protein and a ligand pose (its current conformer), in a frame centred on `center`.

    center: defaults to the mean Cα of the whole protein (blind docking). pocket_radius: keep only
    residues whose Cα lies within this distance (Å) of center. Hydrogens on the ligand are dropped.
    """
    ligand = Chem.RemoveAllHs(ligand)
    if ligand.GetNumConformers() == 0:
        raise InputError(name, "ligand has no conformer (read it with chem.ligand.read_ligand)")
    center = protein.ca.mean(0) if center is None else torch.as_tensor(center, dtype=torch.float32).reshape(3)
    keep = torch.ones(protein.num_residues, dtype=torch.bool)
    if pocket_radius is not None:
        keep = (protein.ca - center).norm(dim=-1) <= pocket_radius
        if not keep.any():
            raise InputError(name, f"no residue has its Cα within {pocket_radius} Å of the pocket centre")
    lig_pos = torch.tensor(ligand.GetConformer().GetPositions(), dtype=torch.float32)
    bond_index, bond_type = ligand_bonds(ligand)
    tor_bonds, tor_move_index = torsion_tensors(ligand)
    return ComplexGraph(
        name=name,
        lig_atom_feat=ligand_atom_features(ligand),
        lig_pos=lig_pos - center,
        lig_bond_index=bond_index,
        lig_bond_type=bond_type,
        tor_bonds=tor_bonds,
        tor_move_index=tor_move_index,
        rec_type=protein.residue_types[keep],
        rec_pos=protein.ca[keep] - center,
        rec_side=protein.side_chain_centroid[keep] - protein.ca[keep],
        center=center.clone(),
    )
