"""AutoDock Vina docking of one complex: the baseline the model is measured against.

Receptor: OpenBabel's CLI (`obabel protein.pdb -xr -p 7.4 -O rec.pdbqt`), run as a subprocess
because meeko's receptor preparation downloads templates (fails offline) and importing `vina`
before `openbabel.pybel` aborts the process. Choice: the receptor keeps every atom of the given
PDB file: protein, cofactors, ions and crystallisation additives (keeping cofactors is what Vina
users do; PoseBusters protein files carry no waters), except atoms of types Vina has no parameters
for (Mo, Xe, B, ...), which are dropped. Strip hetero groups upstream to change this.
Receptor PDBQTs are cached by file content in a temp folder (atomic writes: safe to share).

Ligand: a fresh RDKit ETKDG + MMFF conformer (so the crystal pose never leaks into the search),
prepared by meeko and converted back to RDKit with `RDKitMolCreate.from_pdbqt_mol`. meeko rebuilds
the molecule in SMILES order, so poses are mapped back by graph matching: returned poses are
copies of the input ligand (same heavy atoms, bonds and order) with Vina's coordinates.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem import AllChem

from discodock.chem.ligand import skeleton
from discodock.errors import InputError, SetupError, one_line

DEFAULT_SEED = 42  # Vina treats seed=0 as "random": any non-zero value is reproducible
BOX_PADDING = 10.0  # Å added to the ligand's extent along each axis ("pocket given" box)
MAX_TORSIONS = 32  # AutoDock's limit; Vina ran out of memory (> 8 GB) on 4bpj's 75-torsion peptide
RECEPTOR_RECIPE = "-opdbqt -xr -p 7.4"  # obabel options; unknown-type atoms are then dropped (recipe v2)
# receptor atom types Vina 1.2.7 accepts (measured); others (Mo, Xe, B, V, Pt, ...) make it refuse the file
VINA_RECEPTOR_TYPES = frozenset(
    "C A N NA OA SA S P F Cl Br I H HD Si At Na K Mg Mn Zn Ca Fe Cu Co Ni Cd Hg W Se".split())


def _label(mol: Chem.Mol, limit: int = 80) -> str:
    """How errors name an in-memory ligand: its heavy-atom SMILES, cut to `limit` characters."""
    smiles = Chem.MolToSmiles(Chem.RemoveHs(mol, sanitize=False))
    return smiles if len(smiles) <= limit else smiles[: limit - 1] + "…"


def _obabel() -> str:
    """Path of the obabel executable (the openbabel wheel installs it beside the Python binary)."""
    found = shutil.which("obabel") or str(Path(sys.executable).parent / "obabel")
    if not Path(found).exists():
        raise SetupError("obabel: OpenBabel's obabel executable not found (pip install openbabel-wheel)")
    return found


def receptor_cache_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "discodock_vina_receptors"
    path.mkdir(parents=True, exist_ok=True)
    return path


def prepare_receptor(protein_pdb: str | Path, cache_dir: Path | None = None) -> Path:
    """Receptor PDBQT for `protein_pdb` (polar hydrogens at pH 7.4), cached by file content."""
    protein_pdb = Path(protein_pdb)
    if not protein_pdb.is_file():
        raise InputError(protein_pdb, "protein file not found")
    text = protein_pdb.read_bytes()
    altlocs = _has_alternative_locations(text)
    # the recipe is part of the key, so files made by an older recipe are never reused
    recipe = RECEPTOR_RECIPE + " drop-unknown-types" + (" first-altloc" if altlocs else "")
    digest = hashlib.sha1(text + recipe.encode()).hexdigest()[:16]
    out = (cache_dir or receptor_cache_dir()) / f"{protein_pdb.stem}_{digest}.pdbqt"
    if out.exists():
        return out
    tmp = out.with_name(f"{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")  # unique per writer
    with tempfile.TemporaryDirectory() as scratch:
        source = _first_conformers(protein_pdb, Path(scratch)) if altlocs else protein_pdb
        cmd = [_obabel(), str(source), *RECEPTOR_RECIPE.split(), "-O", str(tmp)]
        result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0 or not tmp.exists() or "ATOM" not in tmp.read_text():
        raise InputError(protein_pdb, f"obabel could not write a receptor PDBQT: {result.stderr.strip()[-300:]}")
    tmp.write_text(_drop_unknown_types(tmp.read_text()))
    tmp.replace(out)  # atomic: concurrent workers never read a half-written file
    return out


def _has_alternative_locations(pdb: bytes) -> bool:
    """Whether any ATOM/HETATM record of a PDB file has an altloc (column 17)."""
    return any(line[16:17].strip() for line in pdb.decode(errors="replace").splitlines()
               if line.startswith(("ATOM", "HETATM")))


def _first_conformers(protein_pdb: Path, folder: Path) -> Path:
    """A copy of the structure with only the first of each atom's alternative locations: obabel keeps them
    all, so a residue modelled twice would count twice in Vina's interaction terms."""
    import gemmi

    structure = gemmi.read_structure(str(protein_pdb))
    structure.remove_alternative_conformations()
    out = folder / f"{protein_pdb.stem}_first_altloc.pdb"
    structure.write_pdb(str(out))
    return out


