"""Run the three training stages (score → prior → confidence) of one config, resumably.

Outputs under `runs/<name>/`:
- config.yaml                      the full TrainConfig of the run
- score.ckpt, prior.ckpt, confidence.ckpt   inference weights (EMA for the score model) + configs
- metrics.csv                      every logged metric of every stage (column `stage`)
- lightning/<stage>/{last,best}.ckpt   full Lightning checkpoints (optimizer, EMA) for resuming
- confidence_poses.pt              the sampled poses the confidence model trained on
- bundle.pt                        all three networks in one file (`discodock.weights.load_models`)

A stage whose export exists is skipped; a stage with a `last.ckpt` resumes from it (Lightning's
Timer restores the elapsed time too, so `max_minutes` is a budget over all attempts; the checkpoint also
keeps the random states). The prior, the confidence model and its sampled poses record the SHA-256 of the
score export they were made from: after the score stage is retrained they are refused rather than reused,
and no bundle pairs them with the new score model.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Sequence

import torch

from discodock.errors import InputError
from discodock.training._lightning import pl
from discodock.training.config import StageConfig, TrainConfig, load_train_config, save_train_config
from discodock.training.dataset import TrainingComplex

log = logging.getLogger(__name__)
STAGES = ("score", "prior", "confidence")


def _atomic_save(obj: dict, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


class SaveLastOnTrainEnd(pl.Callback):
    """Write `last.ckpt` when fitting stops mid-epoch (max_steps, max_time), so a rerun resumes there."""

    def __init__(self, path: Path):
        self.path = path

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        trainer.save_checkpoint(self.path)


def _has_validation(datamodule: pl.LightningDataModule) -> bool:
    datamodule.setup("fit")
    return datamodule.val_set is not None and len(datamodule.val_set) > 0


def fit_stage(
    cfg: TrainConfig,
    stage: str,
    module: pl.LightningModule,
    datamodule: pl.LightningDataModule,
    *,
    accelerator: str = "auto",
    devices: int | str = 1,
    strategy: str = "auto",
    max_minutes: float | None = None,
    provenance: dict | None = None,
) -> Path:
    """Fit one stage (resuming from its last checkpoint), then export the best (or last) weights
    to `runs/<name>/<stage>.ckpt`, with `provenance` (what it was trained from). Returns that path."""
    stage_cfg: StageConfig = getattr(cfg, stage)
    run_dir = cfg.run_dir
    ckpt_dir = run_dir / "lightning" / stage
    validate = _has_validation(datamodule)
    checkpoint = pl.callbacks.ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor="val_loss" if validate else None,
                                 mode="min", save_top_k=1 if validate else 0, save_last=True)
    minutes = max_minutes if max_minutes is not None else stage_cfg.max_minutes
    if strategy == "ddp_cpu":  # gloo DDP in forked processes (tests, CPU clusters)
        strategy = pl.strategies.DDPStrategy(process_group_backend="gloo", find_unused_parameters=True, start_method="spawn")
    trainer = pl.Trainer(
        accelerator=accelerator,
        devices=devices,
        strategy=strategy,
        max_epochs=stage_cfg.max_epochs,
        max_steps=stage_cfg.max_steps,
        max_time=timedelta(minutes=minutes) if minutes else None,
        gradient_clip_val=stage_cfg.grad_clip or None,
        log_every_n_steps=stage_cfg.log_every_n_steps,
        check_val_every_n_epoch=None if stage_cfg.val_check_interval else stage_cfg.val_every_n_epochs,
        val_check_interval=stage_cfg.val_check_interval,
        limit_val_batches=1.0 if validate else 0,
        num_sanity_val_steps=0,
        callbacks=[checkpoint, SaveLastOnTrainEnd(ckpt_dir / "last.ckpt")],
        # one log folder per attempt: Lightning's CSV logger empties an existing metrics.csv on a resume
        logger=pl.loggers.CSVLogger(run_dir / "logs", name=stage, version=_next_attempt(run_dir, stage)),
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=run_dir,
    )
    last = ckpt_dir / "last.ckpt"
    if last.is_file() and provenance:  # a half-trained prior or ranker must not resume for another score model
        # this run's own checkpoint, which Lightning itself loads in full below
        saved = torch.load(last, map_location="cpu", weights_only=False).get("provenance") or {}
        if any(saved.get(key) not in (None, value) for key, value in provenance.items()):
            raise InputError(last, f"was trained from another score.ckpt than the one in this run: delete "
                                   f"{ckpt_dir} to train the {stage} stage again")
    module.provenance = provenance  # written into every checkpoint (_Stage.on_save_checkpoint)
    trainer.fit(module, datamodule=datamodule, ckpt_path=last if last.is_file() else None)
    if stage_cfg.max_steps and 0 < trainer.global_step < stage_cfg.max_steps and trainer.is_global_zero:
        # a time budget ended the stage: runs compared as step-matched (DisCo vs its twin) would not be
        log.warning("%s: stage %s stopped at step %d of max_steps %d (time budget or epochs)",
                    cfg.name, stage, trainer.global_step, stage_cfg.max_steps)
    out = run_dir / f"{stage}.ckpt"
    if trainer.is_global_zero:
        best = ckpt_dir / "best.ckpt"
        chosen = best if best.is_file() else last
        if chosen.is_file():  # the selected epoch's weights (best validation loss), not the final ones
            module.load_state_dict(torch.load(chosen, map_location="cpu", weights_only=False)["state_dict"])
        export = module.export()
        export["selected_from"] = chosen.name if chosen.is_file() else "final"
        export["steps_trained"] = trainer.global_step
        export.update(provenance or {})
        _atomic_save(export, out)
    return out


def _device(accelerator: str) -> str:
    wants_gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    return "cuda" if wants_gpu else "cpu"


def run_score_stage(cfg: TrainConfig, items=None, **trainer_kw) -> Path:
    from discodock.training.datamodule import DockingDataModule
    from discodock.training.lightning_module import DockingModule

    pl.seed_everything(cfg.seed, workers=True)
    return fit_stage(cfg, "score", DockingModule(cfg.to_dict()), DockingDataModule(cfg, items, "score"), **trainer_kw)


def run_prior_stage(cfg: TrainConfig, items=None, **trainer_kw) -> Path:
    from discodock.training.datamodule import DockingDataModule
    from discodock.training.lightning_module import PriorModule

    pl.seed_everything(cfg.seed, workers=True)
    score_export = torch.load(cfg.run_dir / "score.ckpt", map_location="cpu", weights_only=True)
    module = PriorModule(cfg.to_dict(), score_export)
    return fit_stage(cfg, "prior", module, DockingDataModule(cfg, items, "prior"),
                     provenance={"score_sha256": score_digest(cfg.run_dir)}, **trainer_kw)


def score_digest(run_dir: Path) -> str:
    """SHA-256 of the run's score export: the prior learns its encoder's latents and the confidence model
    ranks its samples, so each records the score model it was trained from."""
    from discodock.weights import file_sha256

    return file_sha256(run_dir / "score.ckpt")


def made_for_another_score_model(recorded: str | None, run_dir: Path) -> bool:
    """Whether a recorded score export digest is not the run's current one (None: written before it was kept)."""
    return recorded is not None and recorded != score_digest(run_dir)


