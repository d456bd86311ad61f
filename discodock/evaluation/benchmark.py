"""`discodock benchmark`: dock every complex of a set, score the ranked poses, summarise.

Per complex and method one row: id, method, mode, top1_rmsd, top5_rmsd, oracle_rmsd,
confidence (of the top pose), pb_valid (top pose, optional), seconds, status. Rows are appended
and flushed one at a time, so a rerun skips what is done. The ligand always starts from a fresh
RDKit conformer; the crystal pose is used only for the RMSD and, in pocket mode, for the pocket
centre (its centroid: "pocket given", as Vina is run).
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from discodock.errors import InputError, one_line
from discodock.evaluation.metrics import SUCCESS_THRESHOLD, success_rate, success_with_ci

ROW_COLUMNS = ["id", "method", "mode", "top1_rmsd", "top5_rmsd", "oracle_rmsd", "confidence", "pb_valid", "seconds",
               "status"]
# paired tests: DisCo vs its twin under the same ranking, what Vina adds, and what changed between versions.
# Rows named '<model>-oldrot…' were sampled before the rotation-rate fix (commit c96e02b), '<model>-v1…'
# by the bundles the current ones replaced.
PAIRED_METHODS = [("disco", "twin"), ("disco+vina", "twin+vina"), ("disco+vina-refine", "twin+vina-refine"),
                  # the pocket pair retrained on single-bond torsions (shipped since 28 Nov 2026): DisCo vs twin,
                  # each against the seed-0 model it replaced, and against the random-pose control
                  ("disco-f2", "twin-f2"), ("disco-f2+vina-refine", "twin-f2+vina-refine"),
                  ("disco-f2", "disco"), ("twin-f2", "twin"),
                  ("disco-f2+vina-refine", "disco+vina-refine"), ("twin-f2+vina-refine", "twin+vina-refine"),
                  ("disco-f2+vina-refine", "prior+vina-refine-pocket"),
                  ("twin-f2+vina-refine", "prior+vina-refine-pocket"),
                  # no pocket given: the pocket pair through the first 3 pockets found, against each other and
                  # against the blind model (its only V2 rows are confidence-ranked)
                  ("disco-f2-pockets3", "twin-f2-pockets3"),
                  ("disco-f2-pockets3+vina-refine", "twin-f2-pockets3+vina-refine"),
                  ("disco-f2-pockets3", "disco-oldrot"), ("disco-f2-pockets3+vina-refine", "disco-oldrot"),
                  # the control: the diffusion prior's random poses (--steps 0), same Vina work, pocket box
                  ("disco+vina-refine", "prior+vina-refine-pocket"), ("twin+vina-refine", "prior+vina-refine-pocket"),
                  # the rotation-rate fix: each model after vs before
                  ("disco", "disco-oldrot"), ("twin", "twin-oldrot"),
                  ("disco+vina-refine", "disco-oldrot+vina-refine"), ("twin+vina-refine", "twin-oldrot+vina-refine"),
                  # before the fix
                  ("disco-oldrot", "twin-oldrot"), ("disco-oldrot+vina-opt", "twin-oldrot+vina-opt"),
                  ("disco-oldrot+vina-opt", "disco-oldrot"), ("twin-oldrot+vina-opt", "twin-oldrot"),
                  ("disco-oldrot+vina-refine", "twin-oldrot+vina-refine"),
                  ("disco-oldrot+vina-refine", "disco-oldrot+vina-opt"),
                  ("twin-oldrot+vina-refine", "twin-oldrot+vina-opt"),
                  # the core's codebook latents (m x k codes) against DisCo-DiffDock's pointer latents
                  ("disco_codebook", "disco-oldrot"), ("disco_codebook", "twin-oldrot"),
                  # the current bundles against the ones they replaced (rows renamed '<method>-v1')
                  ("disco-oldrot", "disco-v1"), ("twin-oldrot", "twin-v1"),
                  ("disco-oldrot+vina-opt", "disco-v1+vina-opt"), ("twin-oldrot+vina-opt", "twin-v1+vina-opt")]
SUMMARY_COLUMNS = ["method", "mode", "n", "top1_success", "top1_ci_low", "top1_ci_high", "oracle_success",
                   "pb_valid_success", "median_seconds"]


def select_complexes(args: argparse.Namespace):
    """The complexes to run: a data folder listed by --layout (and --ids), or the named --set,
    restricted to --ids when given without --data (a shard of the set)."""
    from discodock.evaluation.datasets import default_data_root, list_complexes, load_set, read_ids

    if args.layout == "pdbbind" or (args.ids is not None and args.data is not None):
        if args.data is None:
            raise InputError("--data", "give the data folder for --layout pdbbind")
        return list_complexes(args.data, args.layout, args.ids)
    complexes = load_set(args.set, args.data or default_data_root())
    if args.ids is None:
        return complexes
    wanted = read_ids(args.ids)
    by_id = {c.id: c for c in complexes}
    unknown = [i for i in wanted if i not in by_id]
    if unknown:
        raise InputError(args.ids, f"{len(unknown)} id(s) not in set {args.set}: {', '.join(unknown[:5])}")
    return [by_id[i] for i in wanted]


def prepare_from_crystal(models, paths, mode: str, seed: int):
    """(crystal ligand, prepared complex): the ligand gets a fresh conformer; in pocket mode the crystal
    ligand's centroid is the pocket centre ("pocket given")."""
    import torch

    from discodock.chem.ligand import read_ligand
    from discodock.chem.protein import read_protein
    from discodock.pipeline import prepare

    crystal = read_ligand(paths.ligand, add_conformer_if_2d=False)
    center = None
    if mode == "pocket":
        center = torch.tensor(crystal.GetConformer().GetPositions().mean(axis=0), dtype=torch.float32)
    prepared = prepare(paths.id, read_protein(paths.protein), crystal, pocket_center=center,
                       pocket_radius=models.pocket_radius if mode == "pocket" else None, seed=seed)
    return crystal, prepared


