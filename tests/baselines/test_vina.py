import numpy as np
import pytest
from rdkit import Chem

from discodock.baselines.vina import dock_with_vina, pocket_box, read_ligand, vina_score
from discodock.errors import InputError
from discodock.evaluation.rmsd import symmetry_rmsd


@pytest.fixture(scope="module")
def complex_1ia1(posebusters_examples):
    pytest.importorskip("vina")
    pytest.importorskip("meeko")
    folder = posebusters_examples / "1ia1"
    return folder / "1ia1_protein_one_lig_removed.pdb", read_ligand(folder / "1ia1_ligand.sdf")


def test_pocket_box_is_centroid_and_padded_extent():
    mol = Chem.MolFromMolBlock(Chem.MolToMolBlock(Chem.MolFromSmiles("CC")))
    conf = mol.GetConformer()
    conf.SetAtomPosition(0, (0.0, 0.0, 0.0))
    conf.SetAtomPosition(1, (2.0, 4.0, 0.0))
    center, box = pocket_box(mol)
    np.testing.assert_allclose(center, [1.0, 2.0, 0.0])
    np.testing.assert_allclose(box, [12.0, 14.0, 10.0])


@pytest.mark.slow
def test_docking_1ia1_gives_finite_scores_and_ordered_poses(complex_1ia1):
    protein, crystal = complex_1ia1
    center, box = pocket_box(crystal)
    results = dock_with_vina(protein, crystal, center, box, exhaustiveness=2, seed=1, n_poses=3)
    assert 1 <= len(results) <= 3
    scores = [s for _, s in results]
    assert np.all(np.isfinite(scores)) and scores == sorted(scores) and scores[0] < -4.0
    for pose, _ in results:
        assert pose.GetNumAtoms() == crystal.GetNumAtoms()
        # same atom order as the input: every bond of the crystal graph has a chemical length
        pos = pose.GetConformer().GetPositions()
        lengths = [np.linalg.norm(pos[b.GetBeginAtomIdx()] - pos[b.GetEndAtomIdx()]) for b in pose.GetBonds()]
        assert 1.1 < min(lengths) and max(lengths) < 2.0
        assert np.linalg.norm(pos.mean(0) - center) < 8.0  # inside the box
    assert np.all(np.isfinite(symmetry_rmsd(crystal, [p.GetConformer().GetPositions() for p, _ in results])))


@pytest.mark.slow
def test_vina_score_of_crystal_pose(complex_1ia1):
    protein, crystal = complex_1ia1
    score = vina_score(protein, crystal)
    optimized = vina_score(protein, crystal, local_optimize=True)
    assert -15.0 < score < -4.0  # a crystal pose binds: clearly negative
    assert optimized <= score + 1e-6  # local minimisation never raises the score


def test_missing_protein_is_an_input_error(tmp_path, complex_1ia1):
    _, crystal = complex_1ia1
    with pytest.raises(InputError, match="not found"):
        dock_with_vina(tmp_path / "none.pdb", crystal, np.zeros(3), 20.0)
