"""Reading molecules and building the featurised complex: proteins, ligands, torsions, conformer matching."""

from discodock.chem.conformer_matching import match_conformer
from discodock.chem.featurize import LIGAND_FEATURE_DIMS, featurize_complex, ligand_atom_features
from discodock.chem.ligand import add_hydrogens, generate_conformer, read_ligand
from discodock.chem.protein import RESIDUE_TYPES, Protein, read_protein
from discodock.chem.torsions import rotatable_bonds, torsion_moving_atoms

__all__ = [
    "LIGAND_FEATURE_DIMS",
    "RESIDUE_TYPES",
    "Protein",
    "add_hydrogens",
    "featurize_complex",
    "generate_conformer",
    "ligand_atom_features",
    "match_conformer",
    "read_ligand",
    "read_protein",
    "rotatable_bonds",
    "torsion_moving_atoms",
]
