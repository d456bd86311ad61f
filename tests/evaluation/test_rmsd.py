import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from discodock.errors import InputError
from discodock.evaluation.rmsd import symmetry_rmsd


@pytest.fixture(scope="module")
def benzoate() -> Chem.Mol:
    mol = Chem.AddHs(Chem.MolFromSmiles("[O-]C(=O)c1ccccc1"))
    AllChem.EmbedMolecule(mol, randomSeed=7)
    return Chem.RemoveHs(mol)


def _naive(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(((a - b) ** 2).sum(1).mean()))


def test_identical_pose_is_zero(benzoate):
    pos = benzoate.GetConformer().GetPositions()
    assert symmetry_rmsd(benzoate, [pos])[0] == pytest.approx(0.0, abs=1e-8)


def test_swapped_equivalent_atoms_are_zero_only_with_symmetry(benzoate):
    pos = benzoate.GetConformer().GetPositions()
    oxygens = [a.GetIdx() for a in benzoate.GetAtoms() if a.GetSymbol() == "O"]
    swapped = pos.copy()
    swapped[oxygens] = pos[oxygens[::-1]]  # the carboxylate's two oxygens are graph-equivalent
    assert _naive(pos, swapped) > 0.5
    assert symmetry_rmsd(benzoate, [swapped])[0] == pytest.approx(0.0, abs=1e-6)


def test_translation_gives_its_length(benzoate):
    pos = benzoate.GetConformer().GetPositions()
    shifts = [np.array([1.5, 0.0, 0.0]), np.array([1.0, 2.0, 2.0])]
    values = symmetry_rmsd(benzoate, [pos + s for s in shifts])  # no superposition: RMSD = |shift|
    np.testing.assert_allclose(values, [1.5, 3.0], atol=1e-6)


def test_mol_with_several_conformers(benzoate):
    mol = Chem.Mol(benzoate)
    conf = Chem.Conformer(mol.GetConformer())
    for i in range(mol.GetNumAtoms()):
        p = conf.GetAtomPosition(i)
        conf.SetAtomPosition(i, (p.x, p.y, p.z + 2.0))
    mol.AddConformer(conf, assignId=True)
    np.testing.assert_allclose(symmetry_rmsd(benzoate, mol), [0.0, 2.0], atol=1e-6)


def test_hydrogens_on_the_pose_are_ignored(benzoate):
    with_h = Chem.AddHs(benzoate, addCoords=True)
    assert symmetry_rmsd(benzoate, with_h)[0] == pytest.approx(0.0, abs=1e-8)


def test_wrong_atom_count_is_an_input_error(benzoate):
    with pytest.raises(InputError, match="heavy atoms"):
        symmetry_rmsd(benzoate, [np.zeros((3, 3))])


def test_pairwise_rmsd_matches_one_reference_at_a_time():
    from discodock.evaluation.rmsd import pairwise_symmetry_rmsd
    from discodock.output import pose_molecule

    mol = Chem.AddHs(Chem.MolFromSmiles("OC(=O)c1ccc(cc1)C(F)(F)F"))  # symmetric ring, CF3, carboxylate
    AllChem.EmbedMultipleConfs(mol, 4, randomSeed=0)
    heavy = Chem.RemoveHs(mol)
    rng = np.random.default_rng(0)
    poses = np.stack([c.GetPositions() for c in heavy.GetConformers()]) + rng.normal(0, 0.5, (4, 1, 3))
    pairwise = pairwise_symmetry_rmsd(heavy, poses)
    for i in range(4):
        reference = pose_molecule(heavy, poses[i])
        np.testing.assert_allclose(pairwise[i], symmetry_rmsd(reference, list(poses)), atol=1e-6)
    assert np.allclose(np.diag(pairwise), 0) and np.allclose(pairwise, pairwise.T)
