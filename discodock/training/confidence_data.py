"""Training data of the confidence model: poses sampled by the trained score model, labelled by RMSD.

As DiffDock's confidence model: for each training complex, K poses from the reverse diffusion
(DisCo: one prior latent per pose, as at inference); label 1 when the heavy-atom RMSD to the
crystal pose is below the threshold (2 Å). The RMSD is minimised over the ligand graph's automorphisms
(elements and bonds, as the evaluation's spyrmsd RMSD), found from the cached graph with networkx, so
no RDKit is needed on the training machine and a flipped symmetric group is not labelled a miss.

Departure from DiffDock (optional, `perturbed_per_complex`): a small training set gives a score model
whose samples are almost never within 2 Å, and a classifier trained on them only learns "miss"
(measured with the first 48-minute pocket models: 1 and 6 of 2,160 sampled poses within 2 Å). So K'
more poses per complex are made by noising the crystal pose with the forward diffusion at
t ~ U(0, perturbed_t_max), which spans hits and near misses around the true pose.

Optional ranking batches (`poses_per_group > 0`): each item is a group of poses of one complex, so
that the confidence module can add a listwise ranking term over the poses the score model sampled
(the choice the model makes at inference: which of one complex's samples comes first).
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
    sampled: Tensor | None = None  # [K] bool: drawn from the score model (False: a perturbed crystal pose)

    def sampled_mask(self) -> Tensor:
        """[K] bool; files written before the mask existed count every pose as sampled."""
        return self.sampled if self.sampled is not None else torch.ones(len(self.rmsd), dtype=torch.bool)


def pose_rmsd(poses: Tensor, reference: Tensor, automorphisms: Tensor | None = None) -> Tensor:
    """Heavy-atom RMSD [K] of poses [K, N, 3] to reference [N, 3], no alignment: in the same atom order, or
    minimised over `automorphisms` [A, N] (row a: the atom that each atom maps to; see `ligand_automorphisms`)."""
    if automorphisms is None:
        return (poses - reference).pow(2).sum(-1).mean(-1).sqrt()
    permuted = poses[:, automorphisms]  # [K, A, N, 3]
    return (permuted - reference).pow(2).sum(-1).mean(-1).sqrt().min(dim=1).values


def ligand_automorphisms(graph: ComplexGraph, limit: int = 10_000) -> Tensor:
    """[A, N] long: the ligand graph's automorphisms (element and connectivity, as spyrmsd matches atoms), the
    identity first; at most `limit` (a ligand with more keeps the first ones found)."""
    import itertools

    import networkx as nx
    from networkx.algorithms.isomorphism import GraphMatcher

    ligand = nx.Graph()
    for atom, element in enumerate(graph.lig_atom_feat[:, 0].tolist()):  # column 0: the element
        ligand.add_node(atom, element=element)
    ligand.add_edges_from(graph.lig_bond_index.t().tolist())
    matcher = GraphMatcher(ligand, ligand, node_match=lambda a, b: a["element"] == b["element"])
    found = [[m[i] for i in range(graph.num_atoms)] for m in itertools.islice(matcher.isomorphisms_iter(), limit)]
    identity = list(range(graph.num_atoms))
    return torch.tensor([identity] + [m for m in found if m != identity], dtype=torch.long)


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
            perturbed = perturbed_poses(view, c.perturbed_per_complex, c.perturbed_t_max, cfg, gen)
            sampled = torch.arange(len(p) + len(perturbed)) < len(p)
            p = torch.cat([p, perturbed])
            finite = torch.isfinite(p).all(dim=2).all(dim=1)
            rmsd = pose_rmsd(p[finite], crystal, ligand_automorphisms(item.graph))
            out.append(SampledPoses(view, p[finite], rmsd, sampled[finite]))
    return out


def perturbed_poses(view: ComplexGraph, num: int, t_max: float, cfg: TrainConfig,
                    generator: torch.Generator) -> Tensor:
    """[num, N, 3] forward-diffusion perturbations of the view's ligand pose (the matched conformer at
    the crystal pose) at t ~ U(0, t_max): poses at every distance from the truth, hits included."""
    t = torch.rand(num, generator=generator) * t_max
    poses = [noise_complex(view, float(ti), cfg.model, generator)[0].lig_pos for ti in t]
    return torch.stack(poses) if poses else view.lig_pos.new_zeros(0, *view.lig_pos.shape)


def save_poses(samples: Sequence[SampledPoses], path: str | Path, score_sha256: str | None = None) -> None:
    """torch.save of plain tensors (written atomically), with the SHA-256 of the score model export that
    sampled them."""
    path = Path(path)
    payload = [{"graph": {f.name: getattr(s.graph, f.name) for f in fields(s.graph)}, "poses": s.poses, "rmsd": s.rmsd,
                "sampled": s.sampled_mask()} for s in samples]
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"score_sha256": score_sha256, "samples": payload}, tmp)
    os.replace(tmp, path)


def load_poses(path: str | Path) -> tuple[list[SampledPoses], str | None]:
    """(the poses, the SHA-256 of the score export that sampled them; None in files written before it was kept)."""
    saved = torch.load(path, weights_only=True)
    payload, digest = (saved["samples"], saved["score_sha256"]) if isinstance(saved, dict) else (saved, None)
    return [SampledPoses(ComplexGraph(**p["graph"]), p["poses"], p["rmsd"], p.get("sampled")) for p in payload], digest


@dataclass
class LabelledBatch:
    """Posed complexes with their labels; `group` numbers the complex each pose belongs to."""

    graphs: ComplexBatch
    labels: Tensor  # [P] float: RMSD < threshold
    rmsd: Tensor  # [P] Å
    sampled: Tensor  # [P] bool: drawn from the score model
    group: Tensor  # [P] long, 0..B-1

    @property
    def num_graphs(self) -> int:
        return self.graphs.num_graphs

    def to(self, device) -> "LabelledBatch":
        return LabelledBatch(self.graphs.to(device), *(x.to(device) for x in (self.labels, self.rmsd, self.sampled, self.group)))


Item = list[tuple[ComplexGraph, Tensor, Tensor, Tensor]]  # (posed complex, RMSD, sampled, label) per pose of one complex


class LabelledPoses(Dataset):
    """Every sampled pose as one item (a group of one): batches mix poses of many complexes."""

    def __init__(self, samples: Sequence[SampledPoses], threshold: float = 2.0):
        self.samples = list(samples)
        self.index = [(i, k) for i, s in enumerate(self.samples) for k in range(s.poses.shape[0])]
        self.threshold = threshold

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> Item:
        s, k = self.index[i]
        return _posed(self.samples[s], torch.tensor([k]), self.threshold)

    def num_poses(self) -> int:
        return len(self.index)

    def positive_fraction(self) -> float:
        labels = torch.cat([s.rmsd < self.threshold for s in self.samples]) if self.samples else torch.zeros(0)
        return float(labels.float().mean()) if labels.numel() else 0.0


class PoseGroups(LabelledPoses):
    """Each item: `group_size` poses of one complex drawn without replacement (all when it has fewer).
    With `fixed_seed` the draw of item i is the same every epoch (validation)."""

    def __init__(self, samples: Sequence[SampledPoses], threshold: float = 2.0, group_size: int = 4,
                 fixed_seed: int | None = None):
        super().__init__(samples, threshold)
        if group_size < 1:
            raise ValueError(f"group_size must be >= 1, got {group_size}")
        self.group_size, self.fixed_seed = group_size, fixed_seed

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Item:
        sample = self.samples[i]
        gen = torch.Generator().manual_seed(self.fixed_seed + i) if self.fixed_seed is not None else None
        chosen = torch.randperm(len(sample.rmsd), generator=gen)[: self.group_size]
        return _posed(sample, chosen, self.threshold)


def _posed(sample: SampledPoses, chosen: Tensor, threshold: float) -> Item:
    sampled = sample.sampled_mask()
    return [(sample.graph.with_ligand_pos(sample.poses[k]), sample.rmsd[k], sampled[k], sample.rmsd[k] < threshold)
            for k in chosen.tolist()]


def collate_labelled(items: list[Item]) -> LabelledBatch:
    """collate_fn of LabelledPoses / PoseGroups items -> LabelledBatch."""
    poses = [pose for item in items for pose in item]
    rmsd, sampled, labels = (torch.stack([pose[i] for pose in poses]) for i in (1, 2, 3))
    group = torch.cat([torch.full((len(item),), g, dtype=torch.long) for g, item in enumerate(items)])
    return LabelledBatch(collate([pose[0] for pose in poses]), labels.float(), rmsd.float(), sampled.bool(), group)


__all__ = ["LabelledBatch", "LabelledPoses", "PoseGroups", "SampledPoses", "collate_labelled", "generate_poses",
           "ligand_automorphisms", "load_poses", "perturbed_poses", "pose_rmsd",
           "save_poses"]
