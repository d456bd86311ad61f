"""Autoregressive pointer prior: normalisation, sampling, soft labels, accuracy."""

import itertools

import torch
from .conftest import moved, synthetic_batch, synthetic_complex
from e3nn import o3
from torch_geometric.utils import scatter

from discodock.complex_graph import collate
from discodock.model import LatentNodes, ModelConfig, PointerPrior, PoseModeEncoder, ScoreModel, node_segments


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


def test_soft_loss_trains_prior_towards_encoder(batch2):
    torch.manual_seed(0)
    cfg = ModelConfig(batch_norm=False)
    encoder, prior = PoseModeEncoder(cfg).eval(), PointerPrior(cfg)
    prior.init_from_score_model(ScoreModel(cfg))
    with torch.no_grad():  # targets: latents extracted at τ = 0.01 (one-hot), so the loss can reach 0
        probs = encoder.encode(batch2, tau=0.01, generator=torch.Generator().manual_seed(0))
    prior.freeze_trunk()
    opt = torch.optim.Adam([p for p in prior.parameters() if p.requires_grad], lr=3e-2)
    losses = []
    for _ in range(30):
        loss = prior.soft_loss(batch2, probs)
        assert loss.shape == (2,) and torch.isfinite(loss).all()
        opt.zero_grad()
        loss.mean().backward()
        opt.step()
        losses.append(float(loss.mean().detach()))
    assert all(p.grad is None for p in prior.trunk.parameters())  # frozen trunk
    assert losses[-1] < 0.3 * losses[0]
    assert float(prior.accuracy(batch2, probs)) == 1.0
