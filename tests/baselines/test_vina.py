import numpy as np
import pytest
from rdkit import Chem

from discodock.baselines.vina import (
    dock_with_vina,
    ligand_box,
    ligand_pdbqt,
    pocket_box,
    read_ligand,
    score_poses,
    vina_score,
)
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


def test_ligand_box_is_the_padded_diameter_whatever_the_orientation():
    mol = Chem.MolFromMolBlock(Chem.MolToMolBlock(Chem.MolFromSmiles("CCC")))
    conf = mol.GetConformer()
    for k, xyz in enumerate([(0.0, 0.0, 0.0), (3.0, 4.0, 0.0), (1.0, 1.0, 1.0)]):
        conf.SetAtomPosition(k, xyz)
    np.testing.assert_allclose(ligand_box(mol), [15.0, 15.0, 15.0])  # atoms 0-1: 5 Å, + 10 Å padding


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


def test_missing_obabel_is_a_setup_error_not_the_inputs(tmp_path, monkeypatch, complex_1ia1):
    """Without obabel every complex would fail alike: a SetupError (which stops a batch), not an InputError
    (which a batch records as that row's failure)."""
    import shutil
    import sys

    from discodock.baselines import vina
    from discodock.errors import SetupError

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(SetupError, match="obabel"):
        vina.prepare_receptor(complex_1ia1[0], cache_dir=tmp_path)
    assert not isinstance(SetupError("x"), InputError)


def _shifted(mol: Chem.Mol, shift: float) -> Chem.Mol:
    moved = Chem.Mol(mol)
    conf = moved.GetConformer()
    for i, (x, y, z) in enumerate(conf.GetPositions()):
        conf.SetAtomPosition(i, (x + shift, y, z))
    return moved


@pytest.mark.slow
def test_score_poses_ranks_the_crystal_first_and_a_stray_pose_last(complex_1ia1):
    protein, crystal = complex_1ia1
    poses = [_shifted(crystal, 4.0), crystal, _shifted(crystal, 60.0)]
    energies, returned = score_poses(protein, poses)
    assert np.isfinite(energies[:2]).all() and energies[2] == np.inf  # 60 Å away: outside the shared box
    assert energies[1] < energies[0] and energies[1] < -4.0  # the crystal pose beats a 4 Å shift
    assert energies[1] == pytest.approx(vina_score(protein, crystal), abs=0.05)  # same maps, nearly the same box
    optimized, moved = score_poses(protein, poses[:2], local_optimize=True)
    assert (optimized <= energies[:2] + 1e-6).all()  # minimisation never raises the score
    assert [m.GetNumAtoms() for m in moved] == [crystal.GetNumAtoms()] * 2  # the input's atoms, in order
    assert symmetry_rmsd(crystal, [moved[1].GetConformer().GetPositions()])[0] < 1.5  # the crystal pose stays put


@pytest.mark.slow
def test_a_given_box_scores_poses_outside_it_inf(complex_1ia1):
    protein, crystal = complex_1ia1
    center = crystal.GetConformer().GetPositions().mean(0)
    box = (center, ligand_box(crystal))
    energies, _ = score_poses(protein, [crystal, _shifted(crystal, 12.0)], box=box)
    assert np.isfinite(energies[0]) and energies[1] == np.inf  # 12 Å off: outside a pocket-sized box
    # the joint-extent box of the same two poses holds both
    assert np.isfinite(score_poses(protein, [crystal, _shifted(crystal, 12.0)])[0]).all()


def test_ligand_meeko_rejects_names_the_ligand():
    pytest.importorskip("meeko")
    query = Chem.MolFromSmarts("[#6]-[#8]")  # query atoms: meeko refuses them
    query.UpdatePropertyCache(strict=False)
    Chem.rdDistGeom.EmbedMolecule(query, randomSeed=0)
    with pytest.raises(InputError, match="meeko cannot prepare"):
        ligand_pdbqt(query)


def test_ligand_without_gasteiger_charges_is_refused_by_name():
    pytest.importorskip("meeko")
    chelate = Chem.AddHs(Chem.MolFromSmiles("CC(C)=[N](C)->[Fe]<-[N](C)=C(C)C"))  # dative N->Fe, as in haem
    Chem.rdDistGeom.EmbedMolecule(chelate, randomSeed=1, useRandomCoords=True)
    with pytest.raises(InputError, match="Gasteiger charges"):
        ligand_pdbqt(chelate)


