"""How well do confidence models order one complex's sampled poses? Validation complexes only.

Reads the poses a confidence stage sampled (`runs/<name>/confidence_poses.pt`: poses of every
training and validation complex, sampled by the score model, plus perturbed crystal poses) and keeps
the validation split of the config's poses and only the score model's own samples: the choice the
confidence model makes at inference. For each confidence model and complex: Spearman ρ between its
logits and the RMSD (negative: higher confidence, lower RMSD), the RMSD of its top pose, of the best
pose, and the mean RMSD (the expected top pose of a random pick). The summary pairs each model's
top-pose RMSDs with the first model's (Wilcoxon signed-rank). Nothing here touches PoseBusters.

    OMP_NUM_THREADS=1 python benchmarks/confidence_study.py --poses runs/conf_disco_bce/confidence_poses.pt \
        --model shipped=benchmarks/seed_bundles/disco_pocket_s0.pt \
        --model bce=runs/conf_disco_bce/confidence.ckpt --model ranking=runs/conf_disco_rank/confidence.ckpt \
        --out benchmarks/results/confidence_study.csv

A model is a bundle (shipped name or path) or a confidence stage's `confidence.ckpt` export.
RMSDs are the stage's own: heavy atoms in the cached order, no symmetry correction.

The committed `benchmarks/results/confidence_study.csv` compares the DisCo pocket confidence model shipped
until 28 Nov 2026 (`benchmarks/seed_bundles/disco_pocket_s0.pt`, row `shipped`) with two retrained on 16
sampled + 8 perturbed poses per complex, in groups of 4 poses of one complex, 4 complexes per batch, at most
12 epochs, seed 0, without and with the listwise term. Each was trained in a run folder holding the
score.ckpt and prior.ckpt of `runs/disco_pocket` (the training run of the shipped bundle), e.g. for the
second (the first drops `ranking_weight` and is named conf_disco_bce; it sampled the poses both use):

    OMP_NUM_THREADS=1 python benchmarks/train_docking.py --config configs/train_disco_pocket.yaml \
        --accelerator cpu --threads 1 --stages confidence --set name=conf_disco_rank \
        --set confidence.samples_per_complex=16 --set confidence.poses_per_group=4 --set data.batch_size=4 \
        --set confidence.max_epochs=12 --set confidence.max_minutes=300 --set confidence.ranking_weight=1.0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def load_confidence(spec: str) -> torch.nn.Module:
    """A confidence model from a bundle (name or path) or a `confidence.ckpt` export."""
    from discodock.training.train import load_confidence_export
    from discodock.weights import load_models

    path = Path(spec)
    if path.suffix == ".ckpt":
        return load_confidence_export(path)
    confidence = load_models(spec).confidence
    if confidence is None:
        raise SystemExit(f"{spec}: the bundle has no confidence model")
    return confidence


def complex_rows(name: str, model: torch.nn.Module, samples) -> pd.DataFrame:
    """One row per complex: how `model` ranks its sampled poses."""
    from scipy.stats import spearmanr

    from discodock.sampling import rank_poses

    rows = []
    for s in samples:
        mask = s.sampled_mask()
        poses, rmsd = s.poses[mask], s.rmsd[mask].numpy()
        if len(rmsd) < 2:
            continue
        logits = rank_poses(model, s.graph, poses).numpy()
        rows.append({"model": name, "id": s.graph.name, "poses": len(rmsd),
                     "spearman": float(spearmanr(logits, rmsd).statistic),
                     "top1_rmsd": float(rmsd[np.argmax(logits)]), "oracle_rmsd": float(rmsd.min()),
                     "mean_rmsd": float(rmsd.mean())})
    return pd.DataFrame(rows)


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per model: mean ρ, median / mean top-pose RMSD, hits at 2 and 5 Å, Wilcoxon vs the first model."""
    from scipy.stats import wilcoxon

    names = list(dict.fromkeys(rows["model"]))
    first = rows[rows.model == names[0]].set_index("id")["top1_rmsd"]
    out = []
    for name in names:
        group = rows[rows.model == name]
        top1 = group.set_index("id")["top1_rmsd"]
        paired = np.nan if name == names[0] else float(wilcoxon(top1, first.loc[top1.index]).pvalue)
        out.append({"model": name, "complexes": len(group), "mean_spearman": group["spearman"].mean(),
                    "median_top1_rmsd": top1.median(), "mean_top1_rmsd": top1.mean(),
                    "mean_random_rmsd": group["mean_rmsd"].mean(), "mean_oracle_rmsd": group["oracle_rmsd"].mean(),
                    "top1_below_2": int((top1 < 2).sum()), "oracle_below_2": int((group["oracle_rmsd"] < 2).sum()),
                    "top1_below_5": int((top1 < 5).sum()), f"wilcoxon_p_vs_{names[0]}": paired})
    return pd.DataFrame(out)


def main() -> None:
    from discodock.atomic import atomic_write_text
    from discodock.training.config import load_train_config
    from discodock.training.confidence_data import load_poses
    from discodock.training.datamodule import load_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poses", type=Path, required=True, help="a confidence stage's confidence_poses.pt")
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "train_disco_pocket.yaml",
                        help="the training config whose validation split the poses file ends with")
    parser.add_argument("--model", dest="models", action="append", required=True, metavar="NAME=PATH")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "confidence_study.csv")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    train, val = load_split(load_train_config(args.config))
    samples, _ = load_poses(args.poses)
    if len(samples) != len(train) + len(val):
        raise SystemExit(f"{args.poses}: {len(samples)} complexes, the split of {args.config} has {len(train) + len(val)}")
    val_samples = samples[len(train):]
    tables = []
    for spec in args.models:
        name, _, path = spec.partition("=")
        if not path:
            raise SystemExit(f"--model {spec!r}: expected NAME=PATH")
        tables.append(complex_rows(name, load_confidence(path), val_samples))
    rows = pd.concat(tables, ignore_index=True)
    summary = summarize(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, rows.to_csv(index=False))
    atomic_write_text(args.out.with_name(args.out.stem + "_summary.csv"), summary.to_csv(index=False))
    print(summary.to_string(index=False))
    print(json.dumps({"poses": str(args.poses), "config": str(args.config), "models": args.models}))


if __name__ == "__main__":
    main()
