"""Where complexes live on disk: the shared-data layout, the PDBBind layout and named id lists.

Layouts (one sub-folder per complex id):
- 'shared':  <id>/protein.pdb, <id>/ligand.sdf (../shared/data)
- 'pdbbind': <id>/<id>_protein_processed.pdb, <id>/<id>_ligand.sdf, or <id>/<id>_ligand.mol2 when the SDF
  is missing or RDKit cannot read it (as DiffDock does: many of PDBBind's SDF files do not sanitise)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from discodock.errors import InputError

LAYOUTS = ("shared", "pdbbind")

# name -> (folder under the data root, id list under <root>/splits or None for every sub-folder)
NAMED_SETS: dict[str, tuple[str, str | None]] = {
    "posebusters_v2": ("posebusters_428", "posebusters_v2_308_ids.txt"),
    "posebusters_428": ("posebusters_428", "posebusters_428_ids.txt"),
    "posebusters_v1_only": ("posebusters_428", "posebusters_428_not_v2_120_ids.txt"),
    "train_pool": ("train_pool", None),
    "timesplit_subset": ("timesplit_test_subset", None),
}


@dataclass(frozen=True)
class ComplexPaths:
    """Files of one complex: the protein structure and the crystal ligand."""

    id: str
    protein: Path
    ligand: Path


def default_data_root() -> Path:
    """`$DISCODOCK_DATA`, else `../shared/data` beside the repository, else beside the cwd."""
    if "DISCODOCK_DATA" in os.environ:
        return Path(os.environ["DISCODOCK_DATA"])
    beside_repo = Path(__file__).resolve().parents[3] / "shared" / "data"
    return beside_repo if beside_repo.is_dir() else Path.cwd().parent / "shared" / "data"


def read_ids(path: str | Path) -> list[str]:
    """Complex ids from a text file, one per line (blank lines and '#' comments ignored)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "id list not found")
    ids = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return [i for i in ids if i]


def _paths(root: Path, cid: str, layout: str) -> ComplexPaths:
    folder = root / cid
    if layout == "shared":
        return ComplexPaths(cid, folder / "protein.pdb", folder / "ligand.sdf")
    ligand, mol2 = folder / f"{cid}_ligand.sdf", folder / f"{cid}_ligand.mol2"
    if mol2.is_file() and not (ligand.is_file() and _readable_ligand(ligand)):
        ligand = mol2
    return ComplexPaths(cid, folder / f"{cid}_protein_processed.pdb", ligand)


def _readable_ligand(path: Path) -> bool:
    """Whether RDKit reads the ligand file as one sanitised molecule with coordinates."""
    from discodock.chem.ligand import read_ligand

    try:
        read_ligand(path, add_conformer_if_2d=False)
    except InputError:
        return False
    return True


def list_complexes(root: str | Path, layout: str = "shared",
                   ids: list[str] | str | Path | None = None) -> list[ComplexPaths]:
    """Complexes under `root` in the given layout; `ids` is a list, an id file, or None (every sub-folder)."""
    root = Path(root)
    if layout not in LAYOUTS:
        raise InputError(layout, f"unknown layout; expected one of {LAYOUTS}")
    if not root.is_dir():
        raise InputError(root, "data folder not found")
    if ids is None:
        ids = sorted(p.name for p in root.iterdir() if p.is_dir())
    elif isinstance(ids, (str, Path)):
        ids = read_ids(ids)
    complexes = [_paths(root, cid, layout) for cid in ids]
    missing = [str(p) for c in complexes for p in (c.protein, c.ligand) if not p.is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InputError(root, f"{len(missing)} complex file(s) missing ({layout} layout): {shown}")
    return complexes


def load_set(name: str, data_root: str | Path | None = None) -> list[ComplexPaths]:
    """A named set of the shared data (see NAMED_SETS), e.g. 'posebusters_v2' (308 complexes)."""
    if name not in NAMED_SETS:
        raise InputError(name, f"unknown set; expected one of {sorted(NAMED_SETS)}")
    root = Path(data_root) if data_root is not None else default_data_root()
    folder, id_file = NAMED_SETS[name]
    ids = root / "splits" / id_file if id_file else None
    return list_complexes(root / folder, "shared", ids)
