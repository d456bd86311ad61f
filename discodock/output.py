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
    """The receptor's ATOM/HETATM records followed by the pose as residue LIG of chain L.

    `protein_pdb` may also be mmCIF (.cif/.mmcif): gemmi converts it to PDB records first.
    """
    keep = ("ATOM", "HETATM", "TER")
    protein_lines = [line.rstrip("\n") for line in _protein_pdb_lines(Path(protein_pdb)) if line.startswith(keep)]
    ligand = Chem.Mol(ligand_pose)
    for atom in ligand.GetAtoms():
        info = Chem.AtomPDBResidueInfo()
        info.SetResidueName("LIG")
        info.SetChainId("L")
        info.SetResidueNumber(1)
        info.SetIsHeteroAtom(True)
        info.SetName(f"{atom.GetSymbol()}{atom.GetIdx() + 1}"[:4].ljust(4))
        atom.SetMonomerInfo(info)
    ligand_lines = [
        line for line in Chem.MolToPDBBlock(ligand, flavor=4).splitlines() if line.startswith(("HETATM", "CONECT"))
    ]
    return "\n".join(protein_lines + ["TER"] + ligand_lines + ["END"]) + "\n"


def _protein_pdb_lines(path: Path) -> list[str]:
    """The protein file's lines in PDB format (mmCIF rows also start with ATOM, so they must be converted)."""
    if path.suffix.lower() in (".cif", ".mmcif"):
        import gemmi

        return gemmi.read_structure(str(path)).make_pdb_string().splitlines()
    return path.read_text(errors="replace").splitlines()


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