def recorded_score_digest(export: Path) -> str | None:
    """The score export digest a prior or confidence export records (None in exports written before)."""
    return torch.load(export, map_location="cpu", weights_only=True).get("score_sha256")


def check_trained_from_this_score_model(path: Path, recorded: str | None, run_dir: Path) -> None:
    """InputError if `path` (a stage export or the confidence poses) records another score export than the
    run's current one (e.g. after the score stage was retrained); None: written before this was recorded."""
    if made_for_another_score_model(recorded, run_dir):
        raise InputError(path, "was made from another score.ckpt than the one in this run (retrained since?): "
                               f"delete it and lightning/{path.stem.split('_')[0]}/ to redo that stage")


def load_trained_models(run_dir: Path, device: str = "cpu"):
    """(score model, prior or None) with the exported weights of a run, in eval mode."""
    from discodock.model.config import config_from_dict
    from discodock.model.prior import build_prior
    from discodock.model.score_model import ScoreModel

    score_export = torch.load(run_dir / "score.ckpt", map_location="cpu", weights_only=True)
    mcfg = config_from_dict(score_export["model_config"])
    score_model = ScoreModel(mcfg)
    score_model.load_state_dict(score_export["score_model"])
    prior = None
    if mcfg.has_latents and (run_dir / "prior.ckpt").is_file():
        prior = build_prior(mcfg)
        prior.load_state_dict(torch.load(run_dir / "prior.ckpt", map_location="cpu", weights_only=True)["prior"])
        prior = prior.to(device).eval()
    return score_model.to(device).eval(), prior