def _drop_unknown_types(pdbqt: str) -> str:
    """Remove atoms whose AutoDock type Vina has no parameters for, leaving a REMARK that lists them.

    Rare in practice (a Mo in a molybdopterin cofactor, Xe used for phasing): one such atom must not
    make the whole complex a miss.
    """
    kept, dropped = [], []
    for line in pdbqt.splitlines():
        atom_type = line[77:].strip() if line.startswith(("ATOM", "HETATM")) else None
        if atom_type is not None and atom_type not in VINA_RECEPTOR_TYPES:
            dropped.append(atom_type)
        else:
            kept.append(line)
    if dropped:
        kept.insert(0, f"REMARK discodock dropped {len(dropped)} atom(s) of types unknown to Vina: "
                       f"{' '.join(sorted(set(dropped)))}")
    return "\n".join(kept) + "\n"


def read_ligand(ligand: str | Path | Chem.Mol) -> Chem.Mol:
    """The ligand as a heavy-atom RDKit molecule: a Mol as given, or a file through `chem.read_ligand`."""
    from discodock.chem.ligand import read_ligand as read_ligand_file

    if not isinstance(ligand, Chem.Mol):
        return read_ligand_file(ligand, add_conformer_if_2d=False)
    if ligand.GetNumAtoms() == 0:
        raise InputError(_label(ligand), "ligand has no atoms")
    return Chem.RemoveHs(ligand)


def fresh_conformer(mol: Chem.Mol, seed: int = DEFAULT_SEED) -> Chem.Mol:
    """Hydrogenated copy with a new ETKDG + MMFF conformer; chirality comes from the input's tags."""
    mol_h = Chem.AddHs(mol)
    mol_h.RemoveAllConformers()
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    if AllChem.EmbedMolecule(mol_h, params) != 0:
        params.useRandomCoords = True  # large or strained molecules: the fallback RDKit recommends
        if AllChem.EmbedMolecule(mol_h, params) != 0:
            raise InputError(_label(mol), "RDKit ETKDG could not embed a conformer")
    if AllChem.MMFFHasAllMoleculeParams(mol_h):
        AllChem.MMFFOptimizeMolecule(mol_h, maxIters=500)
    return mol_h


def ligand_pdbqt(mol_h: Chem.Mol) -> str:
    """meeko PDBQT string for a hydrogenated molecule with 3-D coordinates."""
    from meeko import MoleculePreparation, PDBQTWriterLegacy

    try:
        setups = MoleculePreparation().prepare(mol_h)
    except ValueError as error:  # meeko's complaint about the molecule (e.g. query atoms), not a bug here
        raise InputError(_label(mol_h), f"meeko cannot prepare the ligand for Vina: {error}") from error
    except UnboundLocalError as error:  # meeko 0.8 ends a failed Gasteiger charge computation this way
        raise InputError(_label(mol_h), "meeko cannot compute the ligand's Gasteiger charges for Vina "
                                        "(e.g. a metal bound by dative bonds, as in haem)") from error
    text, ok, error = PDBQTWriterLegacy.write_string(setups[0])
    if not ok:
        raise InputError(_label(mol_h), f"meeko could not write a ligand PDBQT: {error}")
    torsions = sum(line.startswith("BRANCH") for line in text.splitlines())
    if torsions > MAX_TORSIONS:
        raise InputError(_label(mol_h), f"{torsions} rotatable bonds: more than Vina handles ({MAX_TORSIONS})")
    return text


def pocket_box(ligand: Chem.Mol, padding: float = BOX_PADDING) -> tuple[np.ndarray, np.ndarray]:
    """Box centre (heavy-atom centroid) and edges (extent per axis + padding) from a posed ligand."""
    pos = Chem.RemoveHs(ligand).GetConformer().GetPositions()
    return pos.mean(0), pos.max(0) - pos.min(0) + padding


