"""Ligands from SDF, MOL2 or SMILES (RDKit): one sanitised molecule, heavy atoms, with a 3-D conformer.

The model works on heavy atoms; `add_hydrogens` puts hydrogens back (with coordinates) for output
files. A SMILES string or a 2-D SDF gets a seeded ETKDG conformer; a 3-D file keeps its pose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem

from discodock.errors import InputError

LIGAND_SUFFIXES = (".sdf", ".mol", ".mol2")


def _looks_like_path(source: str) -> bool:
    """A string naming a ligand file rather than a SMILES (no SMILES ends in these)."""
    return source.lower().endswith(LIGAND_SUFFIXES)


def _is_file(source: str) -> bool:
    """Whether `source` names an existing file; a string too long for a file name (a long SMILES) does not."""
    try:
        return Path(source).is_file()
    except OSError:  # e.g. ENAMETOOLONG for a peptide's or PROTAC's SMILES
        return False


def _parse(read: Callable[[bool], Chem.Mol | None], source: object, what: str) -> Chem.Mol:
    """Parse with RDKit's full pipeline (sanitisation, stereo from wedges or 3-D); on failure say why."""
    mol = read(True)
    if mol is not None:
        return mol
    raw = read(False)
    if raw is None:
        raise InputError(source, f"unreadable {what}")
    try:
        Chem.SanitizeMol(raw)
    except Chem.rdchem.MolSanitizeException as err:  # RDKit's valence/kekulisation errors, named
        raise InputError(source, f"RDKit cannot sanitise the molecule ({err})") from err
    raise InputError(source, f"RDKit rejected the {what}")


def _read_sdf(path: Path) -> Chem.Mol:
    if path.stat().st_size == 0:
        raise InputError(path, "empty file")
    supplier = Chem.SDMolSupplier(str(path), sanitize=False, removeHs=False)
    n_mols = len(supplier)
    if n_mols == 0:
        raise InputError(path, "no molecule could be read from the SDF file")
    if n_mols > 1:
        raise InputError(path, f"SDF holds {n_mols} molecules; give exactly one ligand")
    block = supplier.GetItemText(0)
    return _parse(lambda sanitize: Chem.MolFromMolBlock(block, sanitize=sanitize, removeHs=False), path, "SDF molecule")


def _read_mol2(path: Path) -> Chem.Mol:
    n_mols = path.read_text(errors="replace").count("@<TRIPOS>MOLECULE")
    if n_mols > 1:  # RDKit would read the first one silently
        raise InputError(path, f"MOL2 holds {n_mols} molecules; give exactly one ligand")
    mol = _parse(lambda sanitize: Chem.MolFromMol2File(str(path), sanitize=sanitize, removeHs=False), path, "MOL2 file")
    if any(atom.GetNumRadicalElectrons() for atom in mol.GetAtoms()):
        # MOL2 has no implicit hydrogens: a file written without them reads as radicals
        raise InputError(path, "atoms with unpaired electrons (MOL2 written without hydrogens?)")
    return mol


def _read_file(path: Path) -> Chem.Mol:
    if not path.is_file():
        raise InputError(path, "ligand file not found")
    suffix = path.suffix.lower()
    if suffix in (".sdf", ".mol"):
        return _read_sdf(path)
    if suffix == ".mol2":
        return _read_mol2(path)
    raise InputError(path, f"unknown ligand format {suffix!r} (expected .sdf, .mol or .mol2)")


def _read_smiles(smiles: str) -> Chem.Mol:
    return _parse(lambda sanitize: Chem.MolFromSmiles(smiles, sanitize=sanitize), smiles, "SMILES (and not an existing file)")


def _is_3d(mol: Chem.Mol) -> bool:
    """True when the molecule has a conformer with non-zero z coordinates."""
    if mol.GetNumConformers() == 0 or mol.GetNumAtoms() == 0:
        return False
    return bool(abs(mol.GetConformer().GetPositions()[:, 2]).max() > 1e-4)


def skeleton(mol: Chem.Mol) -> Chem.Mol:
    """Elements and connectivity only (single bonds, no charges or aromaticity), for graph matching."""
    rw = Chem.RWMol(mol)
    for atom in rw.GetAtoms():
        atom.SetFormalCharge(0)
        atom.SetIsAromatic(False)
        atom.SetNoImplicit(True)
        atom.SetNumExplicitHs(0)
    for bond in rw.GetBonds():
        bond.SetBondType(Chem.BondType.SINGLE)
        bond.SetIsAromatic(False)
    plain = rw.GetMol()
    plain.UpdatePropertyCache(strict=False)
    return plain


