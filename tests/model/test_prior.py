"""Autoregressive pointer and codebook priors: normalisation, sampling, soft labels, accuracy."""

import itertools

import pytest
import torch
from .conftest import moved, synthetic_batch, synthetic_complex
from e3nn import o3
from torch_geometric.utils import scatter

from discodock.complex_graph import collate
from discodock.model import (
    CodebookPrior,
    LatentNodes,
    ModelConfig,
    PointerPrior,
    PoseModeEncoder,
    ScoreModel,
    build_prior,
    node_segments,
)


def test_log_prob_normalised_over_all_node_pairs():
    torch.manual_seed(0)
    prior = PointerPrior(ModelConfig()).double().eval()
    graph = synthetic_complex(4, 5, 0, seed=3)
    graph.lig_pos, graph.rec_pos, graph.rec_side = graph.lig_pos.double(), graph.rec_pos.double(), graph.rec_side.double()
    k = 4 + 5
    pairs = list(itertools.product(range(k), repeat=2))
    batch = collate([graph] * len(pairs))
    eye = torch.eye(k, dtype=torch.float64)
    nodes = torch.cat([torch.stack([eye[i], eye[j]], 1) for i, j in pairs])  # complex-major [K * pairs, 2]
    ids = torch.arange(len(pairs)).repeat_interleave(k)
    is_lig = (torch.arange(k) < 4).repeat(len(pairs))
    latent = LatentNodes(lig=nodes[is_lig], rec=nodes[~is_lig])
    assert (batch.lig_batch == ids[is_lig]).all()
    with torch.no_grad():
        logp = prior.log_prob(batch, latent)
    assert logp.shape == (len(pairs),)
    torch.testing.assert_close(logp.exp().sum(), torch.tensor(1.0, dtype=torch.float64))
    assert logp.std() > 1e-3  # the pairs are not all equally likely


