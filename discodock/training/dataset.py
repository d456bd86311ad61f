"""Training complexes: a cache of featurised complexes, a split by protein, pocket crops, noising.

The cache is built once from files (RDKit, gemmi) and holds only plain tensors, so training runs
on a machine without RDKit. Each complex is stored in blind mode (whole protein, origin at the
protein centre); pocket mode crops it on the fly around a noisy pocket centre, so every epoch
sees a slightly different pocket, as a user's pocket centre would be.

Training sets: `train_pool` (154) + the 120 PoseBusters V1-only complexes. PoseBusters V2 (308)
is the test set: `training_complexes` refuses it.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Callable, Sequence

import torch
from torch.utils.data import Dataset

from discodock.complex_graph import ComplexBatch, ComplexGraph, collate
from discodock.errors import InputError
from discodock.model.config import ModelConfig
from discodock.model.diffusion import NoiseTargets, collate_targets, noise_complex, time_quantile

Tensor = torch.Tensor
log = logging.getLogger(__name__)

# 2: torsions are single bonds only (chem.torsions); caches of format 1 also turned chain double bonds
CACHE_FORMAT = "discodock-train-cache-2"
TRAIN_SETS = ("train_pool", "posebusters_v1_only")
TEST_SET = "posebusters_v2"


# ---------------------------------------------------------------- which complexes


def training_complexes(data_root: str | Path | None = None, sets: Sequence[str] = TRAIN_SETS) -> list:
    """ComplexPaths of the training sets; raises if any belongs to the PoseBusters V2 test set (by PDB code)."""
    from discodock.evaluation.datasets import default_data_root, load_set

    root = Path(data_root) if data_root is not None else default_data_root()
    if TEST_SET in sets:
        raise InputError(TEST_SET, "the PoseBusters V2 test set must not be used for training")
    complexes = [c for name in sets for c in load_set(name, root)]
    check_no_test_complexes([c.id for c in complexes], root, root, required=True)
    return complexes


def check_no_test_complexes(names: Sequence[str], source: object, data_root: str | Path | None = None, *,
                            required: bool = False) -> None:
    """InputError if any complex (by PDB code, so another ligand of the same entry counts too) is in the
    PoseBusters V2 test set; a check on every cache that training reads, whatever built it (e.g. a PDBBind
    layout). Without the data folder's split files there is nothing to check against: that passes, unless
    `required` (choosing the training complexes from that very folder)."""
    from discodock.evaluation.datasets import default_data_root, read_ids

    ids_path = (Path(data_root) if data_root is not None else default_data_root()) / "splits" / "posebusters_v2_308_ids.txt"
    if not ids_path.is_file():
        if required:
            raise InputError(ids_path, "not found: cannot check that the training complexes leave the test set out")
        return
    test_codes = {i.split("_")[0].lower() for i in read_ids(ids_path)}
    leaked = sorted(n for n in names if str(n).split("_")[0].lower() in test_codes)
    if leaked:
        raise InputError(source, f"holds {len(leaked)} PoseBusters V2 test complexes: {', '.join(leaked[:5])}")


# ---------------------------------------------------------------- cache


@dataclass
class TrainingComplex:
    """A featurised complex and its crystal ligand pose (same frame and atom order as `graph.lig_pos`)."""

    graph: ComplexGraph  # lig_pos = the RDKit conformer matched onto the crystal pose (the diffusion target)
    crystal_pos: Tensor  # [N, 3]: the crystal heavy atoms (RMSD labels)
    match_rmsd: float  # RMSD of the matched conformer to the crystal pose (Å)


def featurize_training_complex(paths, match_tries: int = 3) -> TrainingComplex:
    """Read one complex (protein + crystal ligand), match a conformer to the crystal pose, featurise (blind).

    match_tries: fresh RDKit conformers whose torsions are fitted to the crystal (the best is kept)."""
    from discodock.chem.conformer_matching import match_conformer
    from discodock.chem.featurize import featurize_complex
    from discodock.chem.ligand import read_ligand
    from discodock.chem.protein import read_protein

    protein = read_protein(paths.protein)
    crystal = read_ligand(paths.ligand, add_conformer_if_2d=False)
    matched, rmsd = match_conformer(crystal, tries=match_tries)
    graph = featurize_complex(protein, matched, name=paths.id)
    crystal_pos = torch.tensor(crystal.GetConformer().GetPositions(), dtype=torch.float32) - graph.center
    if crystal_pos.shape != graph.lig_pos.shape:
        raise InputError(paths.ligand, f"matched conformer has {graph.num_atoms} atoms, crystal {crystal_pos.shape[0]}")
    return TrainingComplex(graph, crystal_pos, float(rmsd))


def _graph_to_dict(graph: ComplexGraph) -> dict:
    return {f.name: getattr(graph, f.name) for f in fields(graph)}


def _pack(items: list[TrainingComplex], failures: list[tuple[str, str]], meta: dict) -> dict:
    return {
        "format": CACHE_FORMAT,
        "graphs": [_graph_to_dict(c.graph) for c in items],
        "crystal_pos": [c.crystal_pos for c in items],
        "match_rmsd": [c.match_rmsd for c in items],
        "failures": failures,
        "meta": meta,
    }


def _atomic_save(obj: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def build_cache(
    complexes: Sequence,
    out_path: str | Path,
    featurize: Callable = featurize_training_complex,
    save_every: int = 20,
) -> dict:
    """Featurise every complex and save the cache (torch.save of plain tensors) atomically.

    Unreadable complexes (InputError, or RDKit's ValueError / RuntimeError) are skipped and listed
    in `failures` with their id and reason. Progress is saved to `<out>.partial` every `save_every`
    complexes, and a rerun resumes from it.
    """
    out_path = Path(out_path)
    partial = out_path.with_name(out_path.name + ".partial")
    items: list[TrainingComplex] = []
    failures: list[tuple[str, str]] = []
    done: set[str] = set()
    if partial.is_file():
        items = load_cache_items(partial)
        failures = [tuple(f) for f in torch.load(partial, weights_only=True)["failures"]]
        done = {c.graph.name for c in items} | {f[0] for f in failures}
        log.info("resuming cache build from %s: %d done", partial, len(done))
    start = time.time()
    for i, paths in enumerate(complexes):
        if paths.id in done:
            continue
        try:
            items.append(featurize(paths))
        except (InputError, ValueError, RuntimeError) as err:  # one bad complex must not stop the build
            failures.append((paths.id, f"{type(err).__name__}: {err}"))
            log.warning("cache: skipped %s: %s", paths.id, err)
        if (i + 1) % save_every == 0:
            _atomic_save(_pack(items, failures, {}), partial)
            log.info("cache: %d/%d complexes (%.0f s)", i + 1, len(complexes), time.time() - start)
    meta = {"num_complexes": len(items), "num_failed": len(failures), "ids": [c.graph.name for c in items]}
    cache = _pack(items, failures, meta)
    _atomic_save(cache, out_path)
    partial.unlink(missing_ok=True)
    return cache


def load_cache_items(path: str | Path) -> list[TrainingComplex]:
    """Read a cache written by `build_cache` (no RDKit needed)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "training cache not found (build it with benchmarks/build_cache.py)")
    state = torch.load(path, weights_only=True)
    if not isinstance(state, dict) or state.get("format") != CACHE_FORMAT:
        raise InputError(path, f"not a training cache of format {CACHE_FORMAT} (an older one? rebuild it with "
                               "benchmarks/build_cache.py, after deleting any <cache>.partial beside it)")
    return [
        TrainingComplex(ComplexGraph(**g), pos, float(r))
        for g, pos, r in zip(state["graphs"], state["crystal_pos"], state["match_rmsd"])
    ]


