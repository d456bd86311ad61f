"""DisCo vs its no-latent twin over several training seeds: is the gap larger than seed noise?

Seed 0 is the pocket pair shipped until 28 Nov 2026 (`benchmarks/seed_bundles/*_pocket_s0.pt`). Seeds 1
and 2 retrain both score models (and DisCo's prior) with the same config, data, split and step budget,
only `seed` changed, then sample PoseBusters V2 plainly (pocket mode, 40 x 20). Without a confidence stage
their sample order is arbitrary, so the plain study compares what the score models sample, not a ranking:
best of 40 < 2 Å ("oracle") and the best-of-40 RMSD. `--ranking vina-refine` compares the top-1 pose after
Vina's minimisation and refinement (rows `<method>+vina-refine`, ranked by Vina score, so no confidence
model is needed).

Per seed: success with its Wilson interval, the exact McNemar test (DisCo vs twin of that seed) and
the Wilcoxon signed-rank test of the best-of-40 RMSD. Pooled over seeds, with complexes as the units:
each complex's success averaged over seeds per model, the mean paired difference with a bootstrap
interval over complexes, and the Wilcoxon signed-rank test of those differences.

    # train and sample (~1 h DisCo, ~0.5 h twin per seed on 1 thread; the trained bundles are committed
    # in benchmarks/seed_bundles/ with their model card, so the benchmark step can start from them)
    OMP_NUM_THREADS=1 python benchmarks/train_docking.py --config configs/train_disco_pocket.yaml \\
        --accelerator cpu --threads 1 --stages score prior --set seed=1 --set name=disco_pocket_s1
    discodock benchmark --set posebusters_v2 --mode pocket --weights runs/disco_pocket_s1/bundle.pt \\
        --method disco_s1 --threads 1 --out runs/seeds/bench_disco_pocket_s1
    # analyse (seed 0 = the rows `disco` and `twin` of the committed benchmark)
    python benchmarks/seed_study.py --rows benchmarks/results/posebusters_v2.csv runs/seeds/bench_*/posebusters_v2.csv
    python benchmarks/seed_study.py --rows benchmarks/results/seed_study_rows.csv   # again, from the committed rows
    # the committed plain rows are now those of the fixed code: seed 0's `disco`/`twin` rows of the benchmark and
    # the plain rows `disco-s1` ... of the seeds' refine runs (below), appended with
    #   append_rows.py --source benchmarks/results/posebusters_v2.csv --only disco twin --target <rows> --expect 308
    #       --retire disco=disco-oldrot twin=twin-oldrot disco_s1=disco_s1-oldrot ...   (the earlier rows, kept)
    #   append_rows.py --source runs/v2_seed1f_disco/posebusters_v2.csv --only disco-s1 --rename disco-s1=disco_s1 ...
    # top-1 after Vina refinement: the seeds' `--vina-rank refine` benchmark runs (method disco-s1 etc.), appended
    # to the committed rows as disco_s1+vina-refine etc. (command in benchmarks/append_rows.py's docstring)
    python benchmarks/seed_study.py --ranking vina-refine --rows benchmarks/results/posebusters_v2.csv \
        --out-prefix benchmarks/results/seed_study_refine
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from discodock.evaluation.metrics import SUCCESS_THRESHOLD as THRESHOLD  # noqa: E402

# ranking -> (method suffix, RMSD column compared, its label in the tables)
RANKINGS = {"plain": ("", "oracle_rmsd", "oracle"), "vina-refine": ("+vina-refine", "top1_rmsd", "top1")}


def method_pattern(ranking: str = "plain") -> re.Pattern:
    """`disco` / `twin` are seed 0 (`benchmarks/seed_bundles/*_pocket_s0.pt`); `disco_s1`, `twin_s2`, ... the
    retrained seeds; each followed by the ranking's suffix."""
    suffix = re.escape(RANKINGS[ranking][0])
    return re.compile(rf"^(?P<model>disco|twin)(?:_s(?P<seed>\d+))?{suffix}$")


def load_seed_rows(paths: list[Path], mode: str = "pocket", ranking: str = "plain") -> pd.DataFrame:
    """The benchmark rows of DisCo / twin runs under `ranking`, with `model` and `seed` columns; last row wins."""
    frames = [pd.read_csv(p, dtype={"id": str}) for p in paths]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[rows["mode"] == mode]
    match = rows["method"].str.extract(method_pattern(ranking))
    rows = rows[match["model"].notna()].copy()
    rows["model"] = match.loc[rows.index, "model"]
    rows["seed"] = match.loc[rows.index, "seed"].fillna("0").astype(int)
    return rows.drop_duplicates(["id", "method", "mode"], keep="last").reset_index(drop=True)


def rmsd_table(rows: pd.DataFrame, column: str = "oracle_rmsd") -> pd.DataFrame:
    """`column` (best-of-N or top-1 RMSD), one row per complex, one column per (model, seed), on the
    complexes every run has. A failed complex (NaN) is a miss with an infinite RMSD."""
    wide = rows.pivot(index="id", columns=["model", "seed"], values=column)
    complete = rows.groupby("id")["method"].nunique() == rows["method"].nunique()
    return wide.loc[complete[complete].index].fillna(np.inf).sort_index(axis=1)


