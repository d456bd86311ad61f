"""Which rule should pick the top pose among Vina-minimised samples? Chosen off the test set.

Complexes: the validation split of a training config (whole protein clusters never trained on)
plus the 8 PDBBind time-split complexes, never PoseBusters V2. For each complex and model: dock
(pocket mode, 40 x 20), minimise every pose locally with Vina, and write one row per pose:
its confidence before and after minimisation, Vina score after, RMSD before and after, and how many
of the other minimised poses lie within 2 Å of it (symmetry-corrected). `--summarize` then scores
ranking rules by top-1 success at 2 Å. Resumable: rows are appended per complex and model.

    OMP_NUM_THREADS=1 python benchmarks/ranking_study.py --out benchmarks/results/ranking_study.csv
    python benchmarks/ranking_study.py --out benchmarks/results/ranking_study.csv --summarize
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ["id", "model", "pose", "confidence", "rmsd", "vina_opt", "rmsd_opt", "confidence_opt", "neighbors_opt"]


def study_complexes(config: Path, data_root: Path):
    """(id, ComplexPaths) of the config's validation split and the time-split subset."""
    from discodock.evaluation.datasets import load_set
    from discodock.training.config import load_train_config
    from discodock.training.datamodule import load_split
    from discodock.training.dataset import training_complexes

    cfg = load_train_config(config)
    _, val = load_split(cfg)
    val_ids = {c.graph.name for c in val}
    by_id = {c.id: c for c in training_complexes(data_root)}
    return [by_id[i] for i in sorted(val_ids)] + load_set("timesplit_subset", data_root)


