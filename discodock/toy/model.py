"""Toy networks: one generic MLP denoiser for both EDM and DisCo, an MLP encoder, and the wrapper.

EDM and DisCo share the denoiser class and size; EDM simply always passes the null latent, so its
latent embedding carries no information. No analytic Gaussian score is built in.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from discodock.core.edm import EDMLoss, EDMPrecond
from discodock.core.latents import CodebookHead, LatentEmbedding, gumbel_softmax_st
from discodock.core.prior import ARPrior
from discodock.core.samplers import edm_sampler

Tensor = torch.Tensor


def mlp(in_dim: int, hidden: int, out_dim: int, n_layers: int) -> nn.Sequential:
    """n_layers linear layers with SiLU between them."""
    dims = [in_dim] + [hidden] * (n_layers - 1) + [out_dim]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if i < n_layers - 1:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


def fourier_features(c_noise: Tensor, dim: int) -> Tensor:
    """Embedding of c_noise = ln(σ)/4 ∈ ~[−1.6, 1.1]: [cos(f c), sin(f c)] with f geometric in [1, 32]."""
    freqs = torch.exp(torch.linspace(0.0, math.log(32.0), dim // 2, device=c_noise.device))
    angle = c_noise.unsqueeze(1) * freqs
    return torch.cat([angle.cos(), angle.sin()], dim=1)


class MLPDenoiser(nn.Module):
    """Raw network F(x_in, c_noise, z): MLP on [x_in, noise features, latent embedding] -> R^2."""

    def __init__(self, m: int = 1, k: int = 8, hidden: int = 256, n_layers: int = 4, noise_dim: int = 32,
                 latent_dim: int = 32, p_drop: float = 0.1):
        super().__init__()
        self.noise_dim = noise_dim
        self.latent = LatentEmbedding(m, k, latent_dim, p_drop)
        self.net = mlp(2 + noise_dim + m * latent_dim, hidden, 2, n_layers)

    def forward(self, x_in: Tensor, c_noise: Tensor, z: Tensor | None = None) -> Tensor:
        emb = self.latent(z, batch_size=x_in.shape[0]).flatten(1)
        return self.net(torch.cat([x_in, fourier_features(c_noise, self.noise_dim), emb], dim=1))


class MLPEncoder(nn.Module):
    """3-layer MLP on the clean point -> latent logits [B, m, k]."""

    def __init__(self, m: int = 1, k: int = 8, hidden: int = 128):
        super().__init__()
        self.trunk = nn.Sequential(mlp(2, hidden, hidden, 2), nn.SiLU())
        self.head = CodebookHead(hidden, m, k)

    def forward(self, y: Tensor) -> Tensor:
        return self.head(self.trunk(y))


class ToyDiffusion(nn.Module):
    """EDM (use_latents=False) or DisCo-Diff (True) on 2-D points: denoiser, encoder, AR prior."""

    def __init__(self, use_latents: bool, m: int = 1, k: int = 8, hidden: int = 256, n_layers: int = 4,
                 encoder_hidden: int = 128, p_drop: float = 0.1, sigma_data: float = 0.5,
                 P_mean: float = -1.2, P_std: float = 1.2, tau: float = 1.0):
        super().__init__()
        self.use_latents, self.m, self.k, self.tau = use_latents, m, k, tau
        self.D = EDMPrecond(MLPDenoiser(m, k, hidden, n_layers, p_drop=p_drop), sigma_data)
        self.encoder = MLPEncoder(m, k, encoder_hidden) if use_latents else None
        self.prior = ARPrior(m, k, d_model=32, n_layers=1, n_heads=2) if use_latents else None
        self.edm_loss = EDMLoss(P_mean, P_std, sigma_data)

    def encode(self, y: Tensor, tau: float | None = None) -> Tensor | None:
        """Hard straight-through one-hot z [B, m, k] from the clean point (None for EDM)."""
        if self.encoder is None:
            return None
        return gumbel_softmax_st(self.encoder(y), tau=self.tau if tau is None else tau)

    def loss(self, y: Tensor) -> Tensor:
        """Mean EDM loss with z ~ E(y) (Gumbel τ), trained end to end through the straight-through code."""
        return self.edm_loss(self.D, y, self.encode(y)).mean()

    @torch.no_grad()
    def extract_latents(self, y: Tensor, tau: float = 0.01) -> Tensor:
        """Code indices [B, m] the prior is trained on: one Gumbel-max draw, a sample from softmax(logits) (for
        hard codes `tau` changes nothing: argmax(logits + g) does not depend on it). The NMI of benchmarks/toy.py
        is computed on these draws, so it is a little below the NMI of argmax(logits)."""
        if self.encoder is None:
            raise ValueError("EDM has no latents")
        return self.encode(y, tau).argmax(-1)

    def onehot(self, z_index: Tensor) -> Tensor:
        return nn.functional.one_hot(z_index, self.k).float()

    @torch.no_grad()
    def sample_latents(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> Tensor:
        """z ~ AR prior, indices [n, m]."""
        if self.prior is None:
            raise ValueError("EDM has no latents")
        return self.prior.sample(n, temperature=temperature, generator=generator)

    @torch.no_grad()
    def sample(self, noise: Tensor, z_index: Tensor | None = None, **sampler_kwargs) -> Tensor | tuple[Tensor, Tensor]:
        """Heun ODE samples from unit noise [B, 2] with z_index [B, m] fixed (DisCo; EDM ignores it).

        The module must be in eval mode, or latent dropout would replace some latents by the null code.
        """
        if self.training:
            raise RuntimeError("call .eval() before sampling (latent dropout is active in training mode)")
        if self.use_latents and z_index is None:
            raise ValueError("DisCo sampling needs latents: pass z_index (e.g. from sample_latents)")
        z = self.onehot(z_index) if self.use_latents else None
        return edm_sampler(self.D, noise, z, **sampler_kwargs)


__all__ = ["MLPDenoiser", "MLPEncoder", "ToyDiffusion", "fourier_features", "mlp"]