def load_confidence_export(path: Path):
    """The confidence model of a confidence stage's export (`confidence.ckpt`), in eval mode on the CPU."""
    from discodock.model.confidence import ConfidenceModel
    from discodock.model.config import config_from_dict

    export = torch.load(path, map_location="cpu", weights_only=True)
    model = ConfidenceModel(config_from_dict(export["model_config"]))
    model.load_state_dict(export["confidence"])
    return model.eval()


def run_confidence_stage(cfg: TrainConfig, items=None, *, accelerator: str = "auto", max_minutes: float | None = None,
                         **trainer_kw) -> Path:
    """Sample poses with the trained score model (+ prior) on train and validation complexes, then fit."""
    from discodock.training.confidence_data import LabelledPoses, PoseGroups, generate_poses, load_poses, save_poses
    from discodock.training.datamodule import ConfidenceDataModule, load_split
    from discodock.training.lightning_module import ConfidenceModule

    pl.seed_everything(cfg.seed, workers=True)
    start = time.time()
    poses_path = cfg.run_dir / "confidence_poses.pt"
    train_items, val_items = load_split(cfg, items)
    if poses_path.is_file():
        samples, sampled_by = load_poses(poses_path)
        if sampled_by is None:  # files of that age also hold plain-RMSD labels and old-rule torsions
            raise InputError(poses_path, "written before the poses recorded their score model (and before labels "
                                         "used the symmetric RMSD): delete it to sample again")
        check_trained_from_this_score_model(poses_path, sampled_by, cfg.run_dir)
        names = [c.graph.name for c in train_items + val_items]
        if [s.graph.name for s in samples] != names:
            raise InputError(poses_path, "its complexes are not this run's train + validation split (the cache or "
                                         "split changed?): delete it to sample again")
    else:
        device = _device(accelerator)
        score_model, prior = load_trained_models(cfg.run_dir, device)
        samples = generate_poses(score_model, train_items + val_items, cfg, prior, device, seed=cfg.seed)
        save_poses(samples, poses_path, score_sha256=score_digest(cfg.run_dir))
    n_train, c = len(train_items), cfg.confidence
    if c.poses_per_group > 0:
        train_set = PoseGroups(samples[:n_train], c.rmsd_threshold, c.poses_per_group)
        val_set = PoseGroups(samples[n_train:], c.rmsd_threshold, c.poses_per_group, fixed_seed=cfg.seed)
    else:
        train_set = LabelledPoses(samples[:n_train], c.rmsd_threshold)
        val_set = LabelledPoses(samples[n_train:], c.rmsd_threshold)
    positive = train_set.positive_fraction()
    log.info("confidence data: %d train poses (%.1f %% < %.1f Å), %d val poses, sampled in %.0f s",
             train_set.num_poses(), 100 * positive, c.rmsd_threshold, val_set.num_poses(), time.time() - start)
    # balance the classes: weight positives by negatives / positives (bounded)
    pos_weight = min(max((1 - positive) / max(positive, 1e-3), 1.0), 20.0)
    module = ConfidenceModule(cfg.to_dict(), pos_weight=pos_weight)
    budget = max_minutes if max_minutes is not None else cfg.confidence.max_minutes
    if budget:
        budget = max(budget - (time.time() - start) / 60, 0.2)  # sampling counts against the stage budget
    datamodule = ConfidenceDataModule(cfg, train_set, val_set)
    return fit_stage(cfg, "confidence", module, datamodule, accelerator=accelerator, max_minutes=budget,
                     provenance={"score_sha256": score_digest(cfg.run_dir)}, **trainer_kw)


def write_bundle(cfg: TrainConfig) -> Path:
    """Pack the run's exports into one model bundle (`discodock.weights` format): runs/<name>/bundle.pt."""
    from discodock.weights import save_bundle

    run_dir = cfg.run_dir
    score_model, prior = load_trained_models(run_dir)
    confidence = None
    if (run_dir / "confidence.ckpt").is_file():
        confidence = load_confidence_export(run_dir / "confidence.ckpt")
    pocket = cfg.data.mode == "pocket"
    out = run_dir / "bundle.pt"
    save_bundle(out, score_model.cfg, score_model, prior, confidence, mode=cfg.data.mode,
                pocket_radius=cfg.data.pocket_radius if pocket else None,
                metadata={"name": cfg.name, "train_config": cfg.to_dict(),
                          "prior_temperature": cfg.confidence.prior_temperature})
    return out


