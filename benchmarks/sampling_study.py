"""Sampling and Vina-ranking settings, chosen off the test set (like the ranking study).

Complexes: the validation split of a training config plus the 8 time-split complexes (never
PoseBusters V2). For each low-temperature preset, Vina box, model and complex: dock (pocket mode,
40 x 20, seed 0), then minimise every pose in Vina within the box ("poses": their joint extent;
"pocket": the pocket centre, ligand diameter + 10 Å). One row per complex: top-1 by confidence, best
of the samples, share of samples within 2 Å, and the same after Vina minimisation (top-1 by Vina
score). Resumable: rows are appended per (preset, box, model, complex).

    OMP_NUM_THREADS=1 python benchmarks/sampling_study.py --presets plain diffdock-v1.1 --models disco-pocket
    OMP_NUM_THREADS=1 python benchmarks/sampling_study.py --presets plain --vina-box pocket
    python benchmarks/sampling_study.py --summarize
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path

import pandas as pd
import torch

from discodock.sampling import TEMPERATURE_PRESETS as PRESETS
from discodock.sampling import LowTemperature

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from ranking_study import (  # noqa: E402  (same complexes)
    append_rows, finished, record_label_settings, study_complexes, study_parser)

COLUMNS = ["preset", "model", "vina_box", "id", "top1_rmsd", "oracle_rmsd", "share_below_2", "top1_opt_rmsd",
           "oracle_opt_rmsd", "share_opt_below_2", "seconds"]


def study_one(models, paths, temperature: LowTemperature, vina_box: str, samples: int, steps: int) -> dict:
    from discodock.evaluation.benchmark import prepare_from_crystal
    from discodock.evaluation.rmsd import symmetry_rmsd
    from discodock.pipeline import dock, rank_by_vina

    start = time.perf_counter()
    crystal, prepared = prepare_from_crystal(models, paths, "pocket", seed=0)
    result = dock(models, prepared, samples=samples, steps=steps, seed=0, temperature=temperature)
    rmsd = symmetry_rmsd(crystal, list(result.poses))
    minimised = rank_by_vina(result, paths.protein, ["vina-opt"], box=vina_box)["vina-opt"].result
    rmsd_opt = symmetry_rmsd(crystal, list(minimised.poses))
    return {"id": paths.id, "top1_rmsd": rmsd[0], "oracle_rmsd": rmsd.min(), "share_below_2": (rmsd < 2).mean(),
            "top1_opt_rmsd": rmsd_opt[0], "oracle_opt_rmsd": rmsd_opt.min(),
            "share_opt_below_2": (rmsd_opt < 2).mean(), "seconds": round(time.perf_counter() - start, 2)}


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per setting (preset, box) and model, on the complexes every setting of that model has done (paired)."""
    from discodock.evaluation.metrics import success_rate, success_with_ci

    out = []
    for model, group in rows.groupby("model"):
        settings = group[["preset", "vina_box"]].drop_duplicates().itertuples(index=False)
        by_setting = {tuple(s): group[(group["preset"] == s[0]) & (group["vina_box"] == s[1])] for s in settings}
        common = set.intersection(*(set(part["id"]) for part in by_setting.values()))
        for (preset, vina_box), part in by_setting.items():
            part = part[part["id"].isin(common)]
            opt_success, low, high = success_with_ci(part["top1_opt_rmsd"])
            out.append({
                "model": model, "preset": preset, "vina_box": vina_box, "n": len(part),
                "top1_success": success_rate(part["top1_rmsd"]),
                "oracle_success": success_rate(part["oracle_rmsd"]),
                "share_below_2": float(part["share_below_2"].mean()),
                "top1_opt_success": opt_success, "top1_opt_ci_low": low, "top1_opt_ci_high": high,
                "oracle_opt_success": success_rate(part["oracle_opt_rmsd"]),
                "median_top1_opt_rmsd": float(part["top1_opt_rmsd"].median()),
            })
    return pd.DataFrame(out)


def main() -> None:
    from discodock.atomic import atomic_write_text
    from discodock.errors import InputError
    from discodock.evaluation.datasets import default_data_root
    from discodock.weights import load_models

    parser = study_parser(__doc__.splitlines()[0], "sampling_study.csv")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    parser.add_argument("--vina-box", nargs="+", default=["poses"], choices=["poses", "pocket"])
    args = parser.parse_args()

    if not args.summarize:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        complexes = study_complexes(args.config, args.data or default_data_root())[: args.limit]
        done = finished(args.out, ["preset", "vina_box", "model", "id"])
        for name in args.models:
            models = load_models(name)
            record_label_settings(args.out, name, name, {"samples": args.samples, "steps": args.steps},
                                  {label for _, _, label, _ in done})
            for preset, vina_box in itertools.product(args.presets, args.vina_box):
                for paths in complexes:
                    if (preset, vina_box, name, paths.id) in done:
                        continue
                    try:
                        row = {"preset": preset, "model": name, "vina_box": vina_box,
                               **study_one(models, paths, PRESETS[preset], vina_box, args.samples, args.steps)}
                    except InputError as error:  # reported; the complex has no row
                        print(f"{preset} {vina_box} {name} {paths.id}: failed: {error}", flush=True)
                        continue
                    append_rows(args.out, pd.DataFrame([row])[COLUMNS])  # one write per row
                    print(f"{preset} {vina_box} {name} {paths.id}: top-1 {row['top1_rmsd']:.2f} Å, "
                          f"minimised top-1 {row['top1_opt_rmsd']:.2f} Å", flush=True)

    summary = summarize(pd.read_csv(args.out, dtype={"id": str}))
    atomic_write_text(args.out.with_name(args.out.stem + "_summary.csv"), summary.to_csv(index=False))
    print(summary.to_string(index=False))
    print(f"config: {args.config.relative_to(REPO)}; presets: " +
          "; ".join(f"{k} = {v}" for k, v in PRESETS.items() if k in set(args.presets)))


if __name__ == "__main__":
    main()
