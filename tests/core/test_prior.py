"""The AR prior learns known discrete distributions by maximum likelihood."""

import pytest
import torch

from discodock.core.prior import ARPrior

K = 4
P0 = torch.tensor([0.1, 0.2, 0.3, 0.4])


def joint_table() -> torch.Tensor:
    """p(z0, z1): z0 ~ P0, z1 = z0 + 1 (mod K) w.p. 0.85, else uniform."""
    cond = torch.full((K, K), 0.15 / K)
    cond[torch.arange(K), (torch.arange(K) + 1) % K] += 0.85
    return P0[:, None] * cond


def _sample_table(table: torch.Tensor, n: int, g: torch.Generator) -> torch.Tensor:
    flat = torch.multinomial(table.flatten(), n, replacement=True, generator=g)
    return torch.stack([flat // K, flat % K], dim=1)


def _all_pairs() -> torch.Tensor:
    return torch.cartesian_prod(torch.arange(K), torch.arange(K))


def _fit(prior, z, weights, context=None, steps=200):
    """Full-batch maximum likelihood: the distinct samples z weighted by their empirical frequencies."""
    opt = torch.optim.Adam(prior.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = -(weights * prior.log_prob(z, context)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_prior_learns_a_two_latent_distribution():
    torch.manual_seed(0)
    table = joint_table()
    data = _sample_table(table, 20_000, torch.Generator().manual_seed(0))
    freq = torch.bincount(data[:, 0] * K + data[:, 1], minlength=K * K).float() / len(data)
    prior = ARPrior(m=2, k=K, d_model=32, n_layers=2, n_heads=4)
    _fit(prior, _all_pairs(), freq)
    learned = prior.log_prob(_all_pairs()).exp().detach().view(K, K)
    assert learned.sum().item() == pytest.approx(1.0, abs=1e-4)  # normalised over all pairs
    assert (learned - table).abs().sum().item() < 0.05  # 2 x total variation; the 20k-sample estimate has ~0.02
    z = prior.sample(20_000, generator=torch.Generator().manual_seed(2))
    freq = torch.bincount(z[:, 0] * K + z[:, 1], minlength=K * K).float().view(K, K) / 20_000
    assert (freq - table).abs().sum().item() < 0.08


def test_class_conditional_prior_and_temperature():
    torch.manual_seed(0)
    # Class c puts z0 = c and z1 = c; context matters entirely.
    labels = torch.arange(K)
    data = torch.stack([labels, labels], dim=1)
    prior = ARPrior(m=2, k=K, d_model=32, num_classes=K)
    _fit(prior, data, torch.full((K,), 1.0 / K), context=labels, steps=100)
    ctx = torch.arange(K)
    z = prior.sample(K, context=ctx, generator=torch.Generator().manual_seed(1))
    assert torch.equal(z, torch.stack([ctx, ctx], dim=1))
    # A high temperature flattens the distribution towards uniform.
    hot = prior.sample(4000, context=torch.zeros(4000, dtype=torch.long), temperature=100.0)
    assert (hot[:, 0] != 0).float().mean().item() > 0.6
    with pytest.raises(ValueError):
        prior.log_prob(data)  # a conditional prior needs its context


def test_vector_context_shapes():
    prior = ARPrior(m=3, k=5, d_model=16, n_heads=2, context_dim=7)
    ctx = torch.randn(6, 7)
    z = prior.sample(6, context=ctx)
    assert z.shape == (6, 3) and z.dtype == torch.long and int(z.max()) < 5
    assert prior.log_prob(z, ctx).shape == (6,)
