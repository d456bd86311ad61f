"""benchmarks/fix_affected.py: which ligands the fixes of 27 Nov change."""

import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from ..conftest import load_benchmark_script


def _embedded(smiles: str) -> Chem.Mol:
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    AllChem.EmbedMolecule(mol, randomSeed=7)
    return Chem.RemoveHs(mol)


def test_multiple_bonds_that_diffdock_turned():
    script = load_benchmark_script("fix_affected")
    assert script.turns_a_multiple_bond(Chem.MolFromSmiles("CCC=CCC"))
    assert not script.turns_a_multiple_bond(Chem.MolFromSmiles("CC(=O)CC"))  # one heavy atom on the O side
    assert not script.turns_a_multiple_bond(Chem.MolFromSmiles("C1CC=CC1"))  # in a ring


def test_mapping_changes_where_the_first_match_traded_atoms():
    pytest.importorskip("meeko")
    script = load_benchmark_script("fix_affected")
    assert script.vina_mapping_changed(_embedded("O=C(NC1CCCCC1)Nc1ccccc1"))  # phenyl and cyclohexyl traded
    assert not script.vina_mapping_changed(_embedded("CCOc1ccccc1"))