def dock_and_score(models, paths, *, mode: str, samples: int, steps: int, seed: int, device: str,
                   check_validity: bool, vina_rankings: Sequence[str] = (), vina_box: str = "poses",
                   pockets: int = 0) -> dict[str, dict]:
    """Benchmark rows for one complex, keyed by ranking: 'confidence' and those of `vina_rankings`:
    'vina' (the same sampled poses ranked by Vina score), 'vina-opt' (each pose minimised locally
    by Vina, then ranked by its score) and 'vina-refine' (minimised, then Monte-Carlo refined, seeded
    by `seed`), in `vina_box` (see `rank_by_vina`). A Vina ranking's seconds include the sampling and
    its own Vina work as if run alone (the grid maps and minimisation they share count for each).
    pockets > 0: no pocket is given; the pocket model docks `samples` poses in each of the first `pockets`
    pockets that `find_pockets` sees in the protein, and each ranking orders all of them (Vina: each
    pocket's poses in its own pocket box)."""
    from discodock.chem.ligand import read_ligand
    from discodock.chem.protein import read_protein
    from discodock.evaluation.rmsd import symmetry_rmsd
    from discodock.pipeline import dock, dock_in_pockets, find_pocket_centers, rank_by_vina, rank_pockets_by_vina
    from discodock.refine import RefineSettings

    start = time.perf_counter()
    refine = RefineSettings(seed=seed)
    if pockets:
        crystal = read_ligand(paths.ligand, add_conformer_if_2d=False)
        result, per_pocket = dock_in_pockets(models, read_protein(paths.protein), crystal,
                                             find_pocket_centers(paths.protein, pockets), name=paths.id,
                                             samples=samples, steps=steps, seed=seed, device=device)
    else:
        crystal, prepared = prepare_from_crystal(models, paths, mode, seed)
        result = dock(models, prepared, samples=samples, steps=steps, seed=seed, device=device)
    sampling_seconds = time.perf_counter() - start
    rankings = {"confidence": (result, result.confidence[0], 0.0)}
    rows = {}
    if vina_rankings:
        try:
            by_vina = (rank_pockets_by_vina(per_pocket, paths.protein, vina_rankings, refine=refine) if pockets
                       else rank_by_vina(result, paths.protein, vina_rankings, box=vina_box, refine=refine))
        except InputError as error:  # Vina cannot take this ligand or receptor: its rows fail, the sampled row stays
            rows = {name: failed_row(paths.id, error, time.perf_counter() - start) for name in vina_rankings}
        else:
            rankings.update({name: (r.result, r.scores[0], r.seconds) for name, r in by_vina.items()})
    for ranking, (ranked, top_score, ranking_seconds) in rankings.items():
        began = time.perf_counter()
        try:
            rmsds = symmetry_rmsd(crystal, list(ranked.poses))
            row = {
                "id": paths.id,
                "top1_rmsd": float(rmsds[0]),
                "top5_rmsd": float(rmsds[:5].min()),
                "oracle_rmsd": float(rmsds.min()),
                "confidence": float(top_score),  # the ranking's score of its top pose (Vina: kcal/mol)
                "pb_valid": top_pose_valid(ranked, paths) if check_validity else "",
                "status": "ok",
            }
        except InputError as error:
            row = failed_row(paths.id, error, sampling_seconds + ranking_seconds + time.perf_counter() - began)
        else:  # sampling + this ranking's own work (Vina scoring; RMSD and checks)
            row["seconds"] = round(sampling_seconds + ranking_seconds + time.perf_counter() - began, 2)
        rows[ranking] = row
    return {name: rows[name] for name in ["confidence", *vina_rankings]}


