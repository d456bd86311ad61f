"""Our refined top pose and Vina's own top pose, pooled: the one with the lower Vina score is top-1.

Does DisCo add poses that Vina's search misses, and does Vina's scoring pick them? Both scores are the
same function on the same receptor: `VinaScorer` with local minimisation (the baseline re-minimises
its top pose in its own box, column `top1_score`; our `--vina-rank` rows carry their top pose's score
in `confidence`, the studies' rows in `vina_score`). A failed side gives the other's pose.

    # the study complexes (validation split + time split, never the test set) first, then PoseBusters V2
    python benchmarks/vina_pool.py --rows benchmarks/results/refine_study.csv \
        --vina benchmarks/results/vina_study_exh1.csv --methods disco-pocket+vina-refine twin-pocket+vina-refine \
        prior+vina-refine --out benchmarks/results/vina_pool_study.csv
    python benchmarks/vina_pool.py --rows benchmarks/results/posebusters_v2.csv \
        --vina benchmarks/results/vina_posebusters_v2_exh1.csv \
        --methods disco+vina-refine twin+vina-refine prior+vina-refine-pocket --out benchmarks/results/vina_pool_v2.csv

Study CSVs (columns `model`, `ranking`) name a method `<model>+<ranking>`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from discodock.evaluation.metrics import SUCCESS_THRESHOLD, mcnemar_exact, success_with_ci  # noqa: E402


def our_top_poses(rows: pd.DataFrame, method: str) -> pd.DataFrame:
    """id, top1_rmsd, score, seconds of one method: benchmark rows (`method`, score in `confidence`) or a
    study's rows (`model` + '+' + `ranking`, score in `vina_score`)."""
    if "method" not in rows:
        rows = rows.assign(method=rows["model"] + "+" + rows["ranking"], confidence=rows["vina_score"])
    picked = rows[rows["method"] == method].drop_duplicates("id", keep="last")
    if picked.empty:
        raise SystemExit(f"no rows of method {method!r}")
    return picked.rename(columns={"confidence": "score"})[["id", "top1_rmsd", "score", "seconds"]]


def pool(ours: pd.DataFrame, vina: pd.DataFrame) -> pd.DataFrame:
    """Per complex both have: each side's top-1 RMSD and score, and the pooled pick (lower score; a tie or
    a failed side of ours goes to Vina). Failed RMSDs stay NaN (misses)."""
    both = ours.merge(vina[["id", "top1_rmsd", "top1_score", "seconds"]], on="id", suffixes=("_ours", "_vina"))
    ours_score = both["score"].astype(float).fillna(np.inf)
    vina_score = both["top1_score"].astype(float).fillna(np.inf)
    both["picks_ours"] = ours_score < vina_score
    both["top1_rmsd_pooled"] = np.where(both["picks_ours"], both["top1_rmsd_ours"], both["top1_rmsd_vina"])
    both["seconds_pooled"] = both["seconds_ours"] + both["seconds_vina"]
    return both


def summarize(pooled: pd.DataFrame, method: str) -> dict:
    """Success of each side and of the pool (Wilson interval), how often and how well the pool takes ours,
    and the exact McNemar test of pool vs Vina alone."""
    hits = {side: pooled[f"top1_rmsd_{side}"].fillna(np.inf) < SUCCESS_THRESHOLD for side in ("ours", "vina", "pooled")}
    success, low, high = success_with_ci(pooled["top1_rmsd_pooled"])
    test = mcnemar_exact(hits["pooled"], hits["vina"])
    taken = pooled["picks_ours"]
    return {"method": method, "n": len(pooled), "ours_success": hits["ours"].mean(), "vina_success": hits["vina"].mean(),
            "pooled_success": success, "ci_low": low, "ci_high": high,
            "picks_ours": int(taken.sum()), "picks_ours_right": int((taken & hits["ours"]).sum()),
            "gained_vs_vina": test["only_a"], "lost_vs_vina": test["only_b"], "p_value": test["p_value"],
            "median_seconds_pooled": float(pooled["seconds_pooled"].median()),
            "median_seconds_vina": float(pooled["seconds_vina"].median())}


def main(argv: list[str] | None = None) -> None:
    from discodock.atomic import atomic_open

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=Path, required=True, help="our rows: a benchmark or study CSV")
    parser.add_argument("--vina", type=Path, required=True, help="benchmarks/vina_baseline.py CSV with top1_score")
    parser.add_argument("--methods", nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    rows, vina = pd.read_csv(args.rows, dtype={"id": str}), pd.read_csv(args.vina, dtype={"id": str})
    if "top1_score" not in vina:
        raise SystemExit(f"{args.vina}: no top1_score column (rerun benchmarks/vina_baseline.py to a new --out)")
    vina = vina.drop_duplicates("id", keep="last")
    summary = pd.DataFrame([summarize(pool(our_top_poses(rows, m), vina), m) for m in args.methods])
    summary.insert(1, "vina_rows", args.vina.name)
    with atomic_open(args.out) as handle:
        summary.to_csv(handle, index=False, float_format="%.4f", lineterminator="\n")
    print(summary.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
