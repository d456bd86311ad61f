"""Proteins from PDB / mmCIF files (gemmi), reduced to one node per residue.

The docking model sees residues, not atoms (DiffDock's coarse receptor): each residue gives its
Cα, the centroid of its heavy side-chain atoms, its type, chain and residue id.

Choices made explicit here
- First model only (NMR ensembles); first alternative location (gemmi keeps altloc 'A' /
  the first of a point mutation); hydrogens ignored.
- Waters are always dropped. Amino acids are kept, modified ones under their standard parent
  (MSE → MET, SEP → SER, HID → HIS, …), unknown amino acids in ATOM records as 'UNK'.
- Everything else (ions, cofactors, additives, other ligand copies, nucleic acids) is dropped unless
  `keep_hetero=True`; then each becomes one 'UNK' node at its heavy-atom centroid.
- Residues without a Cα (a carbon named CA) are skipped; missing side chains give centroid = Cα.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import gemmi
import numpy as np
import torch
from Bio.Data.PDBData import protein_letters_1to3, protein_letters_3to1_extended

from discodock.errors import InputError

RESIDUE_TYPES: tuple[str, ...] = (
    "ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE",
    "LEU", "LYS", "MET", "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL", "UNK",
)  # fmt: skip
UNK = RESIDUE_TYPES.index("UNK")

# Residue names missing from Biopython's table: protonation states written by MD / docking preparation
# tools, and the 21st and 22nd amino acids.
_PROTONATION_NAMES = {
    "HID": "H", "HIE": "H", "HIP": "H", "HSD": "H", "HSE": "H", "HSP": "H",
    "CYX": "C", "CYM": "C", "ASH": "D", "GLH": "E", "LYN": "K",
    "SEC": "C", "PYL": "K",  # selenocysteine, pyrrolysine: Biopython's table gives no parent, PDB files use HETATM
}  # fmt: skip
_BACKBONE = frozenset({"N", "CA", "C", "O", "OXT"})
_WATERS = frozenset({"HOH", "WAT", "DOD", "H2O", "SOL", "TIP", "TIP3"})


@dataclass
class Protein:
    """Residue-level protein. Shapes: R residues."""

    path: str
    residue_names: list[str]  # as in the file (e.g. 'MSE')
    residue_types: torch.Tensor  # long [R]: index into RESIDUE_TYPES (parent type for modified residues)
    ca: torch.Tensor  # float [R, 3]
    side_chain_centroid: torch.Tensor  # float [R, 3]; = Cα for Gly, missing side chains, hetero nodes
    chain_ids: list[str]
    residue_ids: list[str]  # sequence number + insertion code, e.g. '52A'
    sequence: str  # one letter per residue, 'X' for UNK

    @property
    def num_residues(self) -> int:
        return len(self.residue_names)


@lru_cache(maxsize=None)
def parent_letter(name: str) -> str | None:
    """One-letter code of a residue name's standard parent amino acid, or None if not an amino acid."""
    if name in _PROTONATION_NAMES:
        return _PROTONATION_NAMES[name]
    return protein_letters_3to1_extended.get(name)


def _is_unknown_amino_acid(residue: gemmi.Residue) -> bool:
    """An ATOM-record residue with a backbone but no standard parent (kept as UNK)."""
    return residue.het_flag == "A" and residue.find_atom("N", "*") is not None


def _ca_position(residue: gemmi.Residue) -> np.ndarray | None:
    for atom in residue:
        # element check: calcium ions are also named CA
        if atom.name == "CA" and atom.element.name == "C":
            return np.array(atom.pos.tolist())
    return None


def _heavy_positions(residue: gemmi.Residue, exclude: frozenset[str] = frozenset()) -> np.ndarray:
    pos = [atom.pos.tolist() for atom in residue if not atom.is_hydrogen() and atom.name not in exclude]
    return np.array(pos, dtype=float).reshape(-1, 3)


def _read_structure(path: Path) -> gemmi.Structure:
    if not path.is_file():
        raise InputError(path, "protein file not found")
    try:
        structure = gemmi.read_structure(str(path))
    except (RuntimeError, ValueError) as err:  # gemmi's parse errors; re-raised naming the file
        raise InputError(path, f"cannot read protein structure ({err})") from err
    if len(structure) == 0:
        raise InputError(path, "no model in protein file")
    structure.remove_alternative_conformations()
    return structure


class _Node(NamedTuple):
    letter: str  # one-letter parent code, 'X' for UNK
    anchor: np.ndarray  # Cα (hetero groups: centroid)
    centroid: np.ndarray  # side-chain centroid
    is_amino: bool


def _residue_node(residue: gemmi.Residue, keep_hetero: bool) -> _Node | None:
    """The node a residue becomes, or None to skip it."""
    if residue.is_water() or residue.name.strip() in _WATERS:
        return None
    letter = parent_letter(residue.name.strip())
    if letter is not None or _is_unknown_amino_acid(residue):
        anchor = _ca_position(residue)
        if anchor is None:
            return None
        side_atoms = _heavy_positions(residue, exclude=_BACKBONE)
        return _Node(letter or "X", anchor, side_atoms.mean(0) if len(side_atoms) else anchor, True)
    heavy = _heavy_positions(residue)
    if keep_hetero and len(heavy):
        return _Node("X", heavy.mean(0), heavy.mean(0), False)
    return None


def heavy_atoms(path: str | Path) -> np.ndarray:
    """[A, 3] positions (Å) of the structure's heavy atoms, waters left out (cofactors and ions kept: they
    line pockets too); the first model, first alternative conformations."""
    structure = _read_structure(Path(path))
    atoms = [atom.pos.tolist() for chain in structure[0] for residue in chain
             if not (residue.is_water() or residue.name.strip() in _WATERS)
             for atom in residue if not atom.is_hydrogen()]
    if not atoms:
        raise InputError(path, "no heavy atoms")
    return np.array(atoms, dtype=float)


def read_protein(path: str | Path, *, keep_hetero: bool = False) -> Protein:
    """Read a .pdb or .cif/.mmcif file into residue nodes (see the module docstring for the rules)."""
    path = Path(path)
    structure = _read_structure(path)
    names, letters, ca, side, chains, ids = [], [], [], [], [], []
    num_amino = 0
    for chain in structure[0]:
        for residue in chain:
            node = _residue_node(residue, keep_hetero)
            if node is None:
                continue
            num_amino += node.is_amino
            names.append(residue.name.strip())
            letters.append(node.letter)
            ca.append(node.anchor)
            side.append(node.centroid)
            chains.append(chain.name)
            ids.append(f"{residue.seqid.num}{residue.seqid.icode}".strip())
    if num_amino == 0:
        raise InputError(path, "no protein residues (amino acids with a Cα) found")
    three = [protein_letters_1to3[c].upper() if c != "X" else "UNK" for c in letters]
    return Protein(
        path=str(path),
        residue_names=names,
        residue_types=torch.tensor([RESIDUE_TYPES.index(t) for t in three], dtype=torch.long),
        ca=torch.tensor(np.array(ca), dtype=torch.float32),
        side_chain_centroid=torch.tensor(np.array(side), dtype=torch.float32),
        chain_ids=chains,
        residue_ids=ids,
        sequence="".join(letters),
    )
