"""Training data of the confidence model: poses sampled by the trained score model, labelled by RMSD.

As DiffDock's confidence model: for each training complex, K poses from the reverse diffusion
(DisCo: one prior latent per pose, as at inference); label 1 when the heavy-atom RMSD to the
crystal pose is below the threshold (2 Å). The RMSD here is the plain one in the cached atom order
(no symmetry correction: RDKit/spyrmsd are not needed on the training machine), so a pose of a
symmetric ligand can be labelled a miss although it is a hit; evaluation uses the symmetry RMSD.

Departure from DiffDock (optional, `perturbed_per_complex`): a small training set gives a score model
whose samples are almost never within 2 Å, and a classifier trained on them only learns "miss"
(measured with the first 48-minute pocket models: 1 and 6 of 2,160 sampled poses within 2 Å). So K'
more poses per complex are made by noising the crystal pose with the forward diffusion at
t ~ U(0, perturbed_t_max), which spans hits and near misses around the true pose.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Sequence

import torch
from torch import nn
from torch.utils.data import Dataset

from discodock.complex_graph import ComplexBatch, ComplexGraph, collate
from discodock.model.diffusion import noise_complex
from discodock.sampling import prior_sampler, sample_poses_many
from discodock.training.config import TrainConfig
from discodock.training.dataset import TrainingComplex, training_view

Tensor = torch.Tensor


@dataclass
class SampledPoses:
    """Poses of one complex in the frame of the view they were sampled in."""

    graph: ComplexGraph  # the view (blind: as cached; pocket: a crop around a noisy centre)
    poses: Tensor  # [K, N, 3]
    rmsd: Tensor  # [K] Å to the crystal pose


def pose_rmsd(poses: Tensor, reference: Tensor) -> Tensor:
    """Heavy-atom RMSD [K] of poses [K, N, 3] to reference [N, 3], same atom order, no alignment."""
    return (poses - reference).pow(2).sum(-1).mean(-1).sqrt()


def generate_poses(
    score_model: nn.Module,
    items: Sequence[TrainingComplex],
    cfg: TrainConfig,
    prior: nn.Module | None = None,
    device: torch.device | str = "cpu",
    seed: int = 0,
) -> list[SampledPoses]:
    """Sample `cfg.confidence.samples_per_complex` poses of every complex, `sampling_chunk` complexes at a time."""
    c, d = cfg.confidence, cfg.data
    gen = torch.Generator().manual_seed(seed)
    out: list[SampledPoses] = []
    for start in range(0, len(items), c.sampling_chunk):
        chunk = items[start: start + c.sampling_chunk]
        views = [training_view(x.graph, d.mode, d.pocket_radius, d.pocket_noise, d.max_residues, gen) for x in chunk]
        sampler = prior_sampler(prior, c.prior_temperature, gen) if prior is not None else None
        poses = sample_poses_many(score_model, views, c.samples_per_complex, c.sampling_steps, sampler,
                                  generator=gen, device=device, cfg=cfg.model)
        for item, view, p in zip(chunk, views, poses):
            crystal = item.crystal_pos - (view.center - item.graph.center)  # into the view's frame
            p = torch.cat([p, perturbed_poses(view, c.perturbed_per_complex, c.perturbed_t_max, cfg, gen)])
            finite = torch.isfinite(p).all(dim=2).all(dim=1)
            out.append(SampledPoses(view, p[finite], pose_rmsd(p[finite], crystal)))
    return out


def perturbed_poses(view: ComplexGraph, num: int, t_max: float, cfg: TrainConfig,
                    generator: torch.Generator) -> Tensor:
    """[num, N, 3] forward-diffusion perturbations of the view's ligand pose (the matched conformer at
    the crystal pose) at t ~ U(0, t_max): poses at every distance from the truth, hits included."""
    t = torch.rand(num, generator=generator) * t_max
    poses = [noise_complex(view, float(ti), cfg.model, generator)[0].lig_pos for ti in t]
    return torch.stack(poses) if poses else view.lig_pos.new_zeros(0, *view.lig_pos.shape)


def save_poses(samples: Sequence[SampledPoses], path: str | Path) -> None:
    """torch.save of plain tensors (written atomically)."""
    path = Path(path)
    payload = [{"graph": {f.name: getattr(s.graph, f.name) for f in fields(s.graph)}, "poses": s.poses, "rmsd": s.rmsd}
               for s in samples]
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_poses(path: str | Path) -> list[SampledPoses]:
    return [SampledPoses(ComplexGraph(**p["graph"]), p["poses"], p["rmsd"]) for p in torch.load(path, weights_only=True)]


class LabelledPoses(Dataset):
    """Every sampled pose as one item: (complex with that ligand pose, label RMSD < threshold)."""

    def __init__(self, samples: Sequence[SampledPoses], threshold: float = 2.0):
        self.samples = list(samples)
        self.index = [(i, k) for i, s in enumerate(self.samples) for k in range(s.poses.shape[0])]
        self.threshold = threshold

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> tuple[ComplexGraph, Tensor]:
        s, k = self.index[i]
        sample = self.samples[s]
        return sample.graph.with_ligand_pos(sample.poses[k]), (sample.rmsd[k] < self.threshold).float()

    def positive_fraction(self) -> float:
        labels = torch.cat([s.rmsd < self.threshold for s in self.samples]) if self.samples else torch.zeros(0)
        return float(labels.float().mean()) if labels.numel() else 0.0


def collate_labelled(items: list[tuple[ComplexGraph, Tensor]]) -> tuple[ComplexBatch, Tensor]:
    return collate([g for g, _ in items]), torch.stack([y for _, y in items])


__all__ = ["LabelledPoses", "SampledPoses", "collate_labelled", "generate_poses", "load_poses", "perturbed_poses",
           "pose_rmsd", "save_poses"]
