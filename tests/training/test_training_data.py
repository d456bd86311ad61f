"""Training data: the cache (build, failures, resume, load), the split by protein, pocket crops, configs."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
import torch

from discodock.errors import InputError
from discodock.training.config import load_train_config
from discodock.training.dataset import (
    NoisedComplexes,
    TrainingComplex,
    build_cache,
    collate_noised,
    load_cache_items,
    pocket_crop,
    protein_clusters,
    split_by_protein,
    training_complexes,
    training_view,
)
from discodock.training.synthetic import synthetic_complex, synthetic_dataset


def _fake_featurize(paths):
    if paths.id == "bad":
        raise InputError(paths.ligand, "cannot be sanitised")
    g = synthetic_complex(paths.id, 7, 12, torch.Generator().manual_seed(len(paths.id)))
    return TrainingComplex(g, g.lig_pos + 0.1, 0.3)


def _paths(cid: str):
    return SimpleNamespace(id=cid, protein=f"{cid}/protein.pdb", ligand=f"{cid}/ligand.sdf")


def test_cache_logs_failures_and_loads_without_rdkit(tmp_path):
    out = tmp_path / "cache.pt"
    cache = build_cache([_paths("a"), _paths("bad"), _paths("ccc")], out, featurize=_fake_featurize, save_every=1)
    assert cache["failures"] == [("bad", "InputError: bad/ligand.sdf: cannot be sanitised")]
    items = load_cache_items(out)
    assert [c.graph.name for c in items] == ["a", "ccc"]
    torch.testing.assert_close(items[0].crystal_pos, items[0].graph.lig_pos + 0.1)
    assert not (tmp_path / "cache.pt.partial").exists()
    with pytest.raises(InputError, match="not found"):
        load_cache_items(tmp_path / "missing.pt")


def test_cache_build_resumes_from_partial(tmp_path):
    out = tmp_path / "cache.pt"
    calls = []

    def counting(paths):
        calls.append(paths.id)
        if paths.id == "c":
            raise RuntimeError("interrupted")  # recorded as a failure; earlier ones are in .partial
        return _fake_featurize(paths)

    build_cache([_paths("a"), _paths("b")], out, featurize=counting, save_every=1)
    (tmp_path / "cache.pt.partial").write_bytes(out.read_bytes())  # as if a longer build had stopped here
    calls.clear()
    cache = build_cache([_paths("a"), _paths("b"), _paths("d")], out, featurize=counting)
    assert calls == ["d"]
    assert cache["meta"]["ids"] == ["a", "b", "d"]


def test_split_keeps_each_protein_on_one_side():
    graphs = synthetic_dataset(12, seed=1)
    # copies of complex 0's protein with another ligand: the same protein cluster
    twins = [replace(graphs[0], name=f"copy{i}") for i in range(3)]
    graphs = graphs + twins
    clusters = protein_clusters(["".join(chr(65 + int(x)) for x in g.rec_type) for g in graphs])
    assert len({clusters[0], *(clusters[-3:])}) == 1
    assert len(set(clusters)) == 12
    train, val = split_by_protein(graphs, val_fraction=0.2, seed=0)
    assert sorted(train + val) == list(range(len(graphs)))
    assert 3 <= len(val) <= 6
    group = {0, 12, 13, 14}
    assert group <= set(train) or group <= set(val)


def test_pocket_crop_recentres_and_keeps_nearby_residues():
    g = synthetic_complex("p", 8, 60, torch.Generator().manual_seed(0))
    centre = g.lig_pos.mean(0) + torch.tensor([1.0, 0.0, 0.0])
    crop = pocket_crop(g, centre, 8.0)
    assert 0 < crop.num_residues < g.num_residues
    assert (crop.rec_pos.norm(dim=-1) <= 8.0 + 1e-5).all()
    # same complex in the input files' frame
    torch.testing.assert_close(crop.lig_pos + crop.center, g.lig_pos + g.center)
    torch.testing.assert_close(crop.rec_pos + crop.center, g.rec_pos[(g.rec_pos - centre).norm(dim=-1) <= 8.0] + g.center)
    view = training_view(g, "pocket", 8.0, 1.5, None, torch.Generator().manual_seed(0))
    assert view.lig_pos.mean(0).norm() < 8.0


def test_noised_dataset_validation_items_are_fixed():
    cfg = load_train_config(None)
    graphs = synthetic_dataset(4)
    data = NoisedComplexes(graphs, cfg.model, fixed_seed=3)
    torch.testing.assert_close(data[1][1], data[1][1])
    batch = collate_noised([data[i] for i in range(4)])
    assert len(batch) == 4 and batch.noisy_pos.shape == batch.clean.lig_pos.shape
    assert batch.targets.t.shape == (4,)


def test_validation_draws_stratify_time_per_complex():
    cfg = load_train_config(None)
    graphs = synthetic_dataset(3)
    draws = 4
    data = NoisedComplexes(graphs, cfg.model, fixed_seed=3, draws=draws)
    assert len(data) == 3 * draws
    for c, graph in enumerate(graphs):
        items = [data[c * draws + k] for k in range(draws)]
        assert all(g.name == graph.name for g, _, _ in items)
        t = torch.cat([targets.t for _, _, targets in items])
        # draw k's time lies in the k-th quarter of the time distribution (uniform by default)
        assert ((t >= torch.arange(draws) / draws) & (t < (torch.arange(draws) + 1) / draws)).all()


def test_config_overrides_and_unknown_keys():
    cfg = load_train_config(None, ["score.lr=3e-4", "model.ns=8", "data.mode=pocket", "name=x"])
    assert cfg.score.lr == pytest.approx(3e-4) and cfg.model.ns == 8 and cfg.data.mode == "pocket" and cfg.name == "x"
    with pytest.raises(InputError, match="unknown keys"):
        load_train_config(None, ["score.learning_rate=1"])


def test_training_sets_exclude_the_test_set(shared_data):
    complexes = training_complexes(shared_data)
    assert len(complexes) == 154 + 120
    v2 = set((shared_data / "splits" / "posebusters_v2_308_ids.txt").read_text().split())
    assert not v2 & {c.id for c in complexes}
    with pytest.raises(InputError, match="test set"):
        training_complexes(shared_data, sets=("train_pool", "posebusters_v2"))


def test_a_cache_holding_a_test_complex_is_refused_whoever_built_it(tmp_path):
    from discodock.training.dataset import check_no_test_complexes

    (tmp_path / "splits").mkdir()
    (tmp_path / "splits" / "posebusters_v2_308_ids.txt").write_text("5SAK_ZRY\n7XYZ_ABC\n")
    check_no_test_complexes(["1abc_LIG", "6ABC"], "cache.pt", data_root=tmp_path)
    with pytest.raises(InputError, match="cache.pt: holds 2 PoseBusters V2 test complexes: 5sak, 7XYZ_QQQ"):
        check_no_test_complexes(["1abc_LIG", "5sak", "7XYZ_QQQ"], "cache.pt", data_root=tmp_path)  # PDB codes
    check_no_test_complexes(["5sak"], "cache.pt", data_root=tmp_path / "absent")  # nothing to check against
    with pytest.raises(InputError, match="posebusters_v2_308_ids.txt: not found"):  # unless the check is required
        check_no_test_complexes(["5sak"], "cache.pt", data_root=tmp_path / "absent", required=True)


def test_feature_columns_must_fit_the_model_vocabularies():
    from discodock.training.datamodule import check_vocabularies

    items = [TrainingComplex(g, g.lig_pos, 0.0) for g in synthetic_dataset(2)]
    check_vocabularies(items, load_train_config(None), "cache")  # synthetic features use the default dims
    with pytest.raises(InputError, match="feature columns"):
        check_vocabularies(items, load_train_config(None, ["model.ligand_feature_dims=[13, 4, 8]"]), "cache")
    with pytest.raises(InputError, match="exceed"):
        check_vocabularies(items, load_train_config(None, ["model.ligand_feature_dims=[2, 2, 2, 2, 2, 2, 2, 2, 2, 2]"]), "cache")


def test_a_validation_id_file_fixes_the_split_whatever_the_cache_gains(tmp_path):
    from discodock.training.datamodule import load_split

    items = [TrainingComplex(g, g.lig_pos, 0.0) for g in synthetic_dataset(6, seed=2)]
    names = [c.graph.name for c in items]
    ids = tmp_path / "val.txt"
    ids.write_text(f"{names[1]}\n{names[4]}\n")
    cfg = load_train_config(None, [f"data.val_ids={ids}"])
    for cache in (items[:5] + items[5:], items[:5]):  # with and without one more complex
        train, val = load_split(cfg, cache)
        assert [c.graph.name for c in val] == [names[1], names[4]]
        assert {c.graph.name for c in train} == {c.graph.name for c in cache} - {names[1], names[4]}
    with pytest.raises(InputError, match="not in"):
        load_split(cfg, items[:3])  # names[4] is missing from this cache
    with pytest.raises(InputError, match="not found"):
        load_split(load_train_config(None, [f"data.val_ids={tmp_path / 'none.txt'}"]), items)


def test_shipped_configs_name_the_split_their_models_trained_with():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    for config in sorted((repo / "configs").glob("train_*.yaml")):
        assert load_train_config(config).data.val_ids == "configs/splits/val_seed0.txt", config.name
    assert len((repo / "configs" / "splits" / "val_seed0.txt").read_text().split()) == 27


@pytest.mark.parametrize("smiles", ["OC(=O)c1ccc(cc1)C(F)(F)F", "CC(C)(C)c1ccccc1", "CCO"])
def test_confidence_labels_use_the_same_symmetric_rmsd_as_the_evaluation(smiles):
    """A pose with a flipped ring or CF3 is a hit for the evaluation's spyrmsd RMSD; the labels agree."""
    import numpy as np
    from rdkit import Chem
    from rdkit.Chem import AllChem

    from discodock.chem.featurize import ligand_atom_features, ligand_bonds
    from discodock.evaluation.rmsd import symmetry_rmsd
    from discodock.training.confidence_data import ligand_automorphisms, pose_rmsd

    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    AllChem.EmbedMolecule(mol, randomSeed=0)
    mol = Chem.RemoveHs(mol)
    crystal = torch.tensor(mol.GetConformer().GetPositions(), dtype=torch.float64)
    bond_index, _ = ligand_bonds(mol)
    graph = SimpleNamespace(lig_atom_feat=ligand_atom_features(mol), lig_bond_index=bond_index,
                            num_atoms=mol.GetNumAtoms())
    automorphisms = ligand_automorphisms(graph)
    assert automorphisms[0].tolist() == list(range(mol.GetNumAtoms()))
    generator = torch.Generator().manual_seed(0)
    # each automorphism applied to the crystal (a pose that is correct up to symmetry), plus noisy ones
    poses = torch.cat([crystal[automorphisms], crystal + torch.randn(5, *crystal.shape, generator=generator,
                                                                      dtype=torch.float64)])
    ours = pose_rmsd(poses, crystal, automorphisms)
    np.testing.assert_allclose(ours.numpy(), symmetry_rmsd(mol, list(poses.numpy())), atol=1e-6)
    assert (ours[: len(automorphisms)] < 1e-9).all()
