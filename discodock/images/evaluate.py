"""Sampling and measuring the image models: FID proxy, class accuracy, ODE curvature, latent swaps.

Both models sample from the same noise and class labels for a given seed, so differences come from
the latent alone. DisCo draws z ~ p(z | class) from its AR prior, then runs the Heun ODE with z fixed.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from discodock.core.edm import edm_time_steps
from discodock.core.metrics import ode_curvature, turning_angle
from discodock.core.samplers import edm_sampler
from discodock.images.classifier import DigitCNN, batched_features, class_accuracy, fid_proxy
from discodock.images.train import ImageDisCo

Tensor = torch.Tensor


def num_steps_for_nfe(nfe: int) -> int:
    """Heun steps N with NFE = 2N − 1 (9 -> 5, 17 -> 9, 35 -> 18)."""
    if nfe < 1 or nfe % 2 == 0:
        raise ValueError(f"Heun NFE is odd (2N − 1), got {nfe}")
    return (nfe + 1) // 2


def balanced_labels(n: int, num_classes: int, device: torch.device | str = "cpu") -> Tensor:
    """0, 1, …, C−1, 0, 1, … : n labels with every class equally often (± 1)."""
    return torch.arange(n, device=device) % num_classes


def _generator(seed: int, device: torch.device | str) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def sample_noise(n: int, shape: tuple[int, ...], seed: int, device: torch.device | str) -> Tensor:
    """Unit Gaussian starting noise [n, *shape], fixed by seed (shared by DisCo and its twin)."""
    return torch.randn((n, *shape), generator=_generator(seed, device), device=device)


def sample_latents(model: ImageDisCo, labels: Tensor, seed: int, temperature: float = 1.0) -> Tensor | None:
    """z ~ p(z | class) as one-hot [n, m, k] for DisCo; None (the null latent) for the twin."""
    if not model.is_disco:
        return None
    g = _generator(seed + 7919, labels.device)  # its own stream, so z does not shift the noise
    index = model.prior.sample(len(labels), context=labels, temperature=temperature, generator=g)
    return nn.functional.one_hot(index, model.prior.k).float()


@torch.no_grad()
def generate(
    model: ImageDisCo,
    labels: Tensor,
    nfe: int,
    seed: int,
    batch_size: int = 500,
    z: Tensor | None = None,
    noise: Tensor | None = None,
) -> Tensor:
    """Class-conditional samples [n, C, H, W] in [-1, 1] (clamped) with the Heun ODE sampler at this NFE."""
    cfg = model.D.model.cfg
    if noise is None:
        noise = sample_noise(len(labels), (cfg.in_ch, cfg.resolution, cfg.resolution), seed, labels.device)
    if z is None:
        z = sample_latents(model, labels, seed)
    out = []
    for i in range(0, len(labels), batch_size):
        zi = None if z is None else z[i : i + batch_size]
        out.append(edm_sampler(model.D, noise[i : i + batch_size], zi, num_steps=num_steps_for_nfe(nfe),
                               class_labels=labels[i : i + batch_size]))
    return torch.cat(out).clamp(-1, 1)


def score_samples(classifier: DigitCNN, real_features: Tensor, samples: Tensor, labels: Tensor) -> dict[str, float]:
    """FID proxy against the real features and the classifier's accuracy on the asked-for classes."""
    feats, logits = batched_features(classifier, samples)
    return {"fid_proxy": fid_proxy(real_features, feats), "class_acc": class_accuracy(logits, labels)}


def _bind_class(model: ImageDisCo, labels: Tensor) -> Callable[..., Tensor]:
    """D(x, σ, z) with the class labels bound (core.metrics calls D without conditioning)."""
    return lambda x, sigma, z=None: model.D(x, sigma, z, class_labels=labels)


@torch.no_grad()
def curvature_profile(model: ImageDisCo, labels: Tensor, num_steps: int, seed: int) -> dict[str, Tensor]:
    """κ(t) along Heun trajectories (App. F.3) and each path's total turning angle.

    Returns sigmas [S] (σ > 0 only), kappa [S] (mean over paths), kappa_all [S, n], turning [n].
    """
    cfg = model.D.model.cfg
    noise = sample_noise(len(labels), (cfg.in_ch, cfg.resolution, cfg.resolution), seed, labels.device)
    z = sample_latents(model, labels, seed)
    sigmas = edm_time_steps(num_steps).to(labels.device)
    _, traj = edm_sampler(model.D, noise, z, num_steps=num_steps, return_trajectory=True, class_labels=labels)
    kappa = ode_curvature(_bind_class(model, labels), traj, sigmas.to(traj.dtype), z=z, reduce="none")
    keep = sigmas > 0
    return {
        "sigmas": sigmas[keep].cpu(),
        "kappa": kappa[keep].mean(dim=1).cpu(),
        "kappa_all": kappa[keep].cpu(),
        "turning": turning_angle(traj.flatten(2)).cpu(),
    }


def swapped_denoiser(model: ImageDisCo, z_early: Tensor, z_late: Tensor, sigma_swap: float) -> Callable[..., Tensor]:
    """D that uses z_early while σ > sigma_swap and z_late below it: a latent swapped late in sampling."""

    def D(x: Tensor, sigma: Tensor, z: object = None, **cond) -> Tensor:
        use = z_early if float(sigma.reshape(-1)[0]) > sigma_swap else z_late
        return model.D(x, sigma, use, **cond)

    return D


@torch.no_grad()
def latent_swap(
    model: ImageDisCo, labels: Tensor, z_early: Tensor, z_late: Tensor, sigma_swaps: list[float], nfe: int, seed: int
) -> Tensor:
    """Samples [len(sigma_swaps), n, C, H, W]: same noise, the latent switched at each σ in sigma_swaps.

    sigma_swaps = [inf] keeps z_late throughout, [0] keeps z_early throughout.
    """
    cfg = model.D.model.cfg
    noise = sample_noise(len(labels), (cfg.in_ch, cfg.resolution, cfg.resolution), seed, labels.device)
    rows = []
    for s in sigma_swaps:
        D = swapped_denoiser(model, z_early, z_late, s)
        rows.append(edm_sampler(D, noise, None, num_steps=num_steps_for_nfe(nfe), class_labels=labels).clamp(-1, 1))
    return torch.stack(rows)
