"""A small EDM U-Net whose feature maps attend to the DisCo latents (cross-attention).

As in DisCo-Diff's image models: the m latent embeddings first pass a small transformer, then a
cross-attention layer follows every self-attention layer of the U-Net (image positions are the
queries, latent tokens the keys/values). The class label and the noise level enter every residual
block through an added embedding (EDM's class-conditional ImageNet setup).

The EDM twin is the same network with `use_latents=False`: it always sees the learned null
embedding, so it has the same architecture and parameter count and ignores any z passed to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from discodock.core.latents import LatentEmbedding

Tensor = torch.Tensor


@dataclass
class UNetConfig:
    """Sizes of the denoiser; see configs/images.yaml for the values used and why."""

    in_ch: int = 1
    resolution: int = 32
    ch: int = 32  # channels at full resolution
    ch_mult: tuple[int, ...] = (1, 2, 2)  # channel multiplier per resolution level
    num_res_blocks: int = 1  # residual blocks per level (the decoder has one more)
    attn_resolutions: tuple[int, ...] = (16, 8)  # self- + cross-attention at these resolutions
    heads: int = 4
    num_classes: int = 10  # 0: unconditional
    m: int = 4  # number of latents
    k: int = 8  # codes per latent
    latent_dim: int = 64  # latent embedding width
    p_drop: float = 0.1  # latent dropout to the null embedding (paper: 0.1)
    dropout: float = 0.0


def noise_embedding(c_noise: Tensor, dim: int, max_period: float = 10_000.0) -> Tensor:
    """Sinusoidal embedding [B, dim] of EDM's c_noise = ln(σ)/4 (scaled up so the sines resolve it)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=c_noise.device) / half)
    arg = (1000.0 * c_noise.float()).unsqueeze(1) * freqs.unsqueeze(0)
    return torch.cat([arg.cos(), arg.sin()], dim=1)