def _attempt_logs(run_dir: Path, stage: str) -> list[Path]:
    """The stage's log folders, one per attempt (start or resume), in order: logs/<stage>/version_<k>."""
    folders = (run_dir / "logs" / stage).glob("version_*")
    return sorted((f for f in folders if f.name.removeprefix("version_").isdigit()),
                  key=lambda f: int(f.name.removeprefix("version_")))


def _next_attempt(run_dir: Path, stage: str) -> int:
    """The number of the next attempt's log folder: one past the highest (a deleted folder is not reused)."""
    folders = _attempt_logs(run_dir, stage)
    return int(folders[-1].name.removeprefix("version_")) + 1 if folders else 0


def merge_metrics(run_dir: Path) -> Path | None:
    """Concatenate the stages' Lightning CSV logs, every attempt in order, into runs/<name>/metrics.csv
    (column `stage`)."""
    import csv

    rows: list[dict] = []
    for stage in STAGES:
        for folder in _attempt_logs(run_dir, stage):
            path = folder / "metrics.csv"
            if path.is_file():
                with path.open(newline="") as handle:
                    rows.extend({"stage": stage, **row} for row in csv.DictReader(handle))
    if not rows:
        return None
    columns = list(dict.fromkeys(key for row in rows for key in row))
    out = run_dir / "metrics.csv"
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)
    return out


def stage_budgets(total_minutes: float, has_prior: bool) -> dict[str, float]:
    """Split a whole run's wall-clock budget: 70 / 10 / 20 % for score / prior / confidence (twin: 80 / 20)."""
    shares = {"score": 0.7, "prior": 0.1, "confidence": 0.2} if has_prior else {"score": 0.8, "confidence": 0.2}
    return {stage: total_minutes * share for stage, share in shares.items()}


def train_main(
    config_path: str | Path | None,
    overrides: Sequence[str] | None = None,
    *,
    stages: Sequence[str] = STAGES,
    accelerator: str = "auto",
    devices: int | str = 1,
    strategy: str = "auto",
    stage_minutes: dict[str, float] | None = None,
    items: Sequence[TrainingComplex] | None = None,
) -> Path:
    """Train the stages of a config in order; returns the run folder. `stage_minutes` overrides each
    stage's wall-clock budget; `items` replaces the cache (tests). The prior stage is skipped for the twin."""
    cfg = load_train_config(config_path, list(overrides or []))
    run_dir = cfg.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    save_train_config(cfg, run_dir / "config.yaml")
    torch.set_float32_matmul_precision("high")
    minutes = stage_minutes or {}
    kw = dict(accelerator=accelerator, devices=devices, strategy=strategy)
    runners = {"score": run_score_stage, "prior": run_prior_stage, "confidence": run_confidence_stage}
    for stage in stages:
        if stage not in runners:
            raise ValueError(f"unknown stage {stage!r}; expected one of {STAGES}")
        if not getattr(cfg, stage).enabled or (stage == "prior" and not cfg.model.has_latents):
            continue
        export = run_dir / f"{stage}.ckpt"
        if export.is_file():
            if stage != "score":  # trained from the score export: it must still be the one in this run
                check_trained_from_this_score_model(export, recorded_score_digest(export), run_dir)
            log.info("%s: %s.ckpt exists, skipping", cfg.name, stage)
            continue
        t0 = time.time()
        runners[stage](cfg, items, max_minutes=minutes.get(stage), **kw)
        log.info("%s: stage %s done in %.0f s", cfg.name, stage, time.time() - t0)
        merge_metrics(run_dir)
    if (run_dir / "score.ckpt").is_file():
        stale = [name for name in ("prior.ckpt", "confidence.ckpt") if (run_dir / name).is_file()
                 and made_for_another_score_model(recorded_score_digest(run_dir / name), run_dir)]
        if stale:  # a bundle must not pair a score model with a prior or ranker trained for another one
            log.warning("%s: bundle not written: %s trained from another score.ckpt; train those stages again",
                        cfg.name, " and ".join(stale))
        else:
            write_bundle(cfg)
    return run_dir


__all__ = ["STAGES", "fit_stage", "load_confidence_export", "load_trained_models", "merge_metrics",
           "run_confidence_stage", "run_prior_stage", "run_score_stage", "train_main", "write_bundle"]