def test_too_flexible_ligand_is_refused():
    pytest.importorskip("meeko")
    from discodock.baselines.vina import MAX_TORSIONS

    chain = Chem.AddHs(Chem.MolFromSmiles("C" * (MAX_TORSIONS + 6)))  # an alkane with > MAX_TORSIONS torsions
    Chem.rdDistGeom.EmbedMolecule(chain, randomSeed=0)
    with pytest.raises(InputError, match="rotatable bonds") as refused:
        ligand_pdbqt(chain)
    assert "[H]" not in str(refused.value)  # named by its heavy atoms
    short = Chem.AddHs(Chem.MolFromSmiles("CCCCO"))
    Chem.rdDistGeom.EmbedMolecule(short, randomSeed=0)
    assert "BRANCH" in ligand_pdbqt(short)


def test_errors_name_a_long_ligand_briefly():
    from discodock.baselines.vina import _label

    peptide = Chem.AddHs(Chem.MolFromSmiles("CC(N)C(=O)" + "NCC(=O)" * 40 + "O"))
    label = _label(peptide)
    assert len(label) == 80 and label.endswith("…") and "[H]" not in label
    assert _label(Chem.MolFromSmiles("CCO")) == "CCO"


@pytest.mark.parametrize("smiles", ["O=C(NC1CCCCC1)Nc1ccccc1", "OC(=O)c1ccccc1C(=O)[O-]", "Cc1nn[nH]n1",
                                    "OP(=O)(O)OCc1ccccc1"])
def test_poses_from_vina_land_on_the_same_atoms(smiles):
    """meeko rebuilds the ligand in its own order; mapping back keeps each atom's hydrogens and charge, so an
    acid's O and OH, a tetrazole's N and NH or a phenyl and a cyclohexyl never trade coordinates."""
    pytest.importorskip("meeko")
    from discodock.baselines.vina import _poses_from_vina

    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    Chem.rdDistGeom.EmbedMolecule(mol, randomSeed=7)
    heavy = Chem.RemoveHs(mol)
    (pose,) = _poses_from_vina(ligand_pdbqt(Chem.AddHs(heavy, addCoords=True)), heavy)
    np.testing.assert_allclose(pose.GetConformer().GetPositions(), heavy.GetConformer().GetPositions(), atol=0.01)


def test_a_ligand_type_vina_lacks_is_an_input_error_naming_it(complex_1ia1):
    from discodock.baselines.vina import VinaScorer

    protein, crystal = complex_1ia1
    center, edges = pocket_box(crystal)
    boronic = Chem.AddHs(Chem.MolFromSmiles("OB(O)c1ccccc1"))
    Chem.rdDistGeom.EmbedMolecule(boronic, randomSeed=1)
    positions = boronic.GetConformer().GetPositions()
    for i, xyz in enumerate(positions - positions.mean(0) + center):
        boronic.GetConformer().SetAtomPosition(i, xyz.tolist())
    with pytest.raises(InputError, match=r"OB\(O\)c1ccccc1: Vina cannot take this ligand"):
        VinaScorer(protein, center, edges + 10)(boronic)


def test_only_the_first_alternative_location_reaches_vina(complex_1ia1, tmp_path):
    """obabel keeps every altloc, so a residue modelled twice would count twice; the first one is kept."""
    from discodock.baselines.vina import prepare_receptor

    protein, _ = complex_1ia1
    lines = protein.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("ATOM"))
    doubled = list(lines)
    a = lines[first][:16] + "A" + lines[first][17:]
    b = lines[first][:16] + "B" + lines[first][17:30] + f"{float(lines[first][30:38]) + 1.0:8.3f}" + lines[first][38:]
    doubled[first:first + 1] = [a, b]
    with_altlocs = tmp_path / "altlocs.pdb"
    with_altlocs.write_text("\n".join(doubled) + "\n")
    atoms = lambda path: sum(line.startswith(("ATOM", "HETATM")) for line in path.read_text().splitlines())
    assert atoms(prepare_receptor(with_altlocs, cache_dir=tmp_path)) == atoms(prepare_receptor(protein, cache_dir=tmp_path))