# ---------------------------------------------------------------- split by protein


def _kmers(seq: str, k: int) -> set[str]:
    return {seq[i: i + k] for i in range(len(seq) - k + 1)}


def protein_sequence(graph: ComplexGraph) -> str:
    """The residue-type string of the receptor (one character per residue, in file order)."""
    return "".join(chr(65 + int(x)) for x in graph.rec_type)


def protein_clusters(sequences: Sequence[str], k: int = 5, min_shared: float = 0.5) -> list[int]:
    """Cluster id per protein: single linkage on shared k-mers.

    Two proteins join when ≥ `min_shared` of the k-mers of the shorter one occur in the other, a
    fast stand-in for ≥ 90 % sequence identity over the shorter chain set (identical and
    near-identical proteins share almost all 5-mers; unrelated ones almost none).
    """
    sets = [_kmers(s, k) for s in sequences]
    parent = list(range(len(sets)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            small = min(len(sets[i]), len(sets[j]))
            if small and len(sets[i] & sets[j]) >= min_shared * small:
                parent[find(i)] = find(j)
    roots = [find(i) for i in range(len(sets))]
    ids = {r: n for n, r in enumerate(dict.fromkeys(roots))}
    return [ids[r] for r in roots]


def split_by_protein(graphs: Sequence[ComplexGraph], val_fraction: float = 0.1, seed: int = 0) -> tuple[list[int], list[int]]:
    """(train indices, validation indices): whole protein clusters go to validation until ≥ val_fraction."""
    clusters = protein_clusters([protein_sequence(g) for g in graphs])
    members: dict[int, list[int]] = {}
    for i, c in enumerate(clusters):
        members.setdefault(c, []).append(i)
    order = torch.randperm(len(members), generator=torch.Generator().manual_seed(seed)).tolist()
    keys = list(members)
    target = round(val_fraction * len(graphs))
    val: list[int] = []
    for idx in order:
        if len(val) >= target:
            break
        val.extend(members[keys[idx]])
    val_set = set(val)
    return [i for i in range(len(graphs)) if i not in val_set], sorted(val)


# ---------------------------------------------------------------- views of a complex


def recenter(graph: ComplexGraph, origin: Tensor, keep: Tensor | None = None) -> ComplexGraph:
    """Move the frame origin to `origin` (graph frame) and keep only residues `keep` (bool [R])."""
    keep = keep if keep is not None else torch.ones(graph.num_residues, dtype=torch.bool)
    return replace(
        graph,
        lig_pos=graph.lig_pos - origin,
        rec_type=graph.rec_type[keep],
        rec_pos=graph.rec_pos[keep] - origin,
        rec_side=graph.rec_side[keep],
        center=graph.center + origin,
    )


def pocket_crop(graph: ComplexGraph, pocket_center: Tensor, radius: float) -> ComplexGraph:
    """Pocket mode: residues whose Cα lies within `radius` Å of the centre; origin moved to the centre."""
    keep = (graph.rec_pos - pocket_center).norm(dim=-1) <= radius
    if not keep.any():
        raise InputError(graph.name, f"no residue within {radius} Å of the pocket centre")
    return recenter(graph, pocket_center, keep)


def nearest_residues(graph: ComplexGraph, max_residues: int) -> ComplexGraph:
    """Keep the `max_residues` residues closest to the ligand (a memory cap for huge proteins), frame unchanged."""
    if graph.num_residues <= max_residues:
        return graph
    dist = torch.cdist(graph.rec_pos, graph.lig_pos).min(dim=1).values
    keep = torch.zeros(graph.num_residues, dtype=torch.bool)
    keep[dist.topk(max_residues, largest=False).indices] = True
    return replace(graph, rec_type=graph.rec_type[keep], rec_pos=graph.rec_pos[keep], rec_side=graph.rec_side[keep])


def training_view(
    graph: ComplexGraph,
    mode: str,
    pocket_radius: float,
    pocket_noise: float,
    max_residues: int | None,
    generator: torch.Generator | None = None,
) -> ComplexGraph:
    """The complex as the model sees it in training: blind (as cached) or a pocket crop around a noisy centre."""
    if max_residues is not None:
        graph = nearest_residues(graph, max_residues)
    if mode == "blind":
        return graph
    center = graph.lig_pos.mean(dim=0) + torch.randn(3, generator=generator) * pocket_noise
    return pocket_crop(graph, center, pocket_radius)


# ---------------------------------------------------------------- datasets and batches


@dataclass
class TrainBatch:
    """Clean complexes (the encoder's input), the noisy ligand poses and the score targets."""

    clean: ComplexBatch
    noisy_pos: Tensor  # [N_total, 3]
    targets: NoiseTargets

    @property
    def noisy(self) -> ComplexBatch:
        return replace(self.clean, lig_pos=self.noisy_pos)

    def to(self, device: torch.device | str) -> "TrainBatch":
        return TrainBatch(self.clean.to(device), self.noisy_pos.to(device), self.targets.to(device))

    def __len__(self) -> int:
        return self.clean.num_graphs


class NoisedComplexes(Dataset):
    """Each item: a training view of a complex, noised at a random t (fixed per item when `fixed_seed` is set).

    With `draws` > 1 each complex appears `draws` times, its times stratified over the time
    distribution (draw k takes the CDF interval [k/draws, (k+1)/draws)): a validation loss that moves
    less with the luck of one noising per complex.
    """

    def __init__(
        self,
        graphs: Sequence[ComplexGraph],
        model_cfg: ModelConfig,
        mode: str = "blind",
        pocket_radius: float = 20.0,
        pocket_noise: float = 1.5,
        max_residues: int | None = None,
        time_distribution: str = "uniform",
        time_alpha: float = 1.0,
        fixed_seed: int | None = None,
        draws: int = 1,
    ):
        if draws < 1:
            raise ValueError(f"draws must be >= 1, got {draws}")
        self.graphs = list(graphs)
        self.model_cfg = model_cfg
        self.mode, self.pocket_radius, self.pocket_noise = mode, pocket_radius, pocket_noise
        self.max_residues = max_residues
        self.time_distribution, self.time_alpha = time_distribution, time_alpha
        self.fixed_seed, self.draws = fixed_seed, draws

    def __len__(self) -> int:
        return len(self.graphs) * self.draws

    def _generator(self, index: int) -> torch.Generator | None:
        # validation: the same noise every epoch, so the metric moves only with the model
        return None if self.fixed_seed is None else torch.Generator().manual_seed(self.fixed_seed + index)

    def __getitem__(self, index: int) -> tuple[ComplexGraph, Tensor, NoiseTargets]:
        gen = self._generator(index)
        complex_index, draw = divmod(index, self.draws)
        graph = training_view(self.graphs[complex_index], self.mode, self.pocket_radius, self.pocket_noise,
                              self.max_residues, gen)
        u = (draw + torch.rand(1, generator=gen)) / self.draws
        t = time_quantile(u, self.time_distribution, self.time_alpha)
        noisy, targets = noise_complex(graph, t, self.model_cfg, gen)
        return graph, noisy.lig_pos, targets


def collate_noised(items: list[tuple[ComplexGraph, Tensor, NoiseTargets]]) -> TrainBatch:
    return TrainBatch(
        clean=collate([g for g, _, _ in items]),
        noisy_pos=torch.cat([p for _, p, _ in items]),
        targets=collate_targets([x for _, _, x in items]),
    )


class ViewedComplexes(Dataset):
    """Each item (prior stage): a training view of a complex (crystal pose, the encoder's input) and the
    ligand without its pose, as the sampler shows it to the prior: random torsions and orientation,
    centroid at the frame origin."""

    def __init__(self, graphs: Sequence[ComplexGraph], mode: str = "blind", pocket_radius: float = 20.0,
                 pocket_noise: float = 1.5, max_residues: int | None = None, fixed_seed: int | None = None):
        self.graphs = list(graphs)
        self.mode, self.pocket_radius, self.pocket_noise = mode, pocket_radius, pocket_noise
        self.max_residues, self.fixed_seed = max_residues, fixed_seed

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, index: int) -> tuple[ComplexGraph, Tensor]:
        from discodock.sampling import random_initial_poses

        gen = None if self.fixed_seed is None else torch.Generator().manual_seed(self.fixed_seed + index)
        graph = training_view(self.graphs[index], self.mode, self.pocket_radius, self.pocket_noise, self.max_residues, gen)
        return graph, random_initial_poses(graph, 1, 0.0, gen)[0]


def collate_views(items: list[tuple[ComplexGraph, Tensor]]) -> tuple[ComplexBatch, Tensor]:
    return collate([g for g, _ in items]), torch.cat([p for _, p in items])


__all__ = [
    "NoisedComplexes",
    "TrainBatch",
    "TrainingComplex",
    "ViewedComplexes",
    "build_cache",
    "check_no_test_complexes",
    "collate_noised",
    "collate_views",
    "featurize_training_complex",
    "load_cache_items",
    "nearest_residues",
    "pocket_crop",
    "protein_clusters",
    "protein_sequence",
    "recenter",
    "split_by_protein",
    "training_complexes",
    "training_view",
]