def _without_queries(mol: Chem.Mol) -> Chem.Mol:
    """The molecule with plain atoms and bonds. SDF query fields (hydrogen count, ring-bond count,
    bond topology) make RDKit read query atoms, which Vina's ligand preparation (meeko) rejects."""
    if not any(a.HasQuery() for a in mol.GetAtoms()) and not any(b.HasQuery() for b in mol.GetBonds()):
        return mol
    plain = Chem.RWMol()
    for atom in mol.GetAtoms():
        new = Chem.Atom(atom.GetAtomicNum())
        new.SetFormalCharge(atom.GetFormalCharge())
        new.SetIsotope(atom.GetIsotope())
        new.SetNumExplicitHs(atom.GetNumExplicitHs())
        new.SetNoImplicit(atom.GetNoImplicit())
        new.SetIsAromatic(atom.GetIsAromatic())
        new.SetChiralTag(atom.GetChiralTag())
        plain.AddAtom(new)
    for bond in mol.GetBonds():
        plain.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), bond.GetBondType())
        new_bond = plain.GetBondBetweenAtoms(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())
        new_bond.SetIsAromatic(bond.GetIsAromatic())
    for bond in mol.GetBonds():  # stereo atoms must be bonded already: a second pass
        if len(bond.GetStereoAtoms()) == 2:
            new_bond = plain.GetBondWithIdx(bond.GetIdx())
            new_bond.SetStereoAtoms(*bond.GetStereoAtoms())
            new_bond.SetStereo(bond.GetStereo())
    for conformer in mol.GetConformers():
        plain.AddConformer(Chem.Conformer(conformer), assignId=True)
    result = plain.GetMol()
    Chem.SanitizeMol(result)
    return result


def read_ligand(source: str | Path, *, add_conformer_if_2d: bool = True, seed: int = 0) -> Chem.Mol:
    """One sanitised, hydrogen-free ligand with a 3-D conformer from an SDF/MOL2 path or a SMILES string.

    A `str` that is neither an existing file nor ends in .sdf/.mol/.mol2 is read as SMILES.
    Raises InputError naming the source when the input is unreadable, empty, holds several
    molecules or fragments, cannot be sanitised, or cannot be embedded.
    """
    is_file = isinstance(source, Path) or _is_file(source) or _looks_like_path(source)
    RDLogger.DisableLog("rdApp.*")  # RDKit prints parse errors to stderr; our InputError carries them
    try:
        mol = _read_file(Path(source)) if is_file else _read_smiles(source)
    finally:
        RDLogger.EnableLog("rdApp.*")
    if mol.GetNumAtoms() == 0:
        raise InputError(source, "molecule has no atoms")
    try:
        mol = _without_queries(mol)
    except Chem.rdchem.MolSanitizeException as error:
        raise InputError(source, f"cannot be sanitised once its SDF query fields are dropped: {error}") from error
    n_fragments = len(Chem.GetMolFrags(mol))
    if n_fragments > 1:
        raise InputError(source, f"molecule has {n_fragments} disconnected fragments; give one ligand")
    if _is_3d(mol):
        Chem.AssignStereochemistryFrom3D(mol)  # the pose, not stray stereo flags, defines stereo
    mol = Chem.RemoveAllHs(mol)
    if mol.GetNumAtoms() == 0:
        raise InputError(source, "molecule has no heavy atoms")
    if not _is_3d(mol):
        if not add_conformer_if_2d:
            raise InputError(source, "no 3-D coordinates (and add_conformer_if_2d=False)")
        mol = generate_conformer(mol, seed, source=source)
    return mol


def generate_conformer(mol: Chem.Mol, seed: int = 0, *, source: object = None) -> Chem.Mol:
    """A copy of `mol` (heavy atoms, same order) with one fresh seeded ETKDG conformer, MMFF-relaxed when possible."""
    with_h = Chem.AddHs(Chem.RemoveAllHs(mol))
    with_h.RemoveAllConformers()
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    if AllChem.EmbedMolecule(with_h, params) == -1:
        # ETKDG fails on some strained or large molecules; random starting coordinates rescue most.
        params.useRandomCoords = True
        if AllChem.EmbedMolecule(with_h, params) == -1:
            raise InputError(source if source is not None else Chem.MolToSmiles(mol), "RDKit cannot embed a 3-D conformer")
    if AllChem.MMFFHasAllMoleculeParams(with_h):
        AllChem.MMFFOptimizeMolecule(with_h, maxIters=500)
    return Chem.RemoveAllHs(with_h)


def add_hydrogens(mol: Chem.Mol) -> Chem.Mol:
    """Explicit hydrogens placed from the heavy-atom pose (for output files); heavy atoms keep their indices."""
    return Chem.AddHs(mol, addCoords=True)
