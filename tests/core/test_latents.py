"""Straight-through Gumbel-softmax, pointer latents over variable-size sets, latent embedding."""

import pytest
import torch

from discodock.core.latents import (
    CodebookHead,
    LatentEmbedding,
    gumbel_softmax_st,
    sample_gumbel,
    segment_gumbel_softmax_st,
)


def test_straight_through_is_one_hot_forward_with_gradients():
    logits = torch.randn(16, 3, 8, requires_grad=True)
    y = gumbel_softmax_st(logits, tau=1.0)
    assert set(y.detach().unique().tolist()) == {0.0, 1.0}
    torch.testing.assert_close(y.detach().sum(-1), torch.ones(16, 3))
    (y * torch.randn(16, 3, 8)).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    assert logits.grad.abs().amax(-1).gt(0).all()  # every latent gets a gradient


def test_gumbel_max_frequencies_match_softmax():
    logits = torch.tensor([0.0, 1.0, -1.0, 2.0])
    g = torch.Generator().manual_seed(0)
    y = gumbel_softmax_st(logits.expand(40_000, 4), generator=g)
    torch.testing.assert_close(y.mean(0), logits.softmax(0), atol=0.01, rtol=0)


def test_low_temperature_is_argmax_and_soft_mode_is_a_distribution():
    logits = torch.tensor([[0.0, 5.0, 1.0]]).expand(1000, 3)
    soft = gumbel_softmax_st(logits, tau=1.0, hard=False)
    torch.testing.assert_close(soft.sum(-1), torch.ones(1000))
    assert (soft > 0).all() and (soft < 1).all()


def _segments(sizes):
    return torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))


def test_pointer_latents_batch_sets_of_different_sizes():
    sizes = [3, 1, 6, 2]
    segment = _segments(sizes)
    N, m = int(segment.numel()), 2
    logits = torch.randn(N, m, requires_grad=True)
    seed = 3
    y = segment_gumbel_softmax_st(logits, segment, len(sizes), tau=0.5, generator=torch.Generator().manual_seed(seed))
    assert y.shape == (N, m)
    # Each set, each column: exactly one chosen row.
    per_set = torch.zeros(len(sizes), m).index_add_(0, segment, y.detach())
    torch.testing.assert_close(per_set, torch.ones(len(sizes), m))
    # Same choice and soft values as a per-set softmax with the same Gumbel noise.
    gumbel = sample_gumbel((N, m), logits, torch.Generator().manual_seed(seed))
    start = 0
    for s in sizes:
        block = ((logits[start : start + s] + gumbel[start : start + s]) / 0.5).softmax(0).detach()
        expected = torch.zeros_like(block).scatter_(0, block.argmax(0, keepdim=True), 1.0)
        torch.testing.assert_close(y[start : start + s].detach(), expected)
        start += s
    # Gradients stay inside a set: set 2's output does not depend on set 0's logits.
    (y[segment == 2] * torch.randn(6, m)).sum().backward()
    assert logits.grad[segment == 0].abs().sum() == 0
    assert logits.grad[segment == 2].abs().sum() > 0


def test_pointer_soft_mode_sums_to_one_per_set():
    sizes = [4, 2, 5]
    segment = _segments(sizes)
    y = segment_gumbel_softmax_st(torch.randn(11, 3), segment, 3, hard=False)
    torch.testing.assert_close(torch.zeros(3, 3).index_add_(0, segment, y), torch.ones(3, 3))


def test_pointer_choice_frequencies_match_per_set_softmax():
    sizes = [2, 3]
    segment = _segments(sizes)
    logits = torch.tensor([[0.0], [1.0], [2.0], [0.0], [-1.0]])
    reps = 4000  # 4000 copies of the two sets, batched as 8000 segments
    many = segment_gumbel_softmax_st(
        logits.repeat(reps, 1), (segment + 2 * torch.arange(reps)[:, None]).flatten(), 2 * reps,
        generator=torch.Generator().manual_seed(0),
    )
    counts = many.view(reps, 5, 1).mean(0)
    expected = torch.cat([logits[:2].softmax(0), logits[2:].softmax(0)])
    torch.testing.assert_close(counts, expected, atol=0.03, rtol=0)


def test_pointer_rejects_bad_shapes():
    with pytest.raises(ValueError):
        segment_gumbel_softmax_st(torch.randn(5), torch.zeros(5, dtype=torch.long), 1)


def test_codebook_head_and_embedding_pass_gradients_to_encoder():
    head, emb = CodebookHead(6, m=2, k=4), LatentEmbedding(2, 4, dim=5, p_drop=0.0)
    h = torch.randn(3, 6, requires_grad=True)
    logits = head(h)
    assert logits.shape == (3, 2, 4)
    out = emb(gumbel_softmax_st(logits))
    assert out.shape == (3, 2, 5)
    out.sum().backward()
    assert h.grad.abs().sum() > 0


def test_null_embedding_and_dropout():
    emb = LatentEmbedding(2, 4, dim=5, p_drop=0.1)
    null = emb(None, batch_size=3)
    torch.testing.assert_close(null, emb.null.expand(3, 2, 5))
    with pytest.raises(ValueError):
        emb(None)
    z = torch.nn.functional.one_hot(torch.randint(4, (20_000, 2)), 4).float()
    emb.train()
    dropped = (emb(z) == emb.null).all(-1).all(-1).float().mean()
    assert dropped.item() == pytest.approx(0.1, abs=0.01)
    emb.eval()
    torch.testing.assert_close(emb(z[:4]), torch.einsum("bmk,mkd->bmd", z[:4], emb.codes))
    forced = emb(z[:4], drop_mask=torch.tensor([True, False, True, False]))
    torch.testing.assert_close(forced[0], emb.null)
    torch.testing.assert_close(forced[1], emb(z[1:2])[0])
