"""DisCo-Diff's image encoder: a small ViT on the clean image with m extra (latent) tokens.

Patches and m learned latent tokens go through a transformer; each latent token's output gives
the k logits of its latent (the paper's "ViT with m extra tokens"). Training draws a hard
straight-through Gumbel-softmax sample at τ = 1; latents for the prior are extracted as hard Gumbel draws
(the paper's τ = 0.01, which for a hard code is the same draw as τ = 1: see `extract`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from discodock.core.latents import gumbel_softmax_st

Tensor = torch.Tensor


@dataclass
class EncoderConfig:
    in_ch: int = 1
    resolution: int = 32
    patch: int = 4  # 32×32 -> 64 patches; 8×8 digits use 2 -> 16 patches
    dim: int = 64
    depth: int = 3
    heads: int = 4
    m: int = 4
    k: int = 8


class ViTEncoder(nn.Module):
    """Clean image [B, C, H, W] -> latent logits [B, m, k]."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.cfg = cfg
        n_patches = (cfg.resolution // cfg.patch) ** 2
        self.patchify = nn.Conv2d(cfg.in_ch, cfg.dim, cfg.patch, stride=cfg.patch)
        self.pos = nn.Parameter(torch.randn(n_patches, cfg.dim) * 0.02)
        self.latent_tokens = nn.Parameter(torch.randn(cfg.m, cfg.dim) * 0.02)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, 4 * cfg.dim, dropout=0.0, batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, cfg.depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        # One linear head per latent token: latent i reads only token i.
        self.head_weight = nn.Parameter(torch.randn(cfg.m, cfg.dim, cfg.k) / cfg.dim**0.5)
        self.head_bias = nn.Parameter(torch.zeros(cfg.m, cfg.k))

    def forward(self, y: Tensor) -> Tensor:
        B = y.shape[0]
        patches = self.patchify(y).flatten(2).transpose(1, 2) + self.pos  # [B, P, dim]
        tokens = torch.cat([self.latent_tokens.expand(B, -1, -1), patches], dim=1)
        h = self.norm(self.transformer(tokens)[:, : self.cfg.m])  # [B, m, dim]
        return torch.einsum("bmd,mdk->bmk", h, self.head_weight) + self.head_bias

    def latents(self, y: Tensor, tau: float = 1.0, generator: torch.Generator | None = None) -> Tensor:
        """Hard straight-through Gumbel-softmax sample: one-hot [B, m, k] carrying softmax gradients."""
        return gumbel_softmax_st(self(y), tau=tau, hard=True, generator=generator)

    @torch.no_grad()
    def extract(self, y: Tensor, tau: float = 0.01) -> Tensor:
        """Latent indices [B, m] for training the prior: one Gumbel-max draw per image, i.e. a sample from
        softmax(logits). The paper extracts at τ = 0.01, but a hard code is argmax(logits + g) whatever τ is,
        so `tau` changes nothing here; the prior learns the codes the denoiser saw in training."""
        return self.latents(y, tau=tau).argmax(-1)
