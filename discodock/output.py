"""What `discodock predict` leaves in its output folder: ranked SDFs, a CSV, a complex PDB, a picture.

Every file is written atomically (see `discodock.atomic`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Geometry import Point3D

from discodock.atomic import atomic_open, atomic_write_text


def pose_molecule(ligand: Chem.Mol, coords: np.ndarray, properties: dict[str, object] | None = None) -> Chem.Mol:
    """A copy of the heavy-atom ligand placed at `coords` [N, 3], hydrogens added with coordinates."""
    coords = np.asarray(coords, dtype=float)
    if coords.shape != (ligand.GetNumAtoms(), 3):
        raise ValueError(f"pose has shape {coords.shape}, ligand has {ligand.GetNumAtoms()} atoms")
    if not np.isfinite(coords).all():
        raise ValueError("refusing to write a pose with non-finite coordinates")
    mol = Chem.Mol(ligand)
    mol.RemoveAllConformers()
    conformer = Chem.Conformer(mol.GetNumAtoms())
    for i, (x, y, z) in enumerate(coords):
        conformer.SetAtomPosition(i, Point3D(float(x), float(y), float(z)))
    conformer.Set3D(True)
    mol.AddConformer(conformer, assignId=True)
    mol = Chem.AddHs(mol, addCoords=True)
    for key, value in (properties or {}).items():
        mol.SetProp(key, str(value))
    return mol


def write_sdf(path: str | Path, mol: Chem.Mol) -> None:
    with atomic_open(path) as handle:
        writer = Chem.SDWriter(handle)
        writer.write(mol)
        writer.close()


def write_poses_csv(path: str | Path, rows: Sequence[dict[str, object]]) -> None:
    with atomic_open(path) as handle:
        pd.DataFrame(list(rows)).to_csv(handle, index=False)


def complex_pdb_text(protein_pdb: str | Path, ligand_pose: Chem.Mol) -> str:
    """The receptor's first model (ATOM/HETATM records) followed by the pose as residue LIG of chain L.

    `protein_pdb` is anything gemmi reads (.pdb, .cif, gzipped too). The pose's atom serials and CONECT
    records continue after the receptor's, so readers that bond by serial (OpenBabel) see the right atoms.
    """
    protein_lines = _protein_pdb_lines(Path(protein_pdb))
    serials = [int(line[6:11]) for line in protein_lines if line.startswith(("ATOM", "HETATM", "TER"))
               and line[6:11].strip().isdigit()]
    offset = max(serials, default=0) + 1  # the pose's serials start after every receptor record
    ligand = Chem.Mol(ligand_pose)
    for atom in ligand.GetAtoms():
        info = Chem.AtomPDBResidueInfo()
        info.SetResidueName("LIG")
        info.SetChainId("L")
        info.SetResidueNumber(1)
        info.SetIsHeteroAtom(True)
        info.SetName(f"{atom.GetSymbol()}{atom.GetIdx() + 1}"[:4].ljust(4))
        atom.SetMonomerInfo(info)
    ligand_lines = [line for line in Chem.MolToPDBBlock(ligand, flavor=4).splitlines()
                    if line.startswith(("HETATM", "CONECT"))]
    if offset + ligand.GetNumAtoms() <= 99999:  # PDB serials have five columns
        ligand_lines = [_shift_serials(line, offset) for line in ligand_lines]
    else:  # no room: no CONECT records, so no reader bonds the pose to receptor atoms of the same serials
        ligand_lines = [line for line in ligand_lines if line.startswith("HETATM")]
    return "\n".join(protein_lines + ["TER"] + ligand_lines + ["END"]) + "\n"


def _protein_pdb_lines(path: Path) -> list[str]:
    """The ATOM/HETATM/TER records of the protein's first model, written by gemmi (which also reads mmCIF
    and gzipped files; an NMR file's other models would otherwise overlay the first)."""
    import gemmi

    structure = gemmi.read_structure(str(path))
    while len(structure) > 1:
        del structure[len(structure) - 1]
    structure.setup_entities()  # without entities gemmi writes no TER record after each polymer chain
    return [line for line in structure.make_pdb_string().splitlines() if line.startswith(("ATOM", "HETATM", "TER"))]


def _shift_serials(line: str, offset: int) -> str:
    """A HETATM or CONECT record with its atom serial numbers (5-column fields from column 7) raised by `offset`."""
    if line.startswith("HETATM"):
        return f"{line[:6]}{int(line[6:11]) + offset:5d}{line[11:]}"
    fields = [line[i:i + 5] for i in range(6, len(line), 5)]
    return "CONECT" + "".join(f"{int(f) + offset:5d}" for f in fields if f.strip())


def write_complex_pdb(path: str | Path, protein_pdb: str | Path, ligand_pose: Chem.Mol) -> None:
    atomic_write_text(path, complex_pdb_text(protein_pdb, ligand_pose))


_ELEMENT_COLOURS = {"C": "#555555", "N": "#3050F8", "O": "#FF0D0D", "S": "#C9A400", "P": "#FF8000", "F": "#2EB82E",
                    "Cl": "#1FF01F", "Br": "#A62929", "I": "#940094"}


def draw_pose_png(path: str | Path, ligand_pose: Chem.Mol, pocket_ca: np.ndarray, title: str = "") -> None:
    """A self-contained picture: the pose and nearby Cα atoms, projected on the pose's principal plane."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    heavy = Chem.RemoveHs(ligand_pose)
    xyz = heavy.GetConformer().GetPositions()
    centre = xyz.mean(axis=0)
    # Principal axes of the ligand give the most informative 2-D view.
    _, _, axes = np.linalg.svd(xyz - centre)
    project = lambda p: (np.asarray(p) - centre) @ axes[:2].T  # noqa: E731
    lig2d = project(xyz)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=120)
    near = pocket_ca[np.linalg.norm(pocket_ca - centre, axis=1) < 12.0] if len(pocket_ca) else pocket_ca
    if len(near):
        p2d = project(near)
        ax.scatter(p2d[:, 0], p2d[:, 1], s=60, c="#9ecae1", alpha=0.5, label="pocket Cα (<12 Å)")
    for bond in heavy.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        ax.plot(lig2d[[i, j], 0], lig2d[[i, j], 1], c="k", lw=1.5, zorder=2)
    colours = [_ELEMENT_COLOURS.get(a.GetSymbol(), "#FF1493") for a in heavy.GetAtoms()]
    ax.scatter(lig2d[:, 0], lig2d[:, 1], c=colours, s=30, zorder=3, edgecolors="k", linewidths=0.3)
    ax.set_aspect("equal")
    ax.set_xlabel("Å (ligand principal axis 1)")
    ax.set_ylabel("Å (ligand principal axis 2)")
    ax.set_title(title, fontsize=9)
    if len(near):  # a legend with no labelled artist only warns
        ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png")
    plt.close(fig)
