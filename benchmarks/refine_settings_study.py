"""How much Vina Monte-Carlo refinement should `--vina-rank refine` run? Decided off the test set.

On PoseBusters V2 most complexes that Vina docks and refined DisCo does not have no pose within 2 Å
among the 40 refined ones (a search failure, not a ranking one), so: do more chains and longer
chains find them? Complexes: the validation split of a training config plus the 8 PDBBind time-split
complexes (as refine_study.py), never PoseBusters V2. For each complex and model: dock once (pocket
mode, 40 x 20, seed 0), minimise every pose once in one set of Vina grid maps (the poses' box), then
refine those same minimised poses with each (chains, steps) of SETTINGS (other RefineSettings fields
at their defaults, seed 0) and rank by Vina score. One row per setting, with its count of Vina
minimisations (the cost that grows with the setting) and its seconds (minimising + refining; the
shared sampling left out). Resumable: rows are appended per complex and model.

    OMP_NUM_THREADS=1 python benchmarks/refine_settings_study.py --models disco-pocket --shard 1/2   # and 2/2 beside it
    python benchmarks/refine_settings_study.py --summarize

The committed rows `disco-pocket` were made with the pair then shipped under that name, now
`benchmarks/seed_bundles/disco_pocket_s0.pt`; study CSVs record each label's weights since 28 Nov 2026 and
refuse a label made with other weights (`ranking_study.record_label_settings`).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from ranking_study import run_study, study_parser  # noqa: E402  (same complexes, same loop)

SETTINGS = [(4, 10), (4, 40), (16, 10)]  # (chains, steps): the shipped default; longer or more chains, same cost
COLUMNS = ["id", "model", "chains", "steps", "top1_rmsd", "oracle_rmsd", "vina_score", "minimisations", "seconds"]


def study_one(models, paths, samples: int, steps: int) -> pd.DataFrame:
    from discodock.evaluation.benchmark import prepare_from_crystal
    from discodock.evaluation.rmsd import symmetry_rmsd
    from discodock.pipeline import dock, vina_scorer
    from discodock.refine import RefineSettings, refine_poses

    crystal, prepared = prepare_from_crystal(models, paths, "pocket", seed=0)
    result = dock(models, prepared, samples=samples, steps=steps, seed=0)
    began = time.perf_counter()
    scorer, posed = vina_scorer(result, paths.protein)
    energies, minimised = scorer.score_all(posed, local_optimize=True)
    poses = np.stack([pose.GetConformer().GetPositions() for pose in minimised])
    minimise_seconds = time.perf_counter() - began
    rows = []
    for chains, chain_steps in SETTINGS:
        calls = [0]

        def minimise(pose):
            calls[0] += 1
            return scorer(pose, local_optimize=True)

        began = time.perf_counter()
        refined, refined_poses = refine_poses(minimise, prepared.ligand, poses, energies,
                                              RefineSettings(chains=chains, steps=chain_steps, seed=0))
        order = np.argsort(refined, kind="stable")
        rmsd = symmetry_rmsd(crystal, list(refined_poses[order]))
        rows.append({"id": paths.id, "chains": chains, "steps": chain_steps, "top1_rmsd": rmsd[0],
                     "oracle_rmsd": rmsd.min(), "vina_score": refined[order[0]],
                     "minimisations": len(posed) + calls[0],
                     "seconds": round(minimise_seconds + time.perf_counter() - began, 2)})
    return pd.DataFrame(rows)


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per model and setting, on the complexes every setting has: top-1 and oracle success at 2 Å, the
    median Vina score, minimisations and seconds, and the McNemar test against the default setting."""
    from discodock.evaluation.metrics import SUCCESS_THRESHOLD, mcnemar_exact, success_rate, success_with_ci

    rows = rows.assign(setting=[f"{c}x{s}" for c, s in zip(rows["chains"], rows["steps"])])
    default = "{}x{}".format(*SETTINGS[0])
    out = []
    for model, group in rows.groupby("model"):
        table = {column: group.pivot(index="id", columns="setting", values=column).dropna()
                 for column in ["top1_rmsd", "oracle_rmsd", "vina_score", "minimisations", "seconds"]}
        hits = table["top1_rmsd"] < SUCCESS_THRESHOLD
        for setting in hits.columns:
            success, low, high = success_with_ci(table["top1_rmsd"][setting])
            test = mcnemar_exact(hits[setting], hits[default])
            out.append({"model": model, "setting": setting, "n": len(hits), "top1_success": success,
                        "ci_low": low, "ci_high": high, "oracle_success": success_rate(table["oracle_rmsd"][setting]),
                        "median_vina_score": table["vina_score"][setting].median(),
                        "mean_minimisations": table["minimisations"][setting].mean(),
                        "median_seconds": table["seconds"][setting].median(),
                        "gained_vs_default": test["only_a"], "lost_vs_default": test["only_b"],
                        "p_value": test["p_value"]})
    return pd.DataFrame(out).sort_values(["model", "mean_minimisations"])


def main() -> None:
    from discodock.atomic import atomic_write_text

    args = study_parser(__doc__.splitlines()[0], "refine_settings_study.csv").parse_args()
    if not args.summarize:
        run_study(args, study_one, COLUMNS, lambda table: "top-1 " + ", ".join(
            f"{c}x{s} {v:.2f} Å" for c, s, v in zip(table["chains"], table["steps"], table["top1_rmsd"])))

    summary = summarize(pd.read_csv(args.out, dtype={"id": str}))
    atomic_write_text(args.out.with_name(args.out.stem + "_summary.csv"), summary.to_csv(index=False))
    print(summary.to_string(index=False))
    print(json.dumps({"config": str(args.config.relative_to(REPO)), "settings": SETTINGS}))


if __name__ == "__main__":
    main()