def test_sample_is_one_hot_and_reproducible(batch2):
    torch.manual_seed(0)
    prior = PointerPrior(ModelConfig()).eval()
    a = prior.sample(batch2, temperature=4.5, generator=torch.Generator().manual_seed(7))
    b = prior.sample(batch2, temperature=4.5, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(a.nodes(), b.nodes())
    torch.testing.assert_close(scatter(a.nodes(), node_segments(batch2), dim=0, reduce="sum"), torch.ones(2, 2))
    assert set(a.nodes().unique().tolist()) <= {0.0, 1.0}


def test_log_prob_is_invariant():
    torch.manual_seed(0)
    prior = PointerPrior(ModelConfig()).double().eval()
    batch = synthetic_batch([(12, 30, 2), (9, 24, 1)], dtype=torch.float64)
    latent = prior.sample(batch, generator=torch.Generator().manual_seed(0))
    rot, shift = o3.rand_matrix(dtype=torch.float64), torch.tensor([3.0, 0.0, -1.0], dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(prior.log_prob(moved(batch, rot, shift), latent), prior.log_prob(batch, latent), atol=1e-4, rtol=1e-4)


def fit_with_frozen_trunk(prior, batch, targets: LatentNodes, lr: float, steps: int = 30) -> list[float]:
    """Adam on the prior's soft loss with its trunk frozen; checks shapes, finiteness and that the trunk
    got no gradient; returns the mean loss per step."""
    prior.trunk.requires_grad_(False)
    opt = torch.optim.Adam([p for p in prior.parameters() if p.requires_grad], lr=lr)
    losses = []
    for _ in range(steps):
        loss = prior.soft_loss(batch, targets)
        assert loss.shape == (batch.num_graphs,) and torch.isfinite(loss).all()
        opt.zero_grad()
        loss.mean().backward()
        opt.step()
        losses.append(float(loss.mean().detach()))
    assert all(p.grad is None for p in prior.trunk.parameters())  # frozen trunk
    return losses


def test_soft_loss_trains_prior_towards_encoder(batch2):
    torch.manual_seed(0)
    cfg = ModelConfig(batch_norm=False)
    encoder, prior = PoseModeEncoder(cfg).eval(), PointerPrior(cfg)
    prior.init_from_score_model(ScoreModel(cfg))
    with torch.no_grad():  # targets: latents extracted at τ = 0.01 (one-hot), so the loss can reach 0
        probs = encoder.encode(batch2, tau=0.01, generator=torch.Generator().manual_seed(0))
    losses = fit_with_frozen_trunk(prior, batch2, probs, lr=3e-2)
    assert losses[-1] < 0.3 * losses[0]
    assert float(prior.accuracy(batch2, probs)) == 1.0


def codebook_latent(batch, codes: torch.Tensor, k: int) -> LatentNodes:
    return LatentNodes.from_codes(torch.nn.functional.one_hot(codes, k).to(batch.lig_pos.dtype), batch)


def test_build_prior_follows_the_latent_mode():
    assert type(build_prior(ModelConfig())) is PointerPrior
    assert type(build_prior(ModelConfig(latent_mode="codebook"))) is CodebookPrior
    with pytest.raises(ValueError, match="no prior"):
        build_prior(ModelConfig(latent_mode="none"))


def test_codebook_probabilities_are_normalised_per_latent_and_jointly():
    torch.manual_seed(0)
    k = 4
    prior = CodebookPrior(ModelConfig(latent_mode="codebook", codebook_size=k)).double().eval()
    graph = synthetic_complex(4, 5, 0, seed=3)
    graph.lig_pos, graph.rec_pos, graph.rec_side = (x.double() for x in (graph.lig_pos, graph.rec_pos, graph.rec_side))
    pairs = torch.tensor(list(itertools.product(range(k), repeat=2)))  # every z = (z_0, z_1)
    batch = collate([graph] * len(pairs))
    with torch.no_grad():
        per_latent = prior.teacher_forced_log_probs(batch, pairs).exp()
        logp = prior.log_prob(batch, codebook_latent(batch, pairs, k))
    assert per_latent.shape == (len(pairs), 2, k)
    torch.testing.assert_close(per_latent.sum(-1), torch.ones(len(pairs), 2, dtype=torch.float64))
    torch.testing.assert_close(logp.exp().sum(), torch.tensor(1.0, dtype=torch.float64))
    assert logp.std() > 1e-3  # the pairs are not all equally likely


def test_codebook_sample_is_one_hot_reproducible_and_invariant(batch2):
    torch.manual_seed(0)
    prior = CodebookPrior(ModelConfig(latent_mode="codebook", codebook_size=8)).eval()
    a = prior.sample(batch2, temperature=2.0, generator=torch.Generator().manual_seed(7))
    b = prior.sample(batch2, temperature=2.0, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(a.nodes(), b.nodes())
    codes = a.codes(batch2, 8)
    assert codes.shape == (2, 2, 8) and set(codes.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(codes.sum(-1), torch.ones(2, 2))
    torch.testing.assert_close(a.rec, codes.flatten(1)[batch2.rec_batch])
    prior64 = prior.double()
    batch = synthetic_batch([(12, 30, 2), (9, 24, 1)], dtype=torch.float64)
    rot, shift = o3.rand_matrix(dtype=torch.float64), torch.tensor([3.0, 0.0, -1.0], dtype=torch.float64)
    latent = codebook_latent(batch, torch.tensor([[1, 4], [7, 0]]), 8)
    with torch.no_grad():
        torch.testing.assert_close(prior64.log_prob(moved(batch, rot, shift), latent), prior64.log_prob(batch, latent))


def test_codebook_soft_loss_decreases_on_fixed_targets(batch2):
    torch.manual_seed(0)
    cfg = ModelConfig(latent_mode="codebook", codebook_size=8, batch_norm=False)
    prior = CodebookPrior(cfg)
    prior.init_from_score_model(ScoreModel(cfg))
    targets = codebook_latent(batch2, torch.tensor([[1, 4], [6, 6]]), 8)
    losses = fit_with_frozen_trunk(prior, batch2, targets, lr=1e-2)
    assert losses[-1] < 0.3 * losses[0], losses
    assert float(prior.accuracy(batch2, targets)) == 1.0
