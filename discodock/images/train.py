"""Training the image DisCo-Diff (denoiser + encoder end to end, then the AR prior) and its EDM twin.

Stage 1 (both models): E_y E_{z~E(y)} E_σ λ(σ)‖D(y+n, σ, z, class) − y‖², z a hard straight-through
Gumbel-softmax sample at τ = 1 (no KL term); the EDM twin is the same loop with z = None.
Stage 2 (DisCo only): the encoder is frozen, latents are extracted at τ = 0.01 and an AR prior
p(z | class) is fitted by maximum likelihood.

Training is resumable: a checkpoint holds the step, weights, EMA and optimiser, and every step
reseeds the global RNG from (seed, step), so a resumed run draws the same batches and noise.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from discodock.core.edm import EDMLoss, EDMPrecond
from discodock.core.ema import EMAUpdate
from discodock.core.prior import ARPrior
from discodock.images.encoder import EncoderConfig, ViTEncoder
from discodock.images.unet import UNet, UNetConfig

Tensor = torch.Tensor
log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    steps: int = 2000
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 200  # linear learning-rate warm-up
    grad_clip: float = 1.0
    ema_decay: float = 0.999  # capped by (1 + n) / (10 + n) early on, so a short run is not all init
    ckpt_every: int = 500
    prior_steps: int = 1000
    prior_batch_size: int = 256
    prior_lr: float = 1e-3
    prior_d_model: int = 64
    prior_layers: int = 2


class ImageDisCo(nn.Module):
    """The denoiser D = EDMPrecond(UNet), with encoder and prior for DisCo (both None for the twin)."""

    def __init__(self, unet_cfg: UNetConfig, enc_cfg: EncoderConfig | None, prior_cfg: TrainConfig | None = None):
        super().__init__()
        disco = enc_cfg is not None
        self.D = EDMPrecond(UNet(unet_cfg, use_latents=disco), sigma_data=0.5)
        self.encoder = ViTEncoder(enc_cfg) if disco else None
        self.prior: ARPrior | None = None
        if disco and prior_cfg is not None:
            self.prior = ARPrior(
                unet_cfg.m, unet_cfg.k, d_model=prior_cfg.prior_d_model, n_layers=prior_cfg.prior_layers,
                num_classes=unet_cfg.num_classes,
            )

    @property
    def is_disco(self) -> bool:
        return self.encoder is not None

    def loss(self, y: Tensor, labels: Tensor, loss_fn: EDMLoss) -> Tensor:
        """Mean EDM loss of a batch; DisCo draws z ~ E(y) with straight-through gradients."""
        z = self.encoder.latents(y) if self.encoder is not None else None
        return loss_fn(self.D, y, z, class_labels=labels).mean()


def _save_atomic(obj: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def train_denoiser(
    model: ImageDisCo,
    images: Tensor,
    labels: Tensor,
    cfg: TrainConfig,
    seed: int,
    device: torch.device | str,
    ckpt_path: Path | None = None,
) -> AveragedModel:
    """Stage 1; returns the EMA model (its `.module` is an `ImageDisCo`). Resumes from ckpt_path."""
    model = model.to(device)
    ema = AveragedModel(model, multi_avg_fn=EMAUpdate(cfg.ema_decay), use_buffers=False)
    params = [p for n, p in model.named_parameters() if not n.startswith("prior.")]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps)))
    start = 0
    settings = {**asdict(cfg), "seed": seed}
    for key in ("ckpt_every", "steps"):  # saving often changes no result; a resume may extend the budget
        settings.pop(key)
    if ckpt_path is not None and ckpt_path.is_file():
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        if "settings" not in state:
            log.warning("%s records no training settings (written before they were kept): not checked", ckpt_path)
        elif state["settings"] != settings:
            changed = sorted(k for k in settings if state["settings"].get(k) != settings[k])
            raise ValueError(f"{ckpt_path}: trained with other settings ({', '.join(changed)}); "
                             "delete it or train into another folder")
        if state["step"] > cfg.steps:  # it would return a model trained longer than this run's budget
            raise ValueError(f"{ckpt_path}: trained {state['step']} steps, more than the {cfg.steps} asked for")
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start = state["step"]
        log.info("resumed %s at step %d", ckpt_path, start)
    images, labels = images.to(device), labels.to(device)
    loss_fn = EDMLoss()
    model.train()
    t0, running = time.time(), torch.zeros((), device=device)
    for step in range(start, cfg.steps):
        torch.manual_seed(seed * 1_000_003 + step)  # same batch and noise after a resume
        idx = torch.randint(len(images), (cfg.batch_size,), device=device)
        loss = model.loss(images[idx], labels[idx], loss_fn)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        sched.step()
        ema.update_parameters(model)
        running += loss.detach()  # no per-step host sync
        if (step + 1) % 100 == 0:
            log.info("step %d loss %.4f (%.3f s/step)", step + 1, float(running) / 100, (time.time() - t0) / (step + 1 - start))
            running.zero_()
        if ckpt_path is not None and ((step + 1) % cfg.ckpt_every == 0 or step + 1 == cfg.steps):
            state = {"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                     "sched": sched.state_dict(), "step": step + 1, "settings": settings}
            _save_atomic(state, ckpt_path)
    ema.module.eval()
    return ema


@torch.no_grad()
def extract_latents(encoder: ViTEncoder, images: Tensor, batch_size: int = 1000) -> Tensor:
    """z indices [N, m] of every image from the frozen encoder (τ = 0.01)."""
    device = next(encoder.parameters()).device
    encoder.eval()
    return torch.cat([encoder.extract(chunk.to(device)) for chunk in images.split(batch_size)])


def train_prior(prior: ARPrior, z_index: Tensor, labels: Tensor, cfg: TrainConfig, seed: int) -> list[float]:
    """Stage 2: maximum likelihood of p(z | class) on extracted latents; returns the loss every 100 steps."""
    device = next(prior.parameters()).device
    z_index, labels = z_index.to(device), labels.to(device)
    g = torch.Generator(device=device).manual_seed(seed)
    opt = torch.optim.Adam(prior.parameters(), lr=cfg.prior_lr)
    prior.train()
    history, running = [], 0.0
    for step in range(cfg.prior_steps):
        idx = torch.randint(len(z_index), (cfg.prior_batch_size,), device=device, generator=g)
        loss = prior.loss(z_index[idx], labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        running += loss.item()
        if (step + 1) % 100 == 0:
            history.append(running / 100)
            running = 0.0
    prior.eval()
    return history