def group_norm(ch: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, ch // 4), ch)


class ResBlock(nn.Module):
    """GN-SiLU-conv, + scale/shift from the embedding, GN-SiLU-dropout-conv, plus a skip."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, dropout: float = 0.0):
        super().__init__()
        self.norm1, self.conv1 = group_norm(in_ch), nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * out_ch)
        self.norm2, self.conv2 = group_norm(out_ch), nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        scale, shift = self.emb(emb).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(self.dropout(nn.functional.silu(h)))
        return (h + self.skip(x)) / math.sqrt(2)


class AttnBlock(nn.Module):
    """Self-attention over image positions, then cross-attention from positions to latent tokens."""

    def __init__(self, ch: int, ctx_dim: int, heads: int):
        super().__init__()
        self.norm_self, self.norm_cross = group_norm(ch), group_norm(ch)
        self.self_attn = nn.MultiheadAttention(ch, heads, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(ch, heads, kdim=ctx_dim, vdim=ctx_dim, batch_first=True)

    def forward(self, x: Tensor, ctx: Tensor) -> Tensor:
        B, C, H, W = x.shape
        h = self.norm_self(x).flatten(2).transpose(1, 2)  # [B, HW, C]
        x = x + self.self_attn(h, h, h, need_weights=False)[0].transpose(1, 2).reshape(B, C, H, W)
        q = self.norm_cross(x).flatten(2).transpose(1, 2)
        return x + self.cross_attn(q, ctx, ctx, need_weights=False)[0].transpose(1, 2).reshape(B, C, H, W)


class LatentContext(nn.Module):
    """z one-hot [B, m, k] (or None: null) -> latent tokens [B, m, dim] through one transformer layer."""

    def __init__(self, m: int, k: int, dim: int, heads: int, p_drop: float):
        super().__init__()
        self.embed = LatentEmbedding(m, k, dim, p_drop)
        layer = nn.TransformerEncoderLayer(dim, heads, 2 * dim, dropout=0.0, batch_first=True, norm_first=True)
        self.mix = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)

    def forward(self, z: Tensor | None, batch_size: int) -> Tensor:
        return self.mix(self.embed(z, batch_size=batch_size))


class UNet(nn.Module):
    """Raw network F(x_in, c_noise, z, class_labels) for `core.edm.EDMPrecond`."""

    def __init__(self, cfg: UNetConfig, use_latents: bool = True):
        super().__init__()
        self.cfg, self.use_latents = cfg, use_latents
        emb_dim = 4 * cfg.ch
        self.noise_mlp = nn.Sequential(nn.Linear(cfg.ch, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.class_emb = nn.Embedding(cfg.num_classes, emb_dim) if cfg.num_classes > 0 else None
        self.context = LatentContext(cfg.m, cfg.k, cfg.latent_dim, cfg.heads, cfg.p_drop)
        self.conv_in = nn.Conv2d(cfg.in_ch, cfg.ch, 3, padding=1)

        # Encoder: per level num_res_blocks blocks (+ attention), then a stride-2 conv except last.
        self.down = nn.ModuleList()
        chans, ch, res = [cfg.ch], cfg.ch, cfg.resolution
        for level, mult in enumerate(cfg.ch_mult):
            for _ in range(cfg.num_res_blocks):
                self.down.append(self._block(ch, cfg.ch * mult, res, emb_dim))
                ch = cfg.ch * mult
                chans.append(ch)
            if level < len(cfg.ch_mult) - 1:
                self.down.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                chans.append(ch)
                res //= 2
        self.mid = nn.ModuleList([self._block(ch, ch, res, emb_dim, attn=True), self._block(ch, ch, res, emb_dim)])
        # Decoder mirrors it, concatenating the skip of every encoder stage.
        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(cfg.ch_mult))):
            for _ in range(cfg.num_res_blocks + 1):
                self.up.append(self._block(ch + chans.pop(), cfg.ch * mult, res, emb_dim))
                ch = cfg.ch * mult
            if level > 0:
                self.up.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(ch, ch, 3, padding=1)))
                res *= 2
        self.out = nn.Sequential(group_norm(ch), nn.SiLU(), nn.Conv2d(ch, cfg.in_ch, 3, padding=1))

    def _block(self, in_ch: int, out_ch: int, res: int, emb_dim: int, attn: bool | None = None) -> nn.ModuleList:
        """[ResBlock] or [ResBlock, AttnBlock] (attention where the resolution asks for it)."""
        parts = [ResBlock(in_ch, out_ch, emb_dim, self.cfg.dropout)]
        if attn or (attn is None and res in self.cfg.attn_resolutions):
            parts.append(AttnBlock(out_ch, self.cfg.latent_dim, self.cfg.heads))
        return nn.ModuleList(parts)

    @staticmethod
    def _run(block: nn.Module, h: Tensor, emb: Tensor, ctx: Tensor) -> Tensor:
        if not isinstance(block, nn.ModuleList):
            return block(h)  # down- or up-sampling
        h = block[0](h, emb)
        return block[1](h, ctx) if len(block) > 1 else h

    def forward(self, x: Tensor, c_noise: Tensor, z: Tensor | None = None, class_labels: Tensor | None = None) -> Tensor:
        """x [B, C, H, W] (already scaled by c_in), c_noise [B], z one-hot [B, m, k] or None."""
        emb = self.noise_mlp(noise_embedding(c_noise, self.cfg.ch))
        if self.class_emb is not None:
            if class_labels is None:
                raise ValueError("this U-Net is class-conditional: class_labels [B] is required")
            emb = emb + self.class_emb(class_labels)
        ctx = self.context(z if self.use_latents else None, batch_size=x.shape[0]).to(x.dtype)
        h = self.conv_in(x)
        skips = [h]
        for block in self.down:
            h = self._run(block, h, emb, ctx)
            skips.append(h)
        for block in self.mid:
            h = self._run(block, h, emb, ctx)
        for block in self.up:
            if isinstance(block, nn.ModuleList):
                h = torch.cat([h, skips.pop()], dim=1)
            h = self._run(block, h, emb, ctx)
        return self.out(h)
