"""Blind docking through found pockets (`--pockets 3`) against the blind model and against the pocket given.

Complexes: the studies' validation split + time-split complexes (never the test set). Rows come from
`discodock benchmark` runs, one per set (the split's ids per set in runs/pockets_val/*_ids.txt):

    for s in train_pool posebusters_v1_only timesplit_subset; do      # --ids runs/pockets_val/<s>_ids.txt
      discodock benchmark --set $s --ids ... --mode blind --pockets 3 \
          --weights benchmarks/seed_bundles/disco_pocket_s0.pt --vina-rank refine --threads 1 \
          --out runs/pockets_val/out
      discodock benchmark --set $s --ids ... --mode blind --weights disco --vina-rank refine \
          --threads 1 --out runs/pockets_val/out
    done
    python benchmarks/blind_pockets_study.py --rows runs/pockets_val/out/{train_pool,posebusters_v1_only,timesplit_subset}.csv
    python benchmarks/blind_pockets_study.py --rows benchmarks/results/blind_pockets_study_rows.csv  # from the committed rows

The pocket-given reference is `refine_study.csv`'s `disco-pocket-boxpocket` (the same model, Vina in the
pocket's box, as each found pocket's box here). The committed rows were made when that model was shipped as
`disco-pocket` (now `benchmarks/seed_bundles/disco_pocket_s0.pt`; `--pockets 3` docks with the retrained
`disco-pocket` since 28 Nov 2026). Per method: top-1 and best-of-N success at 2 Å on the complexes every
method has, and the exact McNemar tests of each against the pocket-given rows and against the blind model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from discodock.evaluation.metrics import SUCCESS_THRESHOLD, mcnemar_exact, success_rate, success_with_ci  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
REFERENCE = "pocket given (disco-pocket+vina-refine, pocket box)"
BLIND = "disco+vina-refine"  # the blind model on the whole protein


def pocket_given_rows(refine_study: Path, model: str = "disco-pocket-boxpocket") -> pd.DataFrame:
    """The refine study's rows of the pocket-given model as benchmark-style rows named REFERENCE."""
    rows = pd.read_csv(refine_study, dtype={"id": str})
    rows = rows[(rows["model"] == model) & (rows["ranking"] == "vina-refine")].drop_duplicates("id", keep="last")
    return rows.assign(method=REFERENCE)[["id", "method", "top1_rmsd", "oracle_rmsd", "seconds"]]


def compare(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per method on the complexes every method has (failed = miss), with McNemar vs REFERENCE."""
    ids = set.intersection(*(set(g["id"]) for _, g in rows.groupby("method")))
    rows = rows[rows["id"].isin(ids)]
    top1 = rows.pivot(index="id", columns="method", values="top1_rmsd").fillna(np.inf)
    oracle = rows.pivot(index="id", columns="method", values="oracle_rmsd").fillna(np.inf)
    seconds = rows.pivot(index="id", columns="method", values="seconds")
    out = []
    for method in top1.columns:
        success, low, high = success_with_ci(top1[method])
        row = {"method": method, "n": len(top1), "top1_success": success, "ci_low": low, "ci_high": high,
               "oracle_success": success_rate(oracle[method]), "median_seconds": float(seconds[method].median())}
        for other, label in ((REFERENCE, "pocket_given"), (BLIND, "blind")):
            if method not in (other, REFERENCE) and other in top1:
                test = mcnemar_exact(top1[method] < SUCCESS_THRESHOLD, top1[other] < SUCCESS_THRESHOLD)
                row |= {f"only_this_vs_{label}": test["only_a"], f"only_{label}": test["only_b"],
                        f"p_vs_{label}": test["p_value"]}
        out.append(row)
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> None:
    from discodock.atomic import atomic_open

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=Path, nargs="+", required=True, help="benchmark rows CSVs (blind runs)")
    parser.add_argument("--refine-study", type=Path, default=RESULTS / "refine_study.csv")
    parser.add_argument("--out-prefix", type=Path, default=RESULTS / "blind_pockets_study")
    args = parser.parse_args(argv)

    ours = pd.concat([pd.read_csv(p, dtype={"id": str}) for p in args.rows], ignore_index=True)
    ours = ours[(ours["mode"] == "blind") & ours["method"].str.endswith("+vina-refine")]
    ours = ours.drop_duplicates(["id", "method"], keep="last")
    table = compare(pd.concat([ours[["id", "method", "top1_rmsd", "oracle_rmsd", "seconds"]],
                               pocket_given_rows(args.refine_study)], ignore_index=True))
    prefix = args.out_prefix
    for name, frame in (("rows", ours), ("summary", table)):
        with atomic_open(prefix.with_name(f"{prefix.name}_{name}.csv")) as handle:
            frame.to_csv(handle, index=False, float_format=None if name == "rows" else "%.4f", lineterminator="\n")
    print(table.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