def study_parser(description: str, out_name: str) -> argparse.ArgumentParser:
    """Options shared by the studies on the validation split (this one and sampling_study.py)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "train_disco_pocket.yaml",
                        help="training config whose validation split is studied")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--models", nargs="+", default=["disco-pocket", "twin-pocket"])
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--label", default=None, help="the rows' model name (one --models only; default: its name), "
                        "e.g. 'prior' for --steps 0")
    parser.add_argument("--shard", default="1/1", help="K/N: only every N-th complex from the K-th (1-based), "
                        "for N processes side by side on one --out")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / out_name)
    parser.add_argument("--summarize", action="store_true", help="summarise the CSV, dock nothing")
    return parser


def finished(out: Path, keys: list[str]) -> set[tuple]:
    """The `keys` tuples already in the study CSV (empty when there is none): what a rerun skips."""
    if not out.is_file():
        return set()
    previous = pd.read_csv(out, dtype={"id": str})
    return set(zip(*(previous[k] for k in keys)))


def settings_record_path(out: Path) -> Path:
    """`<out stem>_settings.json` beside a study CSV: what each row label was docked with."""
    return out.with_name(out.stem + "_settings.json")


def record_label_settings(out: Path, label: str, weights: str, settings: dict, labels_done: set[str]) -> None:
    """Study rows are keyed by label, not by what made them, so a resumed run must dock as its label's rows were
    (a shipped name such as `disco-pocket` can change: on 28 Nov 2026 it did). Each label's weights and
    `settings` (samples, steps, a study's own options) are recorded beside the CSV (`benchmark.record_settings`,
    locked for shards started together); a label recorded with other ones, or with rows in the CSV
    (`labels_done`) from before labels were recorded, is refused (SystemExit naming the file): name new rows
    with `--label` or write to another `--out`."""
    from discodock.errors import InputError
    from discodock.evaluation.benchmark import record_settings
    from discodock.weights import weights_record

    record_path = settings_record_path(out)
    recorded = json.loads(record_path.read_text()) if record_path.is_file() else {}
    if label not in recorded and label in labels_done:
        raise SystemExit(f"{out}: has rows labelled {label!r} from before {record_path.name} recorded their "
                         "settings, so which weights made them is not known here; give --label or --out")
    try:
        record_settings(record_path, [label], {**weights_record(weights), **settings},
                        keys=["networks_sha256", *settings], label_option="--label")
    except InputError as error:
        raise SystemExit(str(error)) from None


def append_rows(out: Path, table: pd.DataFrame) -> None:
    """Append rows to the study CSV in one write (header only for a new file), so a rerun resumes."""
    text = table.to_csv(header=not out.is_file(), index=False)
    with out.open("a") as handle:
        handle.write(text)


def run_study(args: argparse.Namespace, study_one, columns: list[str], describe,
              settings: dict | None = None) -> None:
    """Dock every study complex with every model of `args.models`, skipping (id, model) pairs already in
    `args.out`: `study_one(models, paths, samples, steps)` gives a complex's rows, appended in one write;
    `describe(table)` ends its progress line. A complex that fails is reported and has no rows. A label's rows
    resume only with its recorded weights, samples, steps and `settings` (the study's own options)."""
    from discodock.errors import InputError
    from discodock.evaluation.datasets import default_data_root
    from discodock.weights import load_models

    if args.label is not None and len(args.models) != 1:
        raise SystemExit("--label names the rows of one model: give one --models")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    shard, shards = (int(part) for part in args.shard.split("/"))
    complexes = study_complexes(args.config, args.data or default_data_root())[: args.limit][shard - 1 :: shards]
    done = finished(args.out, ["id", "model"])
    for weights in args.models:
        models = load_models(weights)
        name = args.label or weights
        label_settings = {"samples": args.samples, "steps": args.steps, **(settings or {})}
        record_label_settings(args.out, name, weights, label_settings, {label for _, label in done})
        for paths in complexes:
            if (paths.id, name) in done:
                continue
            try:
                table = study_one(models, paths, args.samples, args.steps).assign(model=name)[columns]
            except InputError as error:  # reported and left out of the study (it has no rows)
                print(f"{name} {paths.id}: failed: {error}", flush=True)
                continue
            append_rows(args.out, table)  # one write per complex and model
            print(f"{name} {paths.id}: {describe(table)}", flush=True)


def neighbor_counts(ligand, poses: np.ndarray, cutoff: float = 2.0) -> np.ndarray:
    """For each pose, how many other poses lie within `cutoff` Å (symmetry-corrected RMSD)."""
    from discodock.evaluation.rmsd import pairwise_symmetry_rmsd

    return (pairwise_symmetry_rmsd(ligand, poses) < cutoff).sum(axis=1) - 1


def study_one(models, paths, samples: int, steps: int) -> pd.DataFrame:
    from discodock.baselines.vina import score_poses
    from discodock.evaluation.benchmark import prepare_from_crystal
    from discodock.evaluation.rmsd import symmetry_rmsd
    from discodock.output import pose_molecule
    from discodock.pipeline import dock
    from discodock.sampling import rank_poses

    crystal, prepared = prepare_from_crystal(models, paths, "pocket", seed=0)
    result = dock(models, prepared, samples=samples, steps=steps, seed=0)
    posed = [pose_molecule(prepared.ligand, pose) for pose in result.poses]
    vina, minimised = score_poses(paths.protein, posed, local_optimize=True)
    opt = np.stack([m.GetConformer().GetPositions() for m in minimised])
    graph_frame = torch.as_tensor(opt - prepared.graph.center.numpy(), dtype=torch.float32)
    confidence_opt = rank_poses(models.confidence, prepared.graph, graph_frame).numpy()
    return pd.DataFrame({
        "id": paths.id, "pose": np.arange(len(opt)), "confidence": result.confidence,
        "rmsd": symmetry_rmsd(crystal, list(result.poses)), "vina_opt": vina,
        "rmsd_opt": symmetry_rmsd(crystal, list(opt)), "confidence_opt": confidence_opt,
        "neighbors_opt": neighbor_counts(prepared.ligand, opt),
    })


def rules(group: pd.DataFrame) -> dict[str, float]:
    """The top pose's RMSD under each ranking rule (one complex, one model)."""
    vina_rank = group["vina_opt"].rank(method="first")
    consensus_rank = (-group["neighbors_opt"]).rank(method="min")
    confidence_opt_rank = (-group["confidence_opt"]).rank(method="first")
    picks = {
        "confidence (sampled poses)": group.loc[group["confidence"].idxmax(), "rmsd"],
        "vina score (minimised)": group.loc[group["vina_opt"].idxmin(), "rmsd_opt"],
        "confidence (minimised)": group.loc[group["confidence_opt"].idxmax(), "rmsd_opt"],
        # the biggest cluster of minimised poses, its best Vina score first
        "consensus, then vina": group.sort_values(["neighbors_opt", "vina_opt"], ascending=[False, True])
        .iloc[0]["rmsd_opt"],
        "vina rank + consensus rank": group.loc[(vina_rank + consensus_rank).idxmin(), "rmsd_opt"],
        "vina rank + confidence rank": group.loc[(vina_rank + confidence_opt_rank).idxmin(), "rmsd_opt"],
        "oracle (minimised)": group["rmsd_opt"].min(),
        "oracle (sampled)": group["rmsd"].min(),
    }
    return {rule: float(rmsd) for rule, rmsd in picks.items()}


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    from discodock.evaluation.metrics import success_with_ci

    tops = pd.DataFrame([{"id": i, "model": m, **rules(g)} for (i, m), g in rows.groupby(["id", "model"])])
    out = []
    for model, group in tops.groupby("model"):
        for rule in [c for c in tops.columns if c not in ("id", "model")]:
            success, low, high = success_with_ci(group[rule])
            out.append({"model": model, "rule": rule, "n": len(group), "top1_success": success,
                        "ci_low": low, "ci_high": high, "median_rmsd": float(group[rule].median())})
    return pd.DataFrame(out)


def main() -> None:
    from discodock.atomic import atomic_write_text

    args = study_parser(__doc__.splitlines()[0], "ranking_study.csv").parse_args()

    if not args.summarize:
        run_study(args, study_one, COLUMNS, lambda table: f"best minimised {table['rmsd_opt'].min():.2f} Å")

    summary = summarize(pd.read_csv(args.out, dtype={"id": str}))
    atomic_write_text(args.out.with_name(args.out.stem + "_summary.csv"), summary.to_csv(index=False))
    print(summary.to_string(index=False))
    print(json.dumps({"complexes": int(summary["n"].max()), "config": str(args.config.relative_to(REPO))}))


if __name__ == "__main__":
    main()
