"""The AR prior's share of docking time (the DisCo paper reports ~0.5 % of sampling time).

Docks the first complexes of the training pool in pocket mode (crystal ligand centroid as pocket
centre, a fresh conformer) with a shipped DisCo bundle and reads the per-stage seconds that
`discodock.pipeline.dock` records: prior draw, sampling (prior included) and confidence ranking.

    OMP_NUM_THREADS=1 python benchmarks/prior_overhead.py --weights disco-pocket --limit 10 \
        --out benchmarks/results/prior_overhead.csv
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pandas as pd
import torch

from discodock.atomic import atomic_write_text
from discodock.evaluation.benchmark import prepare_from_crystal
from discodock.evaluation.datasets import default_data_root, load_set
from discodock.pipeline import dock
from discodock.weights import load_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="disco-pocket")
    parser.add_argument("--set", default="train_pool")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/prior_overhead.csv"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    models = load_models(args.weights)
    if models.prior is None:
        raise SystemExit(f"{args.weights} has no prior (a no-latent twin): nothing to measure")
    rows = []
    for c in load_set(args.set, args.data or default_data_root())[: args.limit]:
        _, prepared = prepare_from_crystal(models, c, "pocket", seed=0)
        result = dock(models, prepared, samples=args.samples, steps=args.steps, seed=0)
        rows.append({"id": c.id, "residues": prepared.graph.num_residues, "atoms": prepared.graph.num_atoms,
                     **result.timings, "prior_share_of_sampling": result.timings["prior"] / result.timings["sampling"]})
        print(rows[-1], flush=True)

    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, table.to_csv(index=False))
    summary = {
        "weights": args.weights, "set": args.set, "complexes": len(table), "samples": args.samples,
        "steps": args.steps, "threads": args.threads,
        "median_prior_seconds": float(table["prior"].median()),
        "median_sampling_seconds": float(table["sampling"].median()),
        "median_prior_share_of_sampling": float(table["prior_share_of_sampling"].median()),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
    }
    atomic_write_text(args.out.with_name(args.out.stem + "_summary.json"), json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
