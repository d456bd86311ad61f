"""Does Monte-Carlo refinement in Vina's energy (`--vina-rank refine`) beat plain Vina minimisation?
Decided off the test set.

Complexes: the validation split of a training config plus the 8 PDBBind time-split complexes (as
ranking_study.py), never PoseBusters V2. For each complex and model: dock (pocket mode, 40 x 20)
and write the benchmark's rows for two rankings of the same samples: 'vina-opt' (every pose
minimised, ranked by Vina score) and 'vina-refine' (then the refinement chains of
`discodock.refine`, default settings). Resumable: rows are appended per complex and model.

    OMP_NUM_THREADS=1 python benchmarks/refine_study.py --models disco-pocket   # rows `disco-pocket`: see below
    OMP_NUM_THREADS=1 python benchmarks/refine_study.py --models twin-pocket --steps 0 --label prior  # no denoising
    OMP_NUM_THREADS=1 python benchmarks/refine_study.py --models benchmarks/seed_bundles/disco_pocket_s1.pt \
        --label disco-pocket-s1    # and twin_pocket_s1 / twin-pocket-s1, seed 2 likewise (DisCo vs twin per seed)
    python benchmarks/refine_study.py --summarize

The committed rows of refine_study.csv named `disco-pocket`, `twin-pocket` (and their `-rotfix`, `-boxpocket`
variants, and `prior`) were made with the pocket pair shipped under those names until 28 Nov 2026, now
benchmarks/seed_bundles/*_pocket_s0.pt. Study CSVs now record each row label's weights, samples and steps beside them
(`<out>_settings.json`) and refuse a label whose rows came from other ones, or from before the record.

The pocket bundles retrained on single-bond torsions against the seed-0 bundles they replaced, all with the
code of 28 Nov 2026 (rows `*-pocket-f2` were made from runs/*_pocket_f2/bundle.pt, since shipped as
`disco-pocket` / `twin-pocket`; the seed-0 rows from the bundles then shipped, now in benchmarks/seed_bundles/):

    F2=benchmarks/results/refine_study_f2.csv
    OMP_NUM_THREADS=1 python benchmarks/refine_study.py --models disco-pocket --label disco-pocket-f2 --out $F2
    OMP_NUM_THREADS=1 python benchmarks/refine_study.py --models benchmarks/seed_bundles/disco_pocket_s0.pt \
        --label disco-pocket-s0 --out $F2    # twin likewise
    python benchmarks/refine_study.py --summarize --out $F2
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from functools import partial
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from ranking_study import run_study, study_parser  # noqa: E402  (same complexes, same loop)

RANKINGS = ["vina-opt", "vina-refine"]
COLUMNS = ["id", "model", "ranking", "top1_rmsd", "oracle_rmsd", "vina_score", "seconds"]


def study_one(models, paths, samples: int, steps: int, vina_box: str = "poses") -> pd.DataFrame:
    from discodock.evaluation.benchmark import dock_and_score

    rows = dock_and_score(models, paths, mode="pocket", samples=samples, steps=steps, seed=0, device="cpu",
                          check_validity=False, vina_rankings=RANKINGS, vina_box=vina_box)
    return pd.DataFrame([{"id": paths.id, "ranking": r, "top1_rmsd": rows[r]["top1_rmsd"],
                          "oracle_rmsd": rows[r]["oracle_rmsd"], "vina_score": rows[r]["confidence"],
                          "seconds": rows[r]["seconds"]} for r in RANKINGS])


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per model and ranking: top-1 and oracle success at 2 Å, and the McNemar test of refine vs opt."""
    from discodock.evaluation.metrics import SUCCESS_THRESHOLD, mcnemar_exact, success_rate, success_with_ci

    out = []
    for model, group in rows.groupby("model"):
        top1 = group.pivot(index="id", columns="ranking", values="top1_rmsd").dropna()
        oracle = group.pivot(index="id", columns="ranking", values="oracle_rmsd").loc[top1.index]
        seconds = group.pivot(index="id", columns="ranking", values="seconds").loc[top1.index]
        test = mcnemar_exact(top1["vina-refine"] < SUCCESS_THRESHOLD, top1["vina-opt"] < SUCCESS_THRESHOLD)
        for ranking in RANKINGS:
            success, low, high = success_with_ci(top1[ranking])
            out.append({"model": model, "ranking": ranking, "n": len(top1), "top1_success": success,
                        "ci_low": low, "ci_high": high, "oracle_success": success_rate(oracle[ranking]),
                        "median_seconds": seconds[ranking].median(),
                        **({"only_refine": test["only_a"], "only_opt": test["only_b"], "p_value": test["p_value"]}
                           if ranking == "vina-refine" else {})})
    return pd.DataFrame(out)


