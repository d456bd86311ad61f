"""Autoregressive prior p(z | context) = Π_i p(z_i | z_<i, context) over m codebook latents.

DisCo-Diff's second stage: a small causal transformer trained by maximum likelihood on latents
extracted (τ = 0.01) from the frozen encoder; at sampling time z ~ p(z | context), then the
diffusion ODE runs with z fixed. The context is optional: a vector (e.g. an embedding of the
complex) or a class label.

Token layout: position 0 holds a start token, position i > 0 holds the embedding of z_{i−1};
the output at position i gives the logits of z_i. The context embedding is added to every position.
"""

from __future__ import annotations

import torch
from torch import nn

Tensor = torch.Tensor


class ARPrior(nn.Module):
    """Causal transformer over m latents with k codes each."""

    def __init__(
        self,
        m: int,
        k: int,
        d_model: int = 64,
        n_layers: int = 2,
        n_heads: int = 4,
        context_dim: int = 0,  # > 0: condition on a context vector [B, context_dim]
        num_classes: int = 0,  # > 0: condition on a class label [B] long
    ):
        super().__init__()
        if context_dim > 0 and num_classes > 0:
            raise ValueError("give either context_dim or num_classes, not both")
        self.m, self.k = m, k
        self.start = nn.Parameter(torch.zeros(d_model))
        self.code_emb = nn.Embedding(k, d_model)
        self.pos_emb = nn.Parameter(torch.randn(m, d_model) * 0.02)
        self.context_emb: nn.Module | None = None
        if context_dim > 0:
            self.context_emb = nn.Linear(context_dim, d_model)
        elif num_classes > 0:
            self.context_emb = nn.Embedding(num_classes, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward=4 * d_model, dropout=0.0, batch_first=True, norm_first=True
        )
        self.transformer = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, k)
        self.register_buffer("causal_mask", nn.Transformer.generate_square_subsequent_mask(m), persistent=False)

    def logits(self, z_index: Tensor, context: Tensor | None = None) -> Tensor:
        """Teacher-forced logits [B, L, k] of z_0..z_{L−1} given z_index [B, L−1] (columns past m−1 ignored)."""
        B, L = z_index.shape[0], min(self.m, z_index.shape[1] + 1)
        tokens = [self.start.expand(B, 1, -1)]
        if L > 1:
            tokens.append(self.code_emb(z_index[:, : L - 1]))
        h = torch.cat(tokens, dim=1) + self.pos_emb[:L]
        if self.context_emb is not None:
            if context is None:
                raise ValueError("this prior is conditional: context is required")
            h = h + self.context_emb(context).unsqueeze(1)
        elif context is not None:
            raise ValueError("this prior is unconditional (context_dim = num_classes = 0) but a context was given")
        h = self.transformer(h, mask=self.causal_mask[:L, :L], is_causal=True)
        return self.head(self.norm(h))

    def log_prob(self, z_index: Tensor, context: Tensor | None = None) -> Tensor:
        """log p(z | context) for z_index [B, m] long; returns [B]."""
        if z_index.ndim != 2 or z_index.shape[1] != self.m:
            raise ValueError(f"z_index must be [B, {self.m}], got {tuple(z_index.shape)}")
        logp = self.logits(z_index, context).log_softmax(-1)
        return logp.gather(-1, z_index.unsqueeze(-1)).squeeze(-1).sum(-1)

    def loss(self, z_index: Tensor, context: Tensor | None = None) -> Tensor:
        """Mean negative log-likelihood per latent (nats), the maximum-likelihood training loss."""
        return -self.log_prob(z_index, context).mean() / self.m

    @torch.no_grad()
    def sample(
        self,
        n: int,
        context: Tensor | None = None,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """z ~ p(z | context) with logits / temperature; returns [n, m] long."""
        device = self.start.device
        z = torch.zeros(n, 0, dtype=torch.long, device=device)
        for _ in range(self.m):
            probs = (self.logits(z, context)[:, -1] / temperature).softmax(-1)
            nxt = torch.multinomial(probs, 1, generator=generator)
            z = torch.cat([z, nxt], dim=1)
        return z


def fit_prior(
    prior: ARPrior,
    z_index: Tensor,
    context: Tensor | None = None,
    steps: int = 500,
    lr: float = 3e-3,
    batch_size: int = 512,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Maximum likelihood on extracted latents z_index [N, m] (with context [N, ...]); returns the loss curve."""
    opt = torch.optim.Adam(prior.parameters(), lr=lr)
    losses = []
    prior.train()
    for _ in range(steps):
        idx = torch.randint(z_index.shape[0], (min(batch_size, z_index.shape[0]),), generator=generator)
        loss = prior.loss(z_index[idx], None if context is None else context[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    prior.eval()
    return losses


__all__ = ["ARPrior", "fit_prior"]