def ligand_box(ligand: Chem.Mol, padding: float = BOX_PADDING) -> np.ndarray:
    """Box edges for a ligand of unknown orientation: its largest heavy-atom distance + padding, per axis."""
    pos = Chem.RemoveHs(ligand).GetConformer().GetPositions()
    diameter = float(np.max(np.linalg.norm(pos[:, None] - pos[None], axis=-1))) if len(pos) > 1 else 0.0
    return np.full(3, diameter + padding)


def _poses_from_vina(pdbqt_out: str, ligand: Chem.Mol) -> list[Chem.Mol]:
    """Vina output → one copy of `ligand` per pose (its atoms, bonds and order; the pose's coordinates).

    meeko rebuilds the molecule in its SMILES atom order, so atoms are mapped back to the input by
    an element + connectivity isomorphism (any automorphism will do for a symmetric RMSD).
    """
    from meeko import PDBQTMolecule, RDKitMolCreate

    docked = RDKitMolCreate.from_pdbqt_mol(PDBQTMolecule(pdbqt_out, skip_typing=True))[0]
    docked = Chem.RemoveHs(docked, sanitize=False)
    match = _match_onto(docked, ligand) if docked.GetNumAtoms() == ligand.GetNumAtoms() else None
    if match is None:
        raise InputError(_label(ligand), "Vina poses could not be mapped back onto the input ligand")
    order = list(match)
    poses = []
    for conf in docked.GetConformers():
        pose = Chem.Mol(ligand)
        pose.RemoveAllConformers()
        new_conf = Chem.Conformer(ligand.GetNumAtoms())
        for k, (x, y, z) in enumerate(conf.GetPositions()[order]):
            new_conf.SetAtomPosition(k, (float(x), float(y), float(z)))
        pose.AddConformer(new_conf, assignId=True)
        poses.append(pose)
    return poses


def _match_onto(docked: Chem.Mol, ligand: Chem.Mol, max_matches: int = 100_000) -> tuple[int, ...] | None:
    """match[k]: the atom of `docked` (meeko's rebuild, heavy atoms) that is atom k of `ligand`: an element +
    connectivity isomorphism that also keeps every atom's hydrogen count and charge. The first skeleton
    match alone may trade atoms that differ only in those (an acid's O and OH, a tetrazole's N and NH,
    a phenyl and a cyclohexyl), which puts the pose's coordinates on the wrong atoms. None: no match."""
    def signature(mol: Chem.Mol) -> list[tuple[int, int, int]]:
        mol.UpdatePropertyCache(strict=False)
        return [(a.GetAtomicNum(), a.GetTotalNumHs(), a.GetFormalCharge()) for a in mol.GetAtoms()]

    ours, theirs = signature(Chem.Mol(ligand)), signature(Chem.Mol(docked))
    matches = skeleton(docked).GetSubstructMatches(skeleton(ligand), uniquify=False, useChirality=False,
                                                   maxMatches=max_matches)
    for match in matches:
        if all(theirs[j] == ours[k] for k, j in enumerate(match)):
            return match
    return matches[0] if matches else None  # hydrogens or charges rebuilt otherwise: the skeleton's word


def _set_ligand(v, mol: Chem.Mol) -> None:
    """Give Vina the posed ligand (hydrogens included); its refusal of an atom type names the ligand."""
    try:
        v.set_ligand_from_string(ligand_pdbqt(mol))
    except TypeError as error:  # Vina's PDBQT parser: a type it has no parameters for (e.g. boron)
        if "PDBQT parsing error" not in str(error):
            raise
        raise InputError(_label(mol), f"Vina cannot take this ligand ({one_line(error)})") from error


def _vina(receptor: Path, cpu: int, seed: int):
    from vina import Vina  # imported late: importing vina before openbabel.pybel aborts the process

    v = Vina(sf_name="vina", cpu=cpu, seed=seed, verbosity=0)
    v.set_receptor(str(receptor))
    return v


