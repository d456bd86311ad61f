"""Pose-mode encoder: pointer latents per complex, invariance, candidate residues; codebook latents."""

from dataclasses import replace

import torch
from .conftest import moved, synthetic_batch
from e3nn import o3

from discodock.model import ModelConfig, PoseModeEncoder, node_segments
from discodock.model.encoder import MASKED_LOGIT, residues_near_ligand
from torch_geometric.utils import scatter


def test_encode_gives_one_node_per_complex_and_column(batch2):
    torch.manual_seed(0)
    encoder = PoseModeEncoder(ModelConfig()).eval()
    for tau in (1.0, 0.01):
        z = encoder.encode(batch2, tau=tau, generator=torch.Generator().manual_seed(1))
        nodes = z.nodes()
        assert nodes.shape == (12 + 9 + 30 + 24, 2)
        torch.testing.assert_close(scatter(nodes, node_segments(batch2), dim=0, reduce="sum"), torch.ones(2, 2))
        assert ((nodes - nodes.round()).abs() < 1e-6).all()
    probs = encoder.probs(batch2).nodes()
    torch.testing.assert_close(scatter(probs, node_segments(batch2), dim=0, reduce="sum"), torch.ones(2, 2))


def test_logits_are_invariant():
    torch.manual_seed(0)
    encoder = PoseModeEncoder(ModelConfig(encoder_rec_cutoff=None)).double().eval()
    batch = synthetic_batch([(12, 30, 2), (9, 24, 1)], dtype=torch.float64)
    rot, shift = o3.rand_matrix(dtype=torch.float64), torch.tensor([1.0, 2.0, -3.0], dtype=torch.float64)
    with torch.no_grad():
        ref, out = encoder.logits(batch), encoder.logits(moved(batch, rot, shift))
    torch.testing.assert_close(out.lig, ref.lig, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out.rec, ref.rec, atol=1e-4, rtol=1e-4)
    assert ref.rec.std() > 1e-4


def test_far_residues_are_never_chosen(batch2):
    torch.manual_seed(0)
    encoder = PoseModeEncoder(ModelConfig(encoder_rec_cutoff=4.0)).eval()
    near = residues_near_ligand(batch2, 4.0)
    dist = torch.cdist(batch2.rec_pos, batch2.lig_pos)
    same = batch2.rec_batch[:, None] == batch2.lig_batch[None, :]
    torch.testing.assert_close(near, (dist.masked_fill(~same, 1e9).min(1).values < 4.0))
    assert 0 < int(near.sum()) < near.numel()
    with torch.no_grad():
        assert (encoder.logits(batch2).rec[~near] == MASKED_LOGIT).all()
        g = torch.Generator().manual_seed(0)
        chosen = sum(encoder.encode(batch2, generator=g).rec for _ in range(20))
    assert chosen[~near].sum() == 0


def test_codebook_logits_are_invariant_and_see_the_pose():
    torch.manual_seed(0)
    encoder = PoseModeEncoder(ModelConfig(latent_mode="codebook", codebook_size=8)).double().eval()
    batch = synthetic_batch([(12, 30, 2), (9, 24, 1)], dtype=torch.float64)
    rot, shift = o3.rand_matrix(dtype=torch.float64), torch.tensor([1.0, 2.0, -3.0], dtype=torch.float64)
    posed_elsewhere = replace(batch, lig_pos=batch.lig_pos + torch.tensor([4.0, 0.0, 0.0], dtype=torch.float64))
    with torch.no_grad():
        ref, out = encoder.code_logits(batch), encoder.code_logits(moved(batch, rot, shift))
        other = encoder.code_logits(posed_elsewhere)
    assert ref.shape == (2, 2, 8)
    torch.testing.assert_close(out, ref, atol=1e-8, rtol=1e-8)
    assert ref.std() > 1e-4  # not trivially constant
    assert (other - ref).abs().max() > 1e-4  # the crystal pose matters


def test_codebook_encode_gives_one_code_per_latent_with_straight_through_gradients(batch2):
    torch.manual_seed(0)
    encoder = PoseModeEncoder(ModelConfig(latent_mode="codebook", codebook_size=8))
    z = encoder.encode(batch2, tau=1.0, generator=torch.Generator().manual_seed(1))
    assert z.lig.shape == (12 + 9, 2 * 8) and z.rec.shape == (30 + 24, 2 * 8)
    codes = z.codes(batch2, 8)
    assert codes.shape == (2, 2, 8)
    torch.testing.assert_close(codes.sum(-1), torch.ones(2, 2))
    assert set(codes.detach().unique().tolist()) <= {0.0, 1.0}
    # every node of a complex carries that complex's codes
    torch.testing.assert_close(z.lig, codes.flatten(1)[batch2.lig_batch])
    torch.testing.assert_close(z.rec, codes.flatten(1)[batch2.rec_batch])
    (z.lig * torch.randn_like(z.lig)).sum().backward()  # one-hot forward, softmax gradient backward
    assert encoder.code_head.proj.weight.grad.abs().sum() > 0
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in encoder.trunk.parameters())
    with torch.no_grad():
        probs = encoder.eval().probs(batch2, tau=2.0).codes(batch2, 8)
        torch.testing.assert_close(probs, (encoder.code_logits(batch2) / 2.0).softmax(-1))