def failed_row(complex_id: str, reason: object, seconds: float) -> dict:
    """The row of a complex (or of one ranking of it) that could not be docked or scored: a miss, with the reason."""
    return {"id": complex_id, "top1_rmsd": np.nan, "top5_rmsd": np.nan, "oracle_rmsd": np.nan, "confidence": np.nan,
            "pb_valid": "", "status": f"failed: {one_line(reason)}", "seconds": round(seconds, 2)}


def default_method_name(weights: str | Path, temperature: str | None, pockets: int = 0) -> str:
    """'disco' for disco_pocket.pt and the shipped 'disco-pocket' (the mode is a column of its own);
    'disco@mild' when sampled with a temperature preset; 'disco-pockets3' when docked blind through the
    first 3 pockets found (`--pockets 3`)."""
    from discodock.weights import SHIPPED

    stem = Path(SHIPPED.get(str(weights), str(weights))).stem.split("_")[0] + (f"-pockets{pockets}" if pockets else "")
    return stem if temperature is None else f"{stem}@{temperature}"


def method_name(method: str, ranking: str, vina_box: str = "poses") -> str:
    """Row label: the model's name, '+vina', '+vina-opt' or '+vina-refine' when its poses are ranked by Vina score,
    then '-pocket' when Vina's box was the given pocket's (`--vina-box pocket`). Rows of `--pockets K` runs
    ('disco-pocketsK+vina-refine') rank each found pocket's poses in that pocket's box, whatever `--vina-box`
    says: their '-pocketsK' tells it, and the label stays what the blind-pockets study reads."""
    if ranking == "confidence":
        return method
    return f"{method}+{ranking}" + ("-pocket" if vina_box == "pocket" else "")


def top_pose_valid(result, paths) -> bool:
    """PoseBusters 'redock' checks on the top-ranked pose (all must pass)."""
    from discodock.evaluation.validity import posebusters_valid
    from discodock.output import pose_molecule, write_sdf

    with tempfile.TemporaryDirectory() as tmp:
        pred = Path(tmp) / "pred.sdf"
        write_sdf(pred, pose_molecule(result.complex.ligand, result.poses[0]))
        return bool(posebusters_valid(pred, paths.ligand, paths.protein)["pb_valid"])


