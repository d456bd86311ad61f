"""Score model: shapes, E(3) behaviour, latents and the null latent, receptor caching."""

import pytest
import torch
from .conftest import moved, synthetic_batch
from e3nn import o3

from discodock.complex_graph import collate
from discodock.model import LatentNodes, ModelConfig, PoseModeEncoder, ScoreModel
from discodock.model.config import cross_cutoff, sigmas
from discodock.model.score_model import cross_edges, ligand_edges, pointer_edges

T = torch.tensor([0.3, 0.8], dtype=torch.float64)


def one_hot_latent(batch, nodes: list[list[int]]) -> LatentNodes:
    """Pointer latents from per-complex local node ids (ligand atoms first, then residues) per column."""
    n_lig = torch.bincount(batch.lig_batch).tolist()
    n_rec = torch.bincount(batch.rec_batch).tolist()
    lig = torch.zeros(batch.lig_pos.shape[0], len(nodes[0]), dtype=batch.lig_pos.dtype)
    rec = torch.zeros(batch.rec_pos.shape[0], len(nodes[0]), dtype=batch.lig_pos.dtype)
    for g, cols in enumerate(nodes):
        for c, i in enumerate(cols):
            if i < n_lig[g]:
                lig[sum(n_lig[:g]) + i, c] = 1.0
            else:
                rec[sum(n_rec[:g]) + i - n_lig[g], c] = 1.0
    return LatentNodes(lig, rec)


def codebook_latent(batch, codes: list[list[int]], k: int = 8) -> LatentNodes:
    """Codebook latents from each complex's code ids [G][m]."""
    one_hot = torch.nn.functional.one_hot(torch.tensor(codes), k).to(batch.lig_pos.dtype)
    return LatentNodes.from_codes(one_hot, batch)


@pytest.fixture(scope="module")
def model64():
    torch.manual_seed(0)
    return ScoreModel(ModelConfig()).double().eval()


@pytest.fixture(scope="module")
def batch64():
    return synthetic_batch([(12, 30, 2), (9, 24, 1)], dtype=torch.float64)


def test_output_shapes_and_parameter_count(batch2):
    model = ScoreModel(ModelConfig()).eval()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"ScoreModel default config: {n_params} parameters")
    assert n_params <= 1_000_000
    out = model(batch2, torch.tensor([0.2, 0.9]))
    assert out["tr_score"].shape == (2, 3)
    assert out["rot_score"].shape == (2, 3)
    assert out["tor_score"].shape == (3,)
    assert all(torch.isfinite(v).all() for v in out.values())


def assert_se3_equivariant(model, batch, latent) -> None:
    """tr and rot scores rotate with the complex, torsion scores do not change; none is trivially zero."""
    torch.manual_seed(1)
    rot, shift = o3.rand_matrix(dtype=torch.float64), torch.tensor([4.0, -7.0, 2.5], dtype=torch.float64)
    with torch.no_grad():
        ref = model(batch, T, latent)
        out = model(moved(batch, rot, shift), T, latent)
    torch.testing.assert_close(out["tr_score"], ref["tr_score"] @ rot.T, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out["rot_score"], ref["rot_score"] @ rot.T, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out["tor_score"], ref["tor_score"], atol=1e-4, rtol=1e-4)
    assert ref["tr_score"].abs().max() > 1e-3 and ref["tor_score"].abs().max() > 1e-4  # not trivially zero


def test_rotation_and_translation(model64, batch64):
    assert_se3_equivariant(model64, batch64, one_hot_latent(batch64, [[3, 20], [15, 2]]))  # an atom and a residue each


def test_reflection_flips_translation_not_rotation(model64, batch64):
    """tr is a vector (1o), rot a pseudovector (1e): E(3), not only SE(3)."""
    with torch.no_grad():
        ref = model64(batch64, T)
        out = model64(moved(batch64, -torch.eye(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)), T)
    torch.testing.assert_close(out["tr_score"], -ref["tr_score"], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out["rot_score"], ref["rot_score"], atol=1e-4, rtol=1e-4)


