"""Config and training loop of the toy: EDM or DisCo-Diff on the ring of 8 Gaussians.

Stage 1 trains denoiser (+ encoder, end to end through straight-through Gumbel) on the EDM loss,
keeping an EMA of the weights. Stage 2 extracts latents (τ = 0.01) with the frozen EMA encoder and
fits the AR prior by maximum likelihood.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import torch
import yaml

from discodock.core.ema import ema_decay_at
from discodock.core.prior import fit_prior
from discodock.errors import InputError
from discodock.toy.data import ring_of_gaussians
from discodock.toy.model import ToyDiffusion


@dataclass
class ToyConfig:
    """Every setting of the toy experiment (configs/toy.yaml; saved beside the results)."""

    # data (the paper's: 8 modes, radius 3, std 0.2, 1000 points each)
    num_modes: int = 8
    radius: float = 3.0
    std: float = 0.2
    n_train: int = 8000
    # networks (identical denoiser for EDM and DisCo)
    hidden: int = 256
    n_layers: int = 4
    encoder_hidden: int = 128
    m: int = 1
    k: int = 8
    p_drop: float = 0.1  # latent dropout to the null embedding
    tau: float = 1.0  # Gumbel temperature in training (no annealing)
    tau_extract: float = 0.01  # temperature to extract latents for the prior
    # EDM; σ_data matches the data's per-coordinate std (≈2.1). P_mean is EDM's −1.2 shifted by
    # ln(σ_data / 0.5) and a little more: latents only help at σ ≳ 1, and with less mass there the
    # straight-through gradients to the encoder are mostly noise and the codes merge (configs/toy.yaml)
    sigma_data: float = 2.0
    P_mean: float = 0.5
    P_std: float = 1.2
    # optimisation (same budget for both models)
    steps: int = 4000
    batch_size: int = 512
    lr: float = 1e-3
    ema_decay: float = 0.999
    prior_steps: int = 300
    prior_lr: float = 1e-2
    # evaluation
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    n_eval: int = 2000
    n_curvature: int = 500
    nfe: list[int] = field(default_factory=lambda: [3, 5, 9, 17, 35])
    # Heun settings per NFE: {nfe: {sigma_min, sigma_max, rho}}; missing keys use EDM's defaults
    sampler: dict[int, dict[str, float]] = field(default_factory=dict)
    extra_k: list[int] = field(default_factory=list)  # extra DisCo rows with these k (e.g. [16])

    def sampler_kwargs(self, nfe: int) -> dict[str, float]:
        """Heun arguments for an odd NFE = 2 N − 1."""
        if nfe < 1 or nfe % 2 == 0:
            raise InputError(f"nfe={nfe}", "Heun NFE must be odd (2 * steps - 1)")
        kwargs = {"sigma_min": 0.002, "sigma_max": 80.0, "rho": 7.0}
        kwargs.update(self.sampler.get(nfe, {}))
        return {"num_steps": (nfe + 1) // 2, **kwargs}

    def model_kwargs(self, use_latents: bool, k: int | None = None) -> dict:
        return dict(use_latents=use_latents, m=self.m, k=k or self.k, hidden=self.hidden, n_layers=self.n_layers,
                    encoder_hidden=self.encoder_hidden, p_drop=self.p_drop, sigma_data=self.sigma_data,
                    P_mean=self.P_mean, P_std=self.P_std, tau=self.tau)

    def to_dict(self) -> dict:
        return asdict(self)


def load_config(path: str | Path) -> ToyConfig:
    """ToyConfig from YAML; unknown keys raise InputError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "config file not found")
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise InputError(path, "expected a mapping of settings")
    known = {f.name for f in fields(ToyConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(path, f"unknown settings {unknown}; known: {sorted(known)}")
    if "sampler" in raw:
        raw["sampler"] = {int(n): dict(v) for n, v in raw["sampler"].items()}
    return ToyConfig(**raw)


def train_data(cfg: ToyConfig, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    return ring_of_gaussians(cfg.n_train, cfg.num_modes, cfg.radius, cfg.std, torch.Generator().manual_seed(seed))


class EMA:
    """Exponential moving average of the weights; the decay warms up (`discodock.core.ema.ema_decay_at`) so
    early (random) weights do not dominate short runs. Unlike `AveragedModel` + `EMAUpdate` (images, docking),
    the average starts from the initial weights rather than the first step's, which the committed toy results
    were trained with."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.module = copy.deepcopy(model)
        self.decay, self.num_updates = decay, 0

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.num_updates += 1
        d = ema_decay_at(self.decay, self.num_updates)
        for avg, new in zip(self.module.parameters(), model.parameters()):
            avg.lerp_(new, 1 - d)


def _lr_factor(step: int, total: int, warmup: int = 100) -> float:
    """Linear warm-up, then cosine decay to 5 %."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def train_toy(cfg: ToyConfig, use_latents: bool, seed: int, k: int | None = None,
              log: Callable[[str], None] = print) -> ToyDiffusion:
    """Train one model (EDM or DisCo) for cfg.steps on seed's training set; returns the EMA model in eval mode."""
    torch.manual_seed(seed)
    y, _ = train_data(cfg, seed)
    model = ToyDiffusion(**cfg.model_kwargs(use_latents, k))
    ema = EMA(model, cfg.ema_decay)
    opt = torch.optim.Adam([p for n, p in model.named_parameters() if not n.startswith("prior.")], lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _lr_factor(s, cfg.steps))
    start, running = time.time(), 0.0
    model.train()
    for step in range(cfg.steps):
        loss = model.loss(y[torch.randint(len(y), (cfg.batch_size,))])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        ema.update(model)
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if (step + 1) % 1000 == 0:
            log(f"  step {step + 1}/{cfg.steps} loss {running:.4f} ({time.time() - start:.0f} s)")
    trained: ToyDiffusion = ema.module
    trained.eval()
    if use_latents:
        z = trained.extract_latents(y, cfg.tau_extract)
        losses = fit_prior(trained.prior, z, steps=cfg.prior_steps, lr=cfg.prior_lr,
                           generator=torch.Generator().manual_seed(seed))
        log(f"  prior NLL {losses[-1]:.3f} nats (codes used: {z.unique().numel()} of {trained.k})")
    return trained


__all__ = ["ToyConfig", "load_config", "train_data", "train_toy"]