def dock_with_vina(
    protein_pdb: str | Path,
    ligand_sdf_or_mol: str | Path | Chem.Mol,
    center: np.ndarray,
    box_size: np.ndarray | float,
    exhaustiveness: int = 8,
    seed: int = DEFAULT_SEED,
    n_poses: int = 9,
    cpu: int = 1,
) -> list[tuple[Chem.Mol, float]]:
    """Dock the ligand (from a fresh conformer) into the box; poses best-first with Vina scores (kcal/mol)."""
    mol = read_ligand(ligand_sdf_or_mol)
    v = _vina(prepare_receptor(protein_pdb), cpu, seed)
    _set_ligand(v, fresh_conformer(mol, seed))
    box = np.broadcast_to(np.asarray(box_size, dtype=float), (3,))
    v.compute_vina_maps(center=[float(c) for c in center], box_size=[float(b) for b in box])
    v.dock(exhaustiveness=exhaustiveness, n_poses=n_poses)
    poses = _poses_from_vina(v.poses(n_poses=n_poses), mol)
    energies = v.energies(n_poses=n_poses)[:, 0]  # column 0: total (inter + intra) score
    return list(zip(poses, [float(e) for e in energies]))


class VinaScorer:
    """One receptor and one set of Vina grid maps (box `center`, `edges` in Å) for many poses of a ligand.

    Setting a ligand is Vina's slow step (~0.1-0.25 s for a drug-sized one; the minimisation itself is
    milliseconds), so each pose costs about that, scored or minimised.
    """

    def __init__(self, protein_pdb: str | Path, center: np.ndarray, edges: np.ndarray):
        self.center = np.asarray(center, dtype=float).reshape(3)
        self.edges = np.asarray(edges, dtype=float).reshape(3)
        self._vina = _vina(prepare_receptor(protein_pdb), cpu=1, seed=DEFAULT_SEED)
        self._vina.compute_vina_maps(center=self.center.tolist(), box_size=self.edges.tolist())

    def __call__(self, pose: Chem.Mol, local_optimize: bool = False) -> tuple[float, Chem.Mol]:
        """(Vina score in kcal/mol, pose): the heavy-atom `pose` as given, or minimised by Vina with
        `local_optimize`. A pose with an atom outside the box scores +inf and comes back unchanged."""
        heavy = Chem.RemoveHs(pose)
        _set_ligand(self._vina, Chem.AddHs(heavy, addCoords=True))  # keep the pose, place H
        try:
            energy = (self._vina.optimize() if local_optimize else self._vina.score())[0]
        except RuntimeError as error:  # Vina's only complaint about a valid ligand: outside the maps
            if "outside the grid box" not in str(error):
                raise
            return float("inf"), heavy
        if not local_optimize:
            return float(energy), heavy
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "pose.pdbqt"
            self._vina.write_pose(str(path), overwrite=True)
            return float(energy), _poses_from_vina(path.read_text(), heavy)[0]

    def score_all(self, poses: Sequence[Chem.Mol], local_optimize: bool = False) -> tuple[np.ndarray, list[Chem.Mol]]:
        """(scores [S], poses) of many poses, each as `self(pose, local_optimize)` gives it."""
        scored = [self(pose, local_optimize) for pose in poses]
        return np.array([energy for energy, _ in scored]), [pose for _, pose in scored]


def poses_box(poses: Sequence[Chem.Mol], padding: float = BOX_PADDING, max_box: float = 40.0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Box (centre, edges) around many poses: their joint extent + `padding`, at most `max_box` Å per
    axis around their median centroid (robust to a few strays)."""
    heavy = [Chem.RemoveHs(p).GetConformer().GetPositions() for p in poses]
    center = np.median([pos.mean(0) for pos in heavy], axis=0)
    edges = np.minimum(2 * np.abs(np.concatenate(heavy) - center).max(0) + padding, max_box)
    return center, edges


def score_poses(
    protein_pdb: str | Path,
    poses: Sequence[Chem.Mol],
    *,
    local_optimize: bool = False,
    box: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, list[Chem.Mol]]:
    """Vina scores (kcal/mol, lower is better) of many poses of one ligand in one receptor.

    One receptor and one set of grid maps serve every pose. The box is `box` (centre, edges) when
    given, else `poses_box(poses)`. A pose with an atom outside the box scores +inf, so it ranks last.
    With `local_optimize`, each pose is first minimised by Vina and the minimised poses are returned
    (else the input poses, without hydrogens).
    """
    if not poses:
        return np.zeros(0), []
    for pose in poses:
        if pose.GetNumConformers() == 0:
            raise InputError(_label(pose), "pose has no coordinates")
    return VinaScorer(protein_pdb, *(box if box is not None else poses_box(poses))).score_all(poses, local_optimize)


def vina_score(protein_pdb: str | Path, pose_mol: Chem.Mol, local_optimize: bool = False) -> float:
    """Vina score of one pose (kcal/mol); with `local_optimize`, after Vina's local minimisation."""
    return float(score_poses(protein_pdb, [pose_mol], local_optimize=local_optimize)[0][0])
