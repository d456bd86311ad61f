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

PoseBusters V2 (the test set; reported, it decides nothing but what run_settings/blind_default_decision_rule.md
fixed before the run): `--posebusters-v2` reads the benchmark's rows CSV, where the found-pocket rows are the
blind rows named `*-pockets<K>+vina-refine` (runs/v2_p3_shard.sh: `discodock benchmark --set posebusters_v2 --mode
blind --pockets 3 --weights disco-pocket --method disco-f2-pockets3 --vina-rank refine --pb-valid --threads 1`),
the pocket given is V2_POCKET_GIVEN and the blind model V2_BLIND (its only V2 rows are confidence-ranked):

    python benchmarks/blind_pockets_study.py --posebusters-v2 benchmarks/results/posebusters_v2.csv \
        --out-prefix benchmarks/results/blind_pockets_v2
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
V2_POCKET_GIVEN = "disco-f2+vina-refine"  # the shipped pocket model with the pocket given, refined the same way
V2_BLIND = "disco-oldrot"  # the blind model on the whole protein, ranked by its confidence model


def pocket_given_rows(refine_study: Path, model: str = "disco-pocket-boxpocket") -> pd.DataFrame:
    """The refine study's rows of the pocket-given model as benchmark-style rows named REFERENCE."""
    rows = pd.read_csv(refine_study, dtype={"id": str})
    rows = rows[(rows["model"] == model) & (rows["ranking"] == "vina-refine")].drop_duplicates("id", keep="last")
    return rows.assign(method=REFERENCE)[["id", "method", "top1_rmsd", "oracle_rmsd", "seconds"]]


def posebusters_v2_rows(path: Path) -> tuple[pd.DataFrame, str, str]:
    """The V2 rows to compare (found pockets, refined; the pocket given; the blind model), and the labels of the
    last two: (rows, reference, blind)."""
    rows = pd.read_csv(path, dtype={"id": str}).drop_duplicates(["id", "method", "mode"], keep="last")
    blind_rows = rows[rows["mode"] == "blind"]
    found = blind_rows["method"].str.contains("-pockets") & blind_rows["method"].str.endswith("+vina-refine")
    pockets = blind_rows[found]
    reference, blind = f"pocket given ({V2_POCKET_GIVEN})", f"blind model ({V2_BLIND}, confidence-ranked)"
    given = rows[(rows["method"] == V2_POCKET_GIVEN) & (rows["mode"] == "pocket")].assign(method=reference)
    blind_model = blind_rows[blind_rows["method"] == V2_BLIND].assign(method=blind)
    return pd.concat([pockets, given, blind_model], ignore_index=True), reference, blind


def compare(rows: pd.DataFrame, reference: str = REFERENCE, blind: str = BLIND) -> pd.DataFrame:
    """One row per method on the complexes every method has (failed = miss), with McNemar vs `reference`
    (the pocket given) and vs `blind` (the blind model)."""
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
        for other, label in ((reference, "pocket_given"), (blind, "blind")):
            if method not in (other, reference) and other in top1:
                test = mcnemar_exact(top1[method] < SUCCESS_THRESHOLD, top1[other] < SUCCESS_THRESHOLD)
                row |= {f"only_this_vs_{label}": test["only_a"], f"only_{label}": test["only_b"],
                        f"p_vs_{label}": test["p_value"]}
        out.append(row)
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> None:
    from discodock.atomic import atomic_open

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--rows", type=Path, nargs="+", help="benchmark rows CSVs (blind runs, validation complexes)")
    source.add_argument("--posebusters-v2", type=Path, help="the benchmark's PoseBusters V2 rows CSV")
    parser.add_argument("--refine-study", type=Path, default=RESULTS / "refine_study.csv")
    parser.add_argument("--out-prefix", type=Path, default=RESULTS / "blind_pockets_study")
    args = parser.parse_args(argv)

    columns = ["id", "method", "top1_rmsd", "oracle_rmsd", "seconds"]
    if args.posebusters_v2:
        ours, reference, blind = posebusters_v2_rows(args.posebusters_v2)
        table = compare(ours[columns], reference, blind)
    else:
        ours = pd.concat([pd.read_csv(p, dtype={"id": str}) for p in args.rows], ignore_index=True)
        ours = ours[(ours["mode"] == "blind") & ours["method"].str.endswith("+vina-refine")]
        ours = ours.drop_duplicates(["id", "method"], keep="last")
        table = compare(pd.concat([ours[columns], pocket_given_rows(args.refine_study)], ignore_index=True))
    prefix = args.out_prefix
    # the V2 rows are already committed in the benchmark's CSV; the validation runs' rows are kept here
    for name, frame in ([("summary", table)] if args.posebusters_v2 else [("rows", ours), ("summary", table)]):
        with atomic_open(prefix.with_name(f"{prefix.name}_{name}.csv")) as handle:
            frame.to_csv(handle, index=False, float_format=None if name == "rows" else "%.4f", lineterminator="\n")
    print(table.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