def per_seed(wide: pd.DataFrame, label: str = "oracle") -> pd.DataFrame:
    """Success, Wilson interval and median RMSD per (model, seed); DisCo vs twin tests per seed. `label`
    names the RMSD in the columns ('oracle': best of N, 'top1')."""
    from discodock.evaluation.metrics import mcnemar_exact, success_with_ci, wilcoxon_paired

    out = []
    for (model, seed), rmsd in wide.items():
        success, low, high = success_with_ci(rmsd)
        row = {"model": model, "seed": seed, "n": len(rmsd), f"{label}_success": success,
               "ci_low": low, "ci_high": high, f"median_{label}_rmsd": float(np.median(rmsd))}
        if model == "disco" and ("twin", seed) in wide:
            twin = wide[("twin", seed)]
            test = mcnemar_exact(rmsd < THRESHOLD, twin < THRESHOLD)
            row |= {"only_disco": test["only_a"], "only_twin": test["only_b"], "mcnemar_p": test["p_value"],
                    "wilcoxon_p": wilcoxon_paired(rmsd, twin)["wilcoxon_p"]}
        out.append(row)
    return pd.DataFrame(out)


def pooled(wide: pd.DataFrame, label: str = "oracle") -> dict:
    """DisCo minus twin over the seeds both have: per complex, success averaged over seeds (and the
    median RMSD over seeds); mean difference, bootstrap interval, Wilcoxon signed-rank p."""
    from discodock.evaluation.metrics import paired_bootstrap_ci, wilcoxon_paired

    seeds = sorted(set(wide["disco"].columns) & set(wide["twin"].columns))
    disco, twin = wide["disco"][seeds], wide["twin"][seeds]
    disco_hits, twin_hits = disco < THRESHOLD, twin < THRESHOLD  # complexes x seeds
    diff = disco_hits.mean(axis=1) - twin_hits.mean(axis=1)
    low, high = paired_bootstrap_ci(diff.to_numpy())
    success_p = wilcoxon_paired(disco_hits.mean(axis=1), twin_hits.mean(axis=1))["wilcoxon_p"]
    rmsd = wilcoxon_paired(disco.median(axis=1), twin.median(axis=1))
    by_seed = disco_hits.mean() - twin_hits.mean()
    return {"seeds": " ".join(map(str, seeds)), "n": len(diff),
            "disco_success": float(disco_hits.to_numpy().mean()), "twin_success": float(twin_hits.to_numpy().mean()),
            "mean_difference": float(diff.mean()), "ci_low": low, "ci_high": high, "wilcoxon_p": success_p,
            "difference_by_seed": " ".join(f"{d:+.3f}" for d in by_seed),
            "complexes_disco_better": int((diff > 0).sum()), "complexes_twin_better": int((diff < 0).sum()),
            f"median_{label}_rmsd_disco": rmsd["median_a"], f"median_{label}_rmsd_twin": rmsd["median_b"],
            "rmsd_wilcoxon_p": rmsd["wilcoxon_p"]}


def main(argv: list[str] | None = None) -> None:
    from discodock.atomic import atomic_open

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=Path, nargs="+", required=True, help="benchmark rows CSVs")
    parser.add_argument("--ranking", choices=sorted(RANKINGS), default="plain",
                        help="plain: best of N of the samples; vina-refine: top-1 after Vina refinement")
    parser.add_argument("--out-prefix", type=Path, default=REPO / "benchmarks" / "results" / "seed_study")
    args = parser.parse_args(argv)

    suffix, column, label = RANKINGS[args.ranking]
    rows = load_seed_rows(args.rows, ranking=args.ranking)
    if rows.empty:
        raise SystemExit(f"no disco{suffix}/twin{suffix} pocket rows in {', '.join(map(str, args.rows))}")
    wide = rmsd_table(rows, column)
    seeds = per_seed(wide, label)
    both = {"disco", "twin"} <= set(wide.columns.get_level_values(0))
    summary = pd.DataFrame([pooled(wide, label)]) if both else None
    prefix = args.out_prefix
    tables = {"rows": rows.drop(columns=["model", "seed"]), "by_seed": seeds, "pooled": summary}
    for name, table in tables.items():
        if table is not None:
            with atomic_open(prefix.with_name(f"{prefix.name}_{name}.csv")) as handle:
                # the rows at full precision, so that a rerun from them gives the same tables
                table.to_csv(handle, index=False, float_format=None if name == "rows" else "%.4f",
                             lineterminator="\n")
    print(f"{wide.shape[0]} complexes that every run has\n")
    print(seeds.to_string(index=False, float_format="%.3f"))
    if summary is not None:
        print("\npooled over seeds:\n" + summary.T.to_string(header=False))


if __name__ == "__main__":
    main()