def test_dihedral_head_is_se3_invariant_and_a_pseudoscalar(batch64):
    """With the dihedral head (Σ_k α_k sin kφ) the torsion scores stay SE(3)-invariant; the head itself
    flips sign under reflection, as a torsion score must (the mirror image turns the other way)."""
    torch.manual_seed(0)
    model = ScoreModel(ModelConfig(dihedral_harmonics=3)).double().eval()
    torch.nn.init.normal_(model.dihedral_coefficients[-1].weight)  # it starts at zero
    assert_se3_equivariant(model, batch64, one_hot_latent(batch64, [[3, 20], [15, 2]]))
    mirror = moved(batch64, -torch.eye(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    with torch.no_grad():
        head = model._dihedral_scores(batch64, model.trunk(batch64, T, cross_cutoff(sigmas(T, model.cfg).tr, model.cfg)))
        head_mirror = model._dihedral_scores(mirror, model.trunk(mirror, T, cross_cutoff(sigmas(T, model.cfg).tr, model.cfg)))
    assert head.shape == (3,) and head.abs().min() > 1e-6
    torch.testing.assert_close(head_mirror, -head)


def test_dihedral_head_is_off_by_default_so_first_bundles_load():
    assert not [k for k in ScoreModel(ModelConfig()).state_dict() if "dihedral" in k]


def test_dihedral_head_starts_as_the_model_without_it(batch2):
    """Same seed: the same initial weights and scores with and without the head, and the same RNG state after."""
    torch.manual_seed(0)
    plain = ScoreModel(ModelConfig()).eval()
    after_plain = torch.rand(1)
    torch.manual_seed(0)
    with_head = ScoreModel(ModelConfig(dihedral_harmonics=3)).eval()
    assert torch.equal(torch.rand(1), after_plain)
    shared = plain.state_dict()
    assert all(torch.equal(v, shared[k]) for k, v in with_head.state_dict().items() if "dihedral" not in k)
    t = torch.tensor([0.3, 0.8])
    with torch.no_grad():
        a, b = plain(batch2, t), with_head(batch2, t)
    for key in a:
        torch.testing.assert_close(b[key], a[key])


def test_latent_changes_output_and_none_is_null(model64, batch64):
    a = one_hot_latent(batch64, [[0, 14], [1, 20]])
    b = one_hot_latent(batch64, [[5, 30], [8, 11]])
    with torch.no_grad():
        out_a, out_b, out_none = model64(batch64, T, a), model64(batch64, T, b), model64(batch64, T, None)
        out_dropped = model64(batch64, T, a, drop=torch.tensor([True, True]))
        out_half = model64(batch64, T, a, drop=torch.tensor([True, False]))
    assert (out_a["tr_score"] - out_b["tr_score"]).abs().max() > 1e-4
    assert (out_a["tor_score"] - out_none["tor_score"]).abs().max() > 1e-5
    for key in out_none:
        torch.testing.assert_close(out_dropped[key], out_none[key])
    # dropping complex 0 only: complex 0 as null, complex 1 as with its latent (eval: no batch coupling)
    torch.testing.assert_close(out_half["tr_score"][0], out_none["tr_score"][0])
    torch.testing.assert_close(out_half["tr_score"][1], out_a["tr_score"][1])


def test_latent_dropout_in_training_is_per_complex(batch2):
    torch.manual_seed(0)
    model = ScoreModel(ModelConfig(latent_dropout=1.0, batch_norm=False)).train()
    latent = one_hot_latent(batch2, [[0, 14], [1, 20]])
    t = torch.tensor([0.3, 0.8])
    torch.testing.assert_close(model(batch2, t, latent)["tr_score"], model(batch2, t, None)["tr_score"])


def test_twin_takes_no_latent(batch2):
    twin = ScoreModel(ModelConfig(latent_mode="none"))
    assert twin.num_latents == 0
    with pytest.raises(ValueError, match="latent_mode 'none'"):
        twin(batch2, torch.tensor([0.3, 0.8]), one_hot_latent(batch2, [[0, 1], [0, 1]]))


def test_gradients_reach_encoder_through_score(batch2):
    torch.manual_seed(0)
    cfg = ModelConfig()
    encoder, model = PoseModeEncoder(cfg), ScoreModel(cfg)
    latent = encoder.encode(batch2, tau=1.0, hard=True)
    out = model(batch2, torch.tensor([0.3, 0.8]), latent, drop=torch.tensor([False, False]))
    (out["tr_score"].square().sum() + out["tor_score"].square().sum()).backward()
    grads = [p.grad for p in encoder.parameters() if p.grad is not None]
    assert grads and sum(g.abs().sum() for g in grads) > 0


def test_cached_and_tiled_receptor_features_match(model64):
    from .conftest import synthetic_complex

    graph = synthetic_complex(10, 25, 2, seed=4)
    graph.lig_pos, graph.rec_pos, graph.rec_side = graph.lig_pos.double(), graph.rec_pos.double(), graph.rec_side.double()
    copies = collate([graph] * 3)
    t = torch.tensor([0.9, 0.5, 0.1], dtype=torch.float64)
    with torch.no_grad():
        direct = model64(copies, t)
        cached = model64(copies, t, receptor=model64.receptor_features(collate([graph])).repeat(3))
    for key in direct:
        torch.testing.assert_close(cached[key], direct[key])


def test_graph_edges(batch2):
    lig, bond_class = ligand_edges(batch2, 5.0)
    keys = lig[0] * 100 + lig[1]
    assert keys.unique().numel() == keys.numel()  # bond edges not duplicated by radius edges
    assert (bond_class[: batch2.lig_bond_index.shape[1]] > 0).all()
    assert (batch2.lig_batch[lig[0]] == batch2.lig_batch[lig[1]]).all()
    cross = cross_edges(batch2, torch.tensor([100.0, 100.0]), max_neighbors=5)
    assert torch.bincount(cross[0]).max() == 5
    assert (batch2.lig_batch[cross[0]] == batch2.rec_batch[cross[1]]).all()
    latent = one_hot_latent(batch2, [[0, 14], [25, 20]])  # complex 0: atom 0, residue 2; complex 1: residues 16 and 11
    pe = pointer_edges(batch2, latent.rec, torch.tensor([True, True]))
    assert pe.shape[1] == 12 + 2 * 9  # every atom to every pointed residue
    assert (batch2.lig_batch[pe[0]] == batch2.rec_batch[pe[1]]).all()
    assert pointer_edges(batch2, latent.rec, torch.tensor([True, False])).shape[1] == 12


def test_rigid_ligands_without_torsions():
    model = ScoreModel(ModelConfig()).train()
    batch = synthetic_batch([(5, 20, 0), (6, 10, 0)])
    out = model(batch, torch.tensor([0.2, 0.7]))
    assert out["tor_score"].shape == (0,) and out["tr_score"].shape == (2, 3)
    out["tr_score"].sum().backward()


@pytest.fixture(scope="module")
def codebook64():
    torch.manual_seed(0)
    return ScoreModel(ModelConfig(latent_mode="codebook", codebook_size=8)).double().eval()


def test_codebook_latents_keep_equivariance(codebook64, batch64):
    assert codebook64.num_latents == 2 * 8
    assert_se3_equivariant(codebook64, batch64, codebook_latent(batch64, [[1, 6], [3, 3]]))


def test_codebook_code_changes_output_and_dropped_is_null(codebook64, batch64):
    a = codebook_latent(batch64, [[1, 6], [3, 3]])
    b = codebook_latent(batch64, [[1, 2], [0, 3]])  # one code changed per complex
    with torch.no_grad():
        out_a, out_b, out_none = codebook64(batch64, T, a), codebook64(batch64, T, b), codebook64(batch64, T, None)
        out_dropped = codebook64(batch64, T, a, drop=torch.tensor([True, True]))
    for g in range(2):
        assert (out_a["tr_score"][g] - out_b["tr_score"][g]).abs().max() > 1e-4
    assert (out_a["tor_score"] - out_none["tor_score"]).abs().max() > 1e-5
    for key in out_none:
        torch.testing.assert_close(out_dropped[key], out_none[key])


def test_codebook_latents_add_no_pointer_edges(codebook64, batch64):
    """Every residue carries the codes, so pointer edges would join each one to the whole ligand."""
    cut = cross_cutoff(sigmas(T, codebook64.cfg).tr, codebook64.cfg)
    latent = codebook_latent(batch64, [[1, 6], [3, 3]])
    edges = codebook64.trunk.pose_cross_edges(batch64, cut, latent, None)
    torch.testing.assert_close(edges, cross_edges(batch64, cut, codebook64.cfg.cross_max_neighbors))


def test_gradients_reach_codebook_encoder_through_score(batch2):
    torch.manual_seed(0)
    cfg = ModelConfig(latent_mode="codebook")
    encoder, model = PoseModeEncoder(cfg), ScoreModel(cfg)
    latent = encoder.encode(batch2, tau=1.0, hard=True)
    out = model(batch2, torch.tensor([0.3, 0.8]), latent, drop=torch.tensor([False, False]))
    (out["tr_score"].square().sum() + out["tor_score"].square().sum()).backward()
    assert encoder.code_head.proj.weight.grad.abs().sum() > 0