def run_benchmark(args: argparse.Namespace) -> int:
    """Dock the set with one model bundle, append rows, then rewrite the summary CSV and plot."""
    from tqdm import tqdm

    from discodock.atomic import create_if_absent
    from discodock.pipeline import VINA_RANK_CHOICES
    from discodock.weights import check_mode, choose_weights, load_models

    vina_box = getattr(args, "vina_box", "poses")
    if vina_box == "pocket" and args.mode != "pocket":
        raise InputError("--vina-box pocket", "needs --mode pocket")
    pockets = getattr(args, "pockets", 0) or 0  # checked >= 0 with the other options (cli._check_common)
    if pockets and args.mode != "blind":
        raise InputError(f"--pockets {pockets}", "finds the pockets itself: run it with --mode blind")
    complexes = select_complexes(args)[: args.limit]
    if getattr(args, "report_only", False):  # e.g. after another process added rows
        print(write_report(Path(args.out), args.set, [c.id for c in complexes]).to_string(index=False))
        return 0
    pocket_model = args.mode == "pocket" or pockets > 0  # --pockets docks with a pocket model in found pockets
    weights = choose_weights(args.weights, pocket=pocket_model)
    models = load_models(weights, device=args.device, temperature=args.temperature)
    check_mode(models, weights, pocket_model, give_pocket="run it with --mode pocket or --pockets K",
               drop_pocket="drop --pockets, or use a pocket model" if pockets else "run it with --mode blind")
    method = getattr(args, "method", None) or default_method_name(weights, args.temperature, pockets)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows_path = out / f"{args.set}.csv"
    vina_rankings = list(VINA_RANK_CHOICES[args.vina_rank]) if getattr(args, "vina_rank", None) else []
    rankings = ["confidence"] + vina_rankings
    labels = [method_name(method, r, vina_box) for r in rankings]
    record_settings(out / f"{args.set}_settings.json", [f"{label}/{args.mode}" for label in labels],
                    run_settings(args, weights, pockets))
    # header first, in one step: shards started together into one --out must not see an empty file
    create_if_absent(rows_path, ",".join(ROW_COLUMNS) + "\n")  # "\n" as the rows below and pandas' rewrites
    table = pd.read_csv(rows_path, dtype={"id": str})
    if getattr(args, "retry_failed", False):  # the reports keep the last row of a key, so a retry replaces a failure
        table = table.drop_duplicates(["id", "method", "mode"], keep="last")
        table = table[~table["status"].astype(str).str.startswith("failed")]
    done = set(zip(table["id"], table["method"], table["mode"]))
    todo = [c for c in complexes if any((c.id, label, args.mode) not in done for label in labels)]
    print(f"{len(complexes)} complexes; {len(complexes) - len(todo)} already in {rows_path}; "
          f"methods {', '.join(labels)}, mode {args.mode}, {args.samples} samples x {args.steps} steps, "
          f"threads {os.environ.get('OMP_NUM_THREADS')}")
    with rows_path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ROW_COLUMNS, lineterminator="\n")
        for paths in tqdm(todo, desc=f"{method}/{args.mode}", unit="complex"):
            start = time.perf_counter()
            try:
                rows = dock_and_score(models, paths, mode=args.mode, samples=args.samples, steps=args.steps,
                                      seed=args.seed, device=args.device, check_validity=args.pb_valid,
                                      vina_rankings=vina_rankings, vina_box=vina_box, pockets=pockets)
            except InputError as error:  # counted as a miss, with the reason
                rows = {r: failed_row(paths.id, error, time.perf_counter() - start) for r in rankings}
            for ranking, row in rows.items():
                label = method_name(method, ranking, vina_box)
                if (paths.id, label, args.mode) not in done:  # a rerun adding a ranking keeps the rows it has
                    writer.writerow({**row, "method": label, "mode": args.mode})
            handle.flush()
    summary = write_report(out, args.set, [c.id for c in complexes])
    print(summary.to_string(index=False))
    return 0


# what must match for rows of one method to be resumed or added to; Vina's settings are in the method's name
BENCHMARK_RESUME_KEYS = ("networks_sha256", "samples", "steps", "seed", "temperature", "pockets", "pb_valid")


def run_settings(args: argparse.Namespace, weights: str | Path, pockets: int) -> dict:
    """What a benchmark run docks with, saved beside its rows (`record_settings`)."""
    from discodock import __version__
    from discodock.weights import weights_record

    return {"discodock": __version__, **weights_record(weights), "samples": args.samples, "steps": args.steps,
            "seed": args.seed, "temperature": args.temperature, "pockets": pockets, "pb_valid": bool(args.pb_valid),
            "vina_rank": getattr(args, "vina_rank", None), "vina_box": getattr(args, "vina_box", "poses")}


def record_settings(path: Path, labels: Sequence[str], settings: dict, keys: Sequence[str] = BENCHMARK_RESUME_KEYS,
                    label_option: str = "--method") -> None:
    """Save `settings` for each row label (a benchmark's 'method/mode') in the JSON file `path`; InputError if a
    label's rows there were made with other settings (`keys`), since a resumed run would mix them; the message
    names `label_option`, the option that gives the rows another label. Labels listed by an earlier run keep
    their first record."""
    import fcntl
    import json

    from discodock.atomic import atomic_write_text
    from discodock.weights import weights_keys_for

    # shards and other methods may start together into one --out: read, check and write under a lock
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        recorded = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        for label in labels:
            before = recorded.setdefault(label, settings)
            changed = [f"{key} {before.get(key)!r} -> {settings[key]!r}"
                       for key in weights_keys_for(before, keys) if before.get(key) != settings[key]]
            if changed:
                raise InputError(path, f"rows of {label} were made with other settings ({'; '.join(changed)}): "
                                       f"rerun with the same ones, or give another {label_option} or --out")
        atomic_write_text(path, json.dumps(recorded, indent=2) + "\n")


