"""Confidence model: one invariant logit per complex."""

import torch
from .conftest import moved, synthetic_batch
from e3nn import o3

from discodock.model import ConfidenceModel, ModelConfig


def test_confidence_logits_shape_and_invariance():
    torch.manual_seed(0)
    model = ConfidenceModel(ModelConfig()).double().eval()
    batch = synthetic_batch([(12, 30, 2), (9, 24, 1)], dtype=torch.float64)
    rot, shift = o3.rand_matrix(dtype=torch.float64), torch.tensor([-2.0, 5.0, 1.0], dtype=torch.float64)
    with torch.no_grad():
        ref = model(batch)
        out = model(moved(batch, rot, shift))
        cached = model(batch, receptor=model.receptor_features(batch))
    assert ref.shape == (2,)
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(cached, ref)
    # a different pose of the same ligand gives a different logit
    shifted = moved(batch, torch.eye(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    shifted.lig_pos = batch.lig_pos + torch.tensor([3.0, 0.0, 0.0], dtype=torch.float64)
    with torch.no_grad():
        assert (model(shifted) - ref).abs().max() > 1e-5


def test_listwise_ranking_loss_matches_its_formula_and_prefers_the_rmsd_order():
    from discodock.model.confidence import listwise_ranking_loss

    rmsd = torch.tensor([1.0, 3.0, 6.0, 2.0, 5.0])
    group = torch.tensor([0, 0, 0, 1, 1])
    mask = torch.ones(5, dtype=torch.bool)
    logits = torch.tensor([2.0, 0.5, -1.0, 0.3, 0.1])
    expected = []
    for g in (0, 1):
        sel = group == g
        q = torch.softmax(-rmsd[sel] / 2.0, 0)
        expected.append(-(q * torch.log_softmax(logits[sel], 0)).sum())
    loss = listwise_ranking_loss(logits, rmsd, group, mask, temperature=2.0)
    torch.testing.assert_close(loss, torch.stack(expected).mean())
    # logits in the RMSD order beat the reverse order; a constant per group changes nothing
    assert loss < listwise_ranking_loss(-logits, rmsd, group, mask, 2.0)
    shifted = logits + torch.tensor([5.0, 5.0, 5.0, -3.0, -3.0])
    torch.testing.assert_close(listwise_ranking_loss(shifted, rmsd, group, mask, 2.0), loss)
    # the gradient raises the best pose of each group and lowers the worst
    logits = torch.zeros(5, requires_grad=True)
    listwise_ranking_loss(logits, rmsd, group, mask).backward()
    assert logits.grad[0] < 0 < logits.grad[2] and logits.grad[3] < 0 < logits.grad[4]


def test_listwise_ranking_loss_uses_only_masked_poses_in_groups_of_two_or_more():
    from discodock.model.confidence import listwise_ranking_loss

    rmsd = torch.tensor([1.0, 3.0, 0.5, 4.0, 2.0])
    group = torch.tensor([0, 0, 0, 1, 1])
    logits = torch.tensor([0.2, -0.4, 9.0, 1.0, -1.0])
    mask = torch.tensor([True, True, False, True, False])  # pose 2 (perturbed) left out; group 1 keeps one pose
    only_group0 = listwise_ranking_loss(logits[:2], rmsd[:2], group[:2], torch.ones(2, dtype=torch.bool))
    torch.testing.assert_close(listwise_ranking_loss(logits, rmsd, group, mask), only_group0)
    none = listwise_ranking_loss(logits, rmsd, group, torch.tensor([True, False, False, True, False]))
    assert float(none) == 0.0
    empty = listwise_ranking_loss(logits, rmsd, group, torch.zeros(5, dtype=torch.bool))
    assert float(empty) == 0.0