# (a, b) pairs of row labels compared per complex: DisCo against its twin for each training seed
# (benchmarks/seed_bundles/) and for the pair retrained on single-bond torsions (`*-f2`, shipped since 28 Nov
# 2026), and each retrained model against the seed-0 bundle it replaced
PAIRS = {
    "seed 0": ("disco-pocket", "twin-pocket"),  # refine_study.csv: the bundles shipped then (now seed_bundles/*_s0.pt)
    "seed 1": ("disco-pocket-s1", "twin-pocket-s1"),
    "seed 2": ("disco-pocket-s2", "twin-pocket-s2"),
    "seed 0, rerun": ("disco-pocket-s0", "twin-pocket-s0"),
    "retrained": ("disco-pocket-f2", "twin-pocket-f2"),
    "DisCo: retrained vs seed 0": ("disco-pocket-f2", "disco-pocket-s0"),
    "twin: retrained vs seed 0": ("twin-pocket-f2", "twin-pocket-s0"),
}


def compare_pairs(rows: pd.DataFrame, ranking: str = "vina-refine") -> pd.DataFrame:
    """Per pair of PAIRS whose two models both have rows: top-1 success under `ranking`, paired per complex
    (exact McNemar), on the complexes both have."""
    from discodock.evaluation.metrics import SUCCESS_THRESHOLD, mcnemar_exact

    top1 = rows[rows["ranking"] == ranking].pivot(index="id", columns="model", values="top1_rmsd")
    out = []
    for pair, (a, b) in PAIRS.items():
        if a not in top1 or b not in top1:
            continue
        hits = top1[[a, b]].dropna() < SUCCESS_THRESHOLD
        test = mcnemar_exact(hits[a], hits[b])
        out.append({"pair": pair, "a": a, "b": b, "n": test["n"], "a_success": hits[a].mean(),
                    "b_success": hits[b].mean(), "only_a": test["only_a"], "only_b": test["only_b"],
                    "p_value": test["p_value"]})
    return pd.DataFrame(out)


def main() -> None:
    from discodock.atomic import atomic_write_text
    from discodock.refine import RefineSettings

    parser = study_parser(__doc__.splitlines()[0], "refine_study.csv")
    parser.add_argument("--vina-box", choices=["poses", "pocket"], default="poses", help="as for discodock benchmark")
    args = parser.parse_args()
    if not args.summarize:
        run_study(args, partial(study_one, vina_box=args.vina_box), COLUMNS, lambda table: "top-1 " + ", ".join(
            f"{r} {v:.2f} Å" for r, v in zip(table["ranking"], table["top1_rmsd"])), {"vina_box": args.vina_box})

    rows = pd.read_csv(args.out, dtype={"id": str})
    summary = summarize(rows)
    atomic_write_text(args.out.with_name(args.out.stem + "_summary.csv"), summary.to_csv(index=False))
    print(summary.to_string(index=False))
    pairs = compare_pairs(rows)
    atomic_write_text(args.out.with_name(args.out.stem + "_pairs.csv"), pairs.to_csv(index=False))
    print(pairs.to_string(index=False))
    print(json.dumps({"config": str(args.config.relative_to(REPO)), "refine": asdict(RefineSettings())}))


if __name__ == "__main__":
    main()