def _summary_row(method: str, mode: str, top1, oracle, pb_valid, seconds) -> dict:
    success, low, high = success_with_ci(top1)
    top1 = np.asarray(top1, dtype=float)
    pb_valid = [str(v) for v in pb_valid] or [""] * len(top1)  # Vina's rows have no checks
    checked = np.array([v in ("True", "False") for v in pb_valid], dtype=bool)
    # top-1 < 2 Å and PoseBusters-valid, over the complexes checked plus the failed ones (no RMSD: misses);
    # rows docked without --pb-valid cannot be counted either way
    counted = checked | ~np.isfinite(top1)
    both = (top1 < SUCCESS_THRESHOLD) & np.array([v == "True" for v in pb_valid], dtype=bool)
    seconds = np.asarray(seconds, dtype=float)
    return {
        "method": method, "mode": mode, "n": len(top1),
        "top1_success": success, "top1_ci_low": low, "top1_ci_high": high,
        "oracle_success": success_rate(oracle),
        "pb_valid_success": float(both[counted].mean()) if checked.any() else np.nan,
        "median_seconds": float(np.median(seconds)) if len(seconds) else np.nan,
    }


def summarize(rows: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """One summary row per (method, mode), over the given ids only (missing ids are not counted)."""
    rows = rows[rows["id"].isin(ids)]
    out = []
    for (method, mode), group in rows.groupby(["method", "mode"], sort=True):
        ran = ~group["status"].astype(str).str.startswith("failed")  # a failure's seconds time no full run
        out.append(_summary_row(method, mode, group["top1_rmsd"], group["oracle_rmsd"], group["pb_valid"].tolist(),
                                group.loc[ran, "seconds"]))
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


def summarize_vina(rows: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """The Vina baseline CSV (id,top1_rmsd,best_rmsd,seconds,status) as a summary row ('pocket given')."""
    rows = rows[rows["id"].isin(ids)]
    # seconds mix machines when some rows were offloaded (status "ok (offloaded)"): compare with care
    row = _summary_row("vina", "pocket", rows["top1_rmsd"], rows["best_rmsd"], [], rows["seconds"])
    return pd.DataFrame([row], columns=SUMMARY_COLUMNS)


def paired_comparison(rows: pd.DataFrame, a: str = "disco", b: str = "twin") -> pd.DataFrame:
    """Exact McNemar tests of top-1 and oracle (best-of-N) success and Wilcoxon signed-rank test of
    top-1 RMSD, `a` vs `b`, per mode, on the complexes both have (medians and success rates included)."""
    from discodock.evaluation.metrics import SUCCESS_THRESHOLD, mcnemar_exact, wilcoxon_paired

    out = []
    for mode, group in rows.groupby("mode"):
        group = group.drop_duplicates(["id", "method"], keep="last")
        group = group.fillna({"top1_rmsd": np.inf, "oracle_rmsd": np.inf})  # failed = miss
        wide = group.pivot(index="id", columns="method", values="top1_rmsd")
        if a not in wide or b not in wide:
            continue
        wide = wide[[a, b]].dropna()  # only complexes that both methods have run
        oracle = group.pivot(index="id", columns="method", values="oracle_rmsd").loc[wide.index, [a, b]]
        hits, oracle_hits = wide < SUCCESS_THRESHOLD, oracle < SUCCESS_THRESHOLD
        oracle_test = mcnemar_exact(oracle_hits[a], oracle_hits[b])
        rmsd = wilcoxon_paired(wide[a], wide[b])
        out.append({"mode": mode, "a": a, "b": b, **mcnemar_exact(hits[a], hits[b]),
                    "success_a": float(hits[a].mean()), "success_b": float(hits[b].mean()),
                    "median_top1_rmsd_a": rmsd["median_a"], "median_top1_rmsd_b": rmsd["median_b"],
                    "wilcoxon_p": rmsd["wilcoxon_p"],
                    "oracle_success_a": float(oracle_hits[a].mean()), "oracle_success_b": float(oracle_hits[b].mean()),
                    "oracle_only_a": oracle_test["only_a"], "oracle_only_b": oracle_test["only_b"],
                    "oracle_p_value": oracle_test["p_value"]})
    return pd.DataFrame(out)


def success_by_identity(rows: pd.DataFrame, identity_csv: Path) -> pd.DataFrame:
    """Top-1 success per method, mode and protein-identity bin (see benchmarks/novelty.py)."""
    from discodock.evaluation.novelty import success_by_identity_bin

    identity = pd.read_csv(identity_csv, dtype={"id": str}).set_index("id")["max_identity"].to_dict()
    out = []
    for (method, mode), group in rows.groupby(["method", "mode"]):
        group = group[group["id"].isin(identity)]
        table = success_by_identity_bin(dict(zip(group["id"], group["top1_rmsd"])), identity)
        out.extend({"method": method, "mode": mode, "bin": b, **r} for b, r in table.to_dict("index").items())
    return pd.DataFrame(out)


# line style of a curve by how its poses were ranked (the part of the method name after '+')
RANKING_LINESTYLES = {"": "-", "vina": ":", "vina-opt": "--", "vina-refine": "-."}


def plot_rmsd_cdf(rows: pd.DataFrame, vina: pd.DataFrame | None, path: Path) -> None:
    """Cumulative share of complexes with top-1 RMSD below x: one panel per mode, one colour per model and
    one line style per ranking (Vina's own search in black, pocket panel)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from discodock.atomic import atomic_open

    modes = sorted(rows["mode"].unique()) or ["pocket"]
    models = sorted({m.partition("+")[0] for m in rows["method"]})
    colours = dict(zip(models, plt.get_cmap("tab10" if len(models) <= 10 else "tab20").colors))
    grid = np.linspace(0, 10, 201)
    fig, axes = plt.subplots(1, len(modes), figsize=(4.2 * len(modes) + 2.6, 4), dpi=120, squeeze=False)
    for ax, mode in zip(axes[0], modes):
        curves = [(m, g["top1_rmsd"]) for m, g in rows[rows["mode"] == mode].groupby("method")]
        if vina is not None and mode == "pocket":
            curves.append(("vina", vina["top1_rmsd"]))
        for method, values in curves:
            values = np.nan_to_num(values.to_numpy(dtype=float), nan=np.inf)
            model, _, ranking = method.partition("+")
            style = ({"color": "black", "lw": 1.6} if method == "vina" else
                     {"color": colours[model], "ls": RANKING_LINESTYLES.get(ranking.removesuffix("-pocket"), "-")})
            ax.plot(grid, [(values < x).mean() for x in grid], label=f"{method}, n={len(values)}", **style)
        ax.axvline(2.0, color="grey", lw=0.8, ls="--")
        ax.set_title(mode)
        ax.set_xlabel("top-1 RMSD (Å)")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes[0][0].set_ylabel("share of complexes below")
    fig.tight_layout()
    with atomic_open(path, "wb") as handle:
        fig.savefig(handle, format="png")
    plt.close(fig)


def write_report(out: Path, set_name: str, ids: list[str]) -> pd.DataFrame:
    """Summary CSV (+ Vina), paired test, identity bins and CDF plot from the per-complex rows."""
    from discodock.atomic import atomic_open

    rows = pd.read_csv(out / f"{set_name}.csv", dtype={"id": str})
    rows = rows[rows["id"].isin(ids)].drop_duplicates(["id", "method", "mode"], keep="last")  # reruns: last wins
    summary = summarize(rows, ids)
    vina_csv = out / f"vina_{set_name}.csv"
    vina = pd.read_csv(vina_csv, dtype={"id": str}) if vina_csv.is_file() else None
    if vina is not None:
        vina = vina[vina["id"].isin(ids)].drop_duplicates("id", keep="last")
        summary = pd.concat([summary, summarize_vina(vina, ids)])
    paired = pd.concat([paired_comparison(rows, a, b) for a, b in PAIRED_METHODS], ignore_index=True)
    tables = {f"{set_name}_summary.csv": summary, f"{set_name}_paired.csv": paired}
    identity_csv = out / f"{set_name}_identity.csv"
    if identity_csv.is_file():
        tables[f"{set_name}_by_identity.csv"] = success_by_identity(rows, identity_csv)
    for name, table in tables.items():
        with atomic_open(out / name) as handle:
            table.to_csv(handle, index=False, float_format="%.4f")
    plot_rmsd_cdf(rows, vina, out / f"{set_name}_rmsd_cdf.png")
    return summary
