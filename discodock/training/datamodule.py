"""Lightning data modules: the cached complexes split by protein, served noised (score stage),
posed/unposed (prior stage) or as sampled poses with labels (confidence stage)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from discodock.errors import InputError
from discodock.evaluation.datasets import read_ids
from discodock.training._lightning import pl
from discodock.training.config import TrainConfig, resolve_path
from discodock.training.dataset import (
    NoisedComplexes,
    TrainingComplex,
    ViewedComplexes,
    check_no_test_complexes,
    collate_noised,
    collate_views,
    load_cache_items,
    split_by_protein,
)

VAL_SEED = 12345  # validation items are noised the same way every epoch


def check_vocabularies(items: Sequence[TrainingComplex], cfg: TrainConfig, source: object) -> None:
    """Raise InputError when the cached features do not fit the model's embedding tables."""
    dims = cfg.model.ligand_feature_dims
    for c in items:
        feat = c.graph.lig_atom_feat
        if feat.shape[1] != len(dims):
            raise InputError(source, f"{c.graph.name}: {feat.shape[1]} ligand feature columns, model.ligand_feature_dims has {len(dims)}")
        too_big = (feat.max(dim=0).values >= torch.tensor(dims)).nonzero().flatten().tolist()
        if too_big:
            raise InputError(source, f"{c.graph.name}: ligand feature columns {too_big} exceed model.ligand_feature_dims {list(dims)}")
        if c.graph.num_residues and int(c.graph.rec_type.max()) >= cfg.model.num_residue_types:
            raise InputError(source, f"{c.graph.name}: residue type beyond model.num_residue_types")


def load_split(cfg: TrainConfig, items: Sequence[TrainingComplex] | None = None) -> tuple[list[TrainingComplex], list[TrainingComplex]]:
    """(train, validation) complexes: the cache (or `items`) split by protein cluster, or, with
    `cfg.data.val_ids`, validation = the listed complexes (all must be in the cache) and train = the rest."""
    source = "items" if items is not None else resolve_path(cfg.data.cache)
    items = list(items) if items is not None else load_cache_items(source)
    check_vocabularies(items, cfg, source)
    check_no_test_complexes([c.graph.name for c in items], source)
    if cfg.data.val_ids is None:
        train_idx, val_idx = split_by_protein([c.graph for c in items], cfg.data.val_fraction, cfg.data.split_seed)
        return [items[i] for i in train_idx], [items[i] for i in val_idx]
    ids_path = resolve_path(cfg.data.val_ids)
    if not ids_path.is_file():
        raise InputError(ids_path, "validation id file not found (data.val_ids)")
    val_ids = set(read_ids(ids_path))
    missing = sorted(val_ids - {c.graph.name for c in items})
    if missing:
        raise InputError(ids_path, f"{len(missing)} validation complexes are not in {source}: {', '.join(missing[:5])}")
    return [c for c in items if c.graph.name not in val_ids], [c for c in items if c.graph.name in val_ids]


class _Module(pl.LightningDataModule):
    def __init__(self, batch_size: int, num_workers: int):
        super().__init__()
        self.batch_size, self.num_workers = batch_size, num_workers
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None
        self.collate = None

    def _loader(self, dataset: Dataset, shuffle: bool) -> DataLoader:
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=shuffle, collate_fn=self.collate,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True)

    def val_dataloader(self) -> DataLoader | list:
        return self._loader(self.val_set, shuffle=False) if self.val_set is not None and len(self.val_set) else []


class DockingDataModule(_Module):
    """Score stage (`kind='score'`: noised complexes) or prior stage (`kind='prior'`: crystal + unposed)."""

    def __init__(self, cfg: TrainConfig, items: Sequence[TrainingComplex] | None = None, kind: str = "score"):
        super().__init__(cfg.data.batch_size, cfg.data.num_workers)
        if kind not in ("score", "prior"):
            raise ValueError(f"kind must be 'score' or 'prior', got {kind!r}")
        self.cfg, self.items, self.kind = cfg, items, kind
        self.collate = collate_noised if kind == "score" else collate_views

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        train, val = load_split(self.cfg, self.items)
        d = self.cfg.data
        view = dict(mode=d.mode, pocket_radius=d.pocket_radius, pocket_noise=d.pocket_noise, max_residues=d.max_residues)
        if self.kind == "score":
            s = self.cfg.score
            noise = dict(time_distribution=s.time_distribution, time_alpha=s.time_alpha)
            self.train_set = NoisedComplexes([c.graph for c in train], self.cfg.model, **view, **noise)
            self.val_set = NoisedComplexes([c.graph for c in val], self.cfg.model, **view, **noise, fixed_seed=VAL_SEED,
                                           draws=d.val_draws)
        else:
            self.train_set = ViewedComplexes([c.graph for c in train], **view)
            self.val_set = ViewedComplexes([c.graph for c in val], **view, fixed_seed=VAL_SEED)


class ConfidenceDataModule(_Module):
    """Confidence stage: sampled poses with their labels (`confidence_data`), one pose or one group of a
    complex's poses per item; `data.batch_size` items per batch."""

    def __init__(self, cfg: TrainConfig, train_set: Dataset, val_set: Dataset | None):
        super().__init__(cfg.data.batch_size, cfg.data.num_workers)
        from discodock.training.confidence_data import collate_labelled

        self.train_set, self.val_set, self.collate = train_set, val_set, collate_labelled


__all__ = ["ConfidenceDataModule", "DockingDataModule", "load_split"]
