"""discodock.refine: Vina-style mutations keep the molecule rigid where it should be, chains never
return a worse pose than their start, and the whole refinement is reproducible from its seed."""

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from discodock.chem.torsions import rotatable_bonds, torsion_moving_atoms
from discodock.refine import RefineSettings, distinct_starts, mutate_pose, refine_chain, refine_poses


@pytest.fixture(scope="module")
def ligand() -> Chem.Mol:
    """A heavy-atom ligand with three rotatable bonds and a 3-D conformer."""
    mol = Chem.AddHs(Chem.MolFromSmiles("OCCCc1ccc(CCN)cc1"))
    AllChem.EmbedMolecule(mol, randomSeed=7)
    return Chem.RemoveHs(mol)


def _distances(pos: np.ndarray) -> np.ndarray:
    return np.linalg.norm(pos[:, None] - pos[None], axis=-1)


def _bond_lengths(mol: Chem.Mol, pos: np.ndarray) -> np.ndarray:
    return np.array([np.linalg.norm(pos[b.GetBeginAtomIdx()] - pos[b.GetEndAtomIdx()]) for b in mol.GetBonds()])


def test_each_mutation_changes_one_degree_of_freedom(ligand):
    bonds = rotatable_bonds(ligand)
    moving = torsion_moving_atoms(ligand, bonds)
    assert len(bonds) >= 3
    pos = ligand.GetConformer().GetPositions()
    rng = np.random.default_rng(0)
    kinds = set()
    for _ in range(60):
        new = mutate_pose(pos, bonds, moving, rng, amplitude=2.0)
        np.testing.assert_allclose(_bond_lengths(ligand, new), _bond_lengths(ligand, pos), atol=1e-9)
        if np.allclose(_distances(new), _distances(pos), atol=1e-9):  # rigid: translation or rotation
            shift = new.mean(0) - pos.mean(0)
            if np.allclose(new - pos, shift, atol=1e-9):
                assert 0 < np.linalg.norm(shift) < 2.0  # inside the amplitude's ball
                kinds.add("translation")
            else:
                np.testing.assert_allclose(new.mean(0), pos.mean(0), atol=1e-9)  # about the centroid
                kinds.add("rotation")
        else:  # one torsion: one side of one bond moved, the other side stayed put
            still = np.all(np.isclose(new, pos, atol=1e-9), axis=1)
            assert any(set(np.flatnonzero(~still)) <= set(atoms) for atoms in moving)
            kinds.add("torsion")
    assert kinds == {"translation", "rotation", "torsion"}


def test_mutations_repeat_with_the_seed(ligand):
    bonds = rotatable_bonds(ligand)
    moving = torsion_moving_atoms(ligand, bonds)
    pos = ligand.GetConformer().GetPositions()
    first = [mutate_pose(pos, bonds, moving, np.random.default_rng(3)) for _ in range(2)]
    np.testing.assert_array_equal(first[0], first[1])


def test_distinct_starts_take_the_best_apart_and_skip_infinite(ligand):
    pos = ligand.GetConformer().GetPositions()
    poses = np.stack([pos, pos + [0.5, 0, 0], pos + [5, 0, 0], pos + [10, 0, 0], pos + [20, 0, 0]])
    energies = np.array([-9.0, -9.5, -7.0, -8.0, np.inf])
    # pose 1 (best), pose 0 is 0.5 Å from it, then pose 3, then pose 2; pose 4 scores +inf
    assert distinct_starts(ligand, poses, energies, count=5, min_separation=2.0) == [1, 3, 2]
    assert distinct_starts(ligand, poses, energies, count=2, min_separation=2.0) == [1, 3]
    assert distinct_starts(ligand, poses, energies, count=5, min_separation=0.1) == [1, 0, 3, 2]


def _well(target: np.ndarray):
    """A fake minimiser: energy = squared distance of the centroid from `target`; the pose comes back as is."""
    def minimise(pose: Chem.Mol) -> tuple[float, Chem.Mol]:
        heavy = Chem.RemoveHs(pose)
        return float(((heavy.GetConformer().GetPositions().mean(0) - target) ** 2).sum()), heavy
    return minimise


def test_a_chain_returns_the_lowest_pose_it_visited(ligand):
    pos = ligand.GetConformer().GetPositions()
    target = pos.mean(0) + [3.0, 0, 0]
    minimise = _well(target)
    start_energy = minimise(ligand)[0]
    energy, best = refine_chain(minimise, ligand, pos, start_energy, RefineSettings(steps=40), np.random.default_rng(0))
    assert energy < start_energy  # 40 steps of 2 Å moves find lower ground in a 3 Å wide well
    assert energy == pytest.approx(((best.mean(0) - target) ** 2).sum())  # the pose that has that energy
    # no step can lower a pose already at the bottom: the chain hands back its start
    at_bottom = pos - pos.mean(0) + target
    energy, best = refine_chain(minimise, ligand, at_bottom, 0.0, RefineSettings(steps=5), np.random.default_rng(0))
    assert energy == 0.0 and np.array_equal(best, at_bottom)


def test_refinement_replaces_only_the_chain_starts_and_repeats(ligand):
    pos = ligand.GetConformer().GetPositions()
    poses = np.stack([pos + [d, 0, 0] for d in (0.0, 0.3, 6.0, 12.0)])
    minimise = _well(pos.mean(0))
    energies = np.array([minimise(Chem.Mol(ligand))[0] + 1.0, 4.0, 36.0, 144.0])
    settings = RefineSettings(chains=2, steps=8, seed=1)
    new_energies, new_poses = refine_poses(minimise, ligand, poses, energies, settings)
    assert np.all(new_energies <= energies)
    np.testing.assert_array_equal(new_poses[[1, 3]], poses[[1, 3]])  # 1 is within 2 Å of start 0; 3 is third
    again = refine_poses(minimise, ligand, poses, energies, settings)
    np.testing.assert_array_equal(again[0], new_energies)
    np.testing.assert_array_equal(again[1], new_poses)


@pytest.mark.slow
def test_vina_refinement_of_shifted_crystal_poses(posebusters_examples):
    """Real Vina maps (1ia1): refinement from shifted copies of the crystal pose lowers the best score."""
    pytest.importorskip("vina")
    from discodock.baselines.vina import VinaScorer, ligand_box, read_ligand

    folder = posebusters_examples / "1ia1"
    protein, crystal = folder / "1ia1_protein_one_lig_removed.pdb", Chem.RemoveHs(read_ligand(folder / "1ia1_ligand.sdf"))
    pos = crystal.GetConformer().GetPositions()
    scorer = VinaScorer(protein, pos.mean(0), ligand_box(crystal) + 6.0)
    from discodock.output import pose_molecule

    scored = [scorer(pose_molecule(crystal, pos + shift), local_optimize=True) for shift in ([2.5, 0, 0], [0, 0, 3.0])]
    energies = np.array([e for e, _ in scored])
    poses = np.stack([p.GetConformer().GetPositions() for _, p in scored])
    refined, moved = refine_poses(lambda p: scorer(p, local_optimize=True), crystal, poses, energies,
                                  RefineSettings(chains=2, steps=6))
    assert np.isfinite(refined).all() and np.all(refined <= energies)
    lengths = _bond_lengths(crystal, moved[int(np.argmin(refined))])
    assert 1.1 < lengths.min() and lengths.max() < 2.0  # Vina's poses keep the molecule whole
