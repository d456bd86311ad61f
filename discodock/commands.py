"""The bodies of the `discodock` sub-commands (argument parsing lives in `discodock.cli`)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from pathlib import Path

import pandas as pd

from discodock.errors import InputError, SetupError, one_line

SCREEN_COLUMNS = ("complex_name", "protein_path", "ligand_description")
SUMMARY_COLUMNS = ("row", "complex_name", "protein_path", "ligand_description", "out_dir", "weights", "ranking",
                   "status", "error", "top_confidence", "top_vina_score", "top_pocket", "seconds")


def _example_paths() -> tuple[Path, Path]:
    """The 1ia1 complex shipped inside the posebusters wheel."""
    import posebusters

    folder = Path(posebusters.__file__).parent / "datasets" / "pdb" / "1ia1"
    return folder / "1ia1_protein_one_lig_removed.pdb", folder / "1ia1_ligand.sdf"


def _check_out_location(out: Path) -> None:
    """`out` can be filled: it is a writable folder or absent, and its nearest existing ancestor is a writable folder
    (outputs are staged beside `out`, then renamed)."""
    import os

    if out.exists() and not out.is_dir():
        raise InputError(out, "output path exists and is not a folder")
    probe = out.resolve().parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(out, f"cannot create the output folder: {probe} is a file, not a folder")
    for folder in (probe, out) if out.exists() else (probe,):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(out, f"cannot write here: {folder} is read-only")


def _check_writable_out(out: Path, overwrite: bool) -> None:
    _check_out_location(out)
    here = Path.cwd().resolve()
    if out.resolve() in (here, *here.parents):  # the folder is built beside `out`, then renamed onto it
        raise InputError(out, "is the current folder (or holds it): name a new folder, e.g. --out docked")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise InputError(out, "output folder exists and is not empty (use --overwrite to replace it)")
        # --overwrite deletes the folder: only ever a previous discodock output, never e.g. `--out .`
        if not (out / "poses.csv").is_file():
            raise InputError(out, "--overwrite only replaces a previous discodock output folder (no poses.csv here)")


def predict(args: argparse.Namespace) -> int:
    from discodock.chem.ligand import read_ligand
    from discodock.chem.protein import read_protein
    from discodock.pipeline import find_pocket_centers, pocket_center_from, write_outputs
    from discodock.weights import check_mode, choose_weights, found_pockets_for, load_models, weights_record

    if args.example:
        if args.protein is not None or args.ligand is not None:
            raise InputError("--example", "docks the shipped example complex: drop --protein/--ligand")
        protein_path, ligand = _example_paths()
    else:
        if args.protein is None or args.ligand is None:
            raise InputError("discodock predict", "give --protein and --ligand (or --example)")
        protein_path, ligand = args.protein, _required(args.ligand, "--ligand")
    _check_writable_out(args.out, args.overwrite)
    # Read every input before loading the model, so bad input fails fast and names itself.
    protein = read_protein(protein_path)
    ligand_mol = read_ligand(ligand, seed=args.seed)
    center = pocket_center_from(args.pocket_center, args.pocket_ligand)
    if args.pockets and center is not None:
        raise InputError(f"--pockets {args.pockets}", "finds the pockets itself: drop --pocket-center/--pocket-ligand")
    args.pockets = found_pockets_for(args.pockets, args.weights, pocket_given=center is not None or args.example)
    weights = choose_weights(args.weights, pocket=center is not None or args.example or args.pockets > 0)
    models = load_models(weights, device=args.device, temperature=args.temperature)
    if center is None and args.example and models.mode == "pocket" and not args.pockets:
        center = pocket_center_from(None, ligand)  # the example's crystal ligand marks its pocket
    check_mode(models, weights, center is not None or args.pockets > 0,
               give_pocket="give --pocket-center x,y,z, --pocket-ligand ref.sdf or --pockets K")
    _print_caveat(weights, models)
    _print_pocket_note(models, args.pockets)
    if args.vina_rank and args.vina_box == "pocket" and center is None and not args.pockets:
        raise InputError("--vina-box pocket", "needs a pocket: give --pocket-center or --pocket-ligand")
    name = _safe_name(Path(str(protein_path)).stem)
    centers = find_pocket_centers(protein_path, args.pockets) if args.pockets else None
    if centers is not None and len(centers) < args.pockets:
        print(f"discodock: note: found {len(centers)} of {args.pockets} pockets; docking in those", file=sys.stderr)
    run = _run_info(args, weights_record(weights), models, center, centers)
    result, per_pocket = _dock(args, models, name, protein, ligand_mol, center, centers)
    extra: dict[str, list] = {}
    if args.vina_rank:
        began = time.perf_counter()
        result, extra["vina_score"], box = _rank_by_vina(protein_path, result, per_pocket, args.vina_rank,
                                                         box=args.vina_box, seed=args.seed)
        run.update(vina_rank=args.vina_rank, vina_box=box, vina_seconds=round(time.perf_counter() - began, 3))
    if args.pb_checks:
        began = time.perf_counter()
        extra.update(_posebusters_columns(protein_path, result))
        run["posebusters_seconds"] = round(time.perf_counter() - began, 3)
    write_outputs(result, args.out, extra_columns=extra, run_info=run)
    print(f"{name}: {len(result.poses)} poses from {weights} ({models.mode}) in {result.seconds:.1f} s; "
          f"top confidence {result.confidence[0]:.2f}; wrote {args.out}/rank1.sdf … poses.csv, complex_rank1.pdb, "
          "rank1.png, run.json")
    return 0


def _print_pocket_note(models, pockets: int) -> None:
    """Without a pocket, say where the ligand is docked and how to choose otherwise, on stderr."""
    from discodock.weights import FOUND_POCKETS

    if models.mode == "blind":
        print("discodock: note: the blind model searches the whole protein (the shipped ones placed no PoseBusters V2 "
              "ligand within 2 Å); by default (no --pockets 0, no blind weights) the pocket model docks in the first "
              f"{FOUND_POCKETS} pockets `discodock pockets` finds instead (docs/RESULTS.md)", file=sys.stderr)
    elif pockets:
        print(f"discodock: note: no pocket given: docking in each of the first {pockets} pockets `discodock pockets` "
              "finds, one ranking over all (--pocket-center x,y,z or --pocket-ligand ref.sdf if you know the site; "
              "--pockets 0: the blind model on the whole protein)", file=sys.stderr)


def _print_caveat(weights: object, models) -> None:
    """The bundle's own warning (metadata `caveat`, e.g. how poorly shipped weights dock), on stderr."""
    caveat = models.metadata.get("caveat")
    if caveat:
        print(f"discodock: note: {weights}: {caveat}", file=sys.stderr)


def _run_info(args: argparse.Namespace, used_weights: dict, models, center, pocket_centers=None) -> dict:
    """What a docking run used, for run.json beside its poses: the weights (`weights.weights_record`), mode,
    pocket (or the found pockets' centres, `--pockets`), sampling settings and seed."""
    from discodock import __version__

    found = {} if pocket_centers is None else {"pocket_centers": [[round(float(v), 3) for v in c] for c in pocket_centers]}
    return {
        "discodock": __version__,
        **used_weights,
        "mode": models.mode,
        "pocket_center": None if center is None else [round(float(v), 3) for v in center],
        "samples": args.samples,
        "steps": args.steps,
        "seed": args.seed,
        "temperature_preset": args.temperature,  # None: the bundle's own setting, whose values follow
        "low_temperature": dataclasses.asdict(models.temperature),
        **found,
    }


def _dock(args: argparse.Namespace, models, name: str, protein, ligand, center, pocket_centers=None):
    """(result ranked by confidence, each pocket's result or None): docked at `center` (None: blind), or,
    given `pocket_centers` (`--pockets K`), in each of them, all poses ranked as one."""
    from discodock.pipeline import dock, dock_in_pockets, prepare

    if pocket_centers is not None:
        return dock_in_pockets(models, protein, ligand, pocket_centers, name=name, samples=args.samples,
                               steps=args.steps, seed=args.seed, device=args.device)
    prepared = prepare(name, protein, ligand, pocket_center=center,
                       pocket_radius=models.pocket_radius if center is not None else None, seed=args.seed)
    return dock(models, prepared, samples=args.samples, steps=args.steps, seed=args.seed, device=args.device), None


def _required(text: object, what: str) -> str:
    """`text` as a string; if empty, an error naming where it came from (an empty string names nothing)."""
    if not str(text).strip():
        raise InputError(what, "is empty: give a file path (ligands: also a SMILES string)")
    return str(text)


def _rank_by_vina(protein_path: Path, result, per_pocket, how: str, box: str, seed: int):
    """Re-rank the poses by Vina score (kcal/mol, lower is better) in `box` ('poses' or 'pocket'): as
    sampled ('score'), after a local minimisation ('optimize'), or minimised and refined ('refine');
    returns the result, the scores and the box used (for run.json). Given `per_pocket` (`--pockets`: one
    result per found pocket), each pocket's poses are ranked in its own box, then all as one."""
    from discodock.pipeline import VINA_RANK_CHOICES, rank_by_vina, rank_pockets_by_vina
    from discodock.refine import RefineSettings

    (ranking,) = VINA_RANK_CHOICES[how]
    refine = RefineSettings(seed=seed)
    if per_pocket:
        ranked = rank_pockets_by_vina(per_pocket, protein_path, [ranking], refine=refine)[ranking]
        box = "each pocket's"
    else:
        ranked = rank_by_vina(result, protein_path, [ranking], box=box, refine=refine)[ranking]
    return ranked.result, [round(float(s), 3) for s in ranked.scores], box


def _posebusters_columns(protein_path: Path, result) -> dict[str, list]:
    """PoseBusters 'dock' checks of every pose, one boolean column each (prefixed `pb_`)."""
    import tempfile

    from discodock.evaluation.validity import posebusters_dock_checks
    from discodock.output import pose_molecule, write_sdf

    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for k, pose in enumerate(result.poses):
            path = Path(tmp) / f"pose{k}.sdf"
            write_sdf(path, pose_molecule(result.complex.ligand, pose))
            rows.append(posebusters_dock_checks(path, protein_path).iloc[0])
    table = pd.DataFrame(rows).reset_index(drop=True)
    return {name if name == "pb_valid" else f"pb_{name}": table[name].tolist() for name in table.columns}


def _safe_name(text: str) -> str:
    """Folder-safe version of a user-given name (keeps letters of any script, digits, - _ .)."""
    cleaned = re.sub(r"[^\w.\-]+", "_", text.strip(), flags=re.UNICODE).strip("._")
    if cleaned.lower() == "summary.csv":  # the screen's own summary lives beside the row folders
        cleaned = "summary_csv"
    return cleaned or "complex"


def _unique_names(names: list[str]) -> list[str]:
    """Deterministic unique folder names: repeats get `-2`, `-3`, … in row order."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        base = _safe_name(name)
        seen[base] = seen.get(base, 0) + 1
        unique.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return unique


def read_screen_csv(path: Path) -> pd.DataFrame:
    if path is None or not Path(path).is_file():
        raise InputError(path, "screen CSV not found")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise InputError(path, f"not a readable CSV ({error})") from error
    missing = [c for c in SCREEN_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(path, f"missing columns {missing}; expected {list(SCREEN_COLUMNS)}")
    if len(table) == 0:
        raise InputError(path, "screen CSV has a header but no rows")
    return table


def _load_summary(path: Path) -> dict[int, dict]:
    if not path.is_file():
        return {}
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {int(row["row"]): row for row in table.to_dict("records")}


def _ranking(args: argparse.Namespace) -> str:
    """How poses are ranked: 'confidence', or 'vina-<how>' (+ '-pocket' for the pocket's box)."""
    if not args.vina_rank:
        return "confidence"
    return f"vina-{args.vina_rank}" + ("-pocket" if args.vina_box == "pocket" else "")


# run.json entries that must match for a screen row to count as done (--pockets' centres follow from the protein)
SCREEN_RESUME_KEYS = ("networks_sha256", "pocket_center", "samples", "steps", "seed", "temperature_preset")


def _is_finished(record: dict | None, row: pd.Series, out_dir: Path, weights: str, ranking: str,
                 run: dict | None) -> bool:
    """A summary row counts as done only if it docked, its folder exists, it describes this same CSV row,
    it used these weights and this ranking (a summary written before the `weights` or `ranking` column
    existed does not say; before `ranking`, every screen ranked by confidence), and its run.json agrees
    with `run` (what this run would use; None: not known, e.g. an unreadable pocket_center) on SCREEN_RESUME_KEYS."""
    if record is None or record.get("status") != "ok" or not out_dir.is_dir() or run is None:
        return False
    if record.get("weights") not in ("", None, weights) or (record.get("ranking") or "confidence") != ranking:
        return False
    if not all(str(record.get(c, "")) == str(row[c]) for c in SCREEN_COLUMNS):
        return False
    try:
        done = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no readable record of how it was docked: dock it again
        return False
    from discodock.weights import weights_keys_for

    return all(done.get(key) == run.get(key) for key in weights_keys_for(done, SCREEN_RESUME_KEYS))


def screen(args: argparse.Namespace) -> int:
    """Dock every CSV row; resumable: finished rows (status ok, folder present, same weights) are skipped."""
    from tqdm import tqdm

    from discodock.atomic import atomic_open
    from discodock.chem.protein import read_protein
    from discodock.pipeline import find_pocket_centers, pocket_center_from, write_outputs
    from discodock.weights import check_mode, choose_weights, found_pockets_for, load_models, weights_record

    table = read_screen_csv(args.csv)
    out = Path(args.out)
    _check_out_location(out)
    center = pocket_center_from(args.pocket_center, None)
    if args.pockets and center is not None:
        raise InputError(f"--pockets {args.pockets}", "is for rows without a pocket: drop --pocket-center")
    args.pockets = found_pockets_for(args.pockets, args.weights, pocket_given=center is not None)
    per_row_pocket = "pocket_center" in table.columns  # optional column: one pocket per row
    cells = table["pocket_center"] if per_row_pocket else [""] * len(table)
    row_has_pocket = [center is not None or bool(cell) or args.pockets > 0 for cell in cells]
    row_weights = [str(choose_weights(args.weights, pocket)) for pocket in row_has_pocket]
    # Load every bundle the rows need before docking any: a missing or broken file stops the command.
    loaded = {w: load_models(w, device=args.device, temperature=args.temperature) for w in dict.fromkeys(row_weights)}
    weights_records = {w: weights_record(w) for w in loaded}  # hashed once, not per row
    for name, models in loaded.items():
        _print_caveat(name, models)
    hint = "give --pocket-center x,y,z, a pocket_center column or --pockets K"
    if not per_row_pocket:  # one model and one mode for every row: a mismatch fails before docking anything
        check_mode(loaded[row_weights[0]], args.weights, row_has_pocket[0], give_pocket=hint)
    out.mkdir(parents=True, exist_ok=True)
    summary_path = out / "summary.csv"
    # rows of an earlier, longer CSV are dropped (their folders stay); the rest are checked below
    summary = {i: record for i, record in _load_summary(summary_path).items() if i < len(table)}
    folders = _unique_names(table["complex_name"].tolist())
    proteins: dict[str, object] = {}  # each protein is read and featurised once
    found_pockets: dict[str, list | InputError] = {}  # --pockets: each protein's pockets are searched once

    def save_summary() -> None:
        rows = [summary[i] for i in sorted(summary)]
        with atomic_open(summary_path) as handle:
            pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).to_csv(handle, index=False)

    # a row docked through found pockets is finished only if it was docked through as many
    rankings = [_ranking(args) + (f"+pockets{args.pockets}" if args.pockets and not cell else "") for cell in cells]

    def row_center(i: int):
        """The row's pocket centre (its pocket_center cell, else --pocket-center; None: blind or --pockets)."""
        cell = cells[i]
        return pocket_center_from(cell, None) if cell else center

    def planned_run(i: int) -> dict | None:
        """The run.json entries row i would get, to compare with a finished row's (None: its pocket is unreadable)."""
        try:
            return _run_info(args, weights_records[row_weights[i]], loaded[row_weights[i]], row_center(i))
        except InputError:  # reported when the row is docked
            return None

    todo = [i for i in range(len(table)) if not _is_finished(summary.get(i), table.iloc[i], out / folders[i],
                                                             row_weights[i], rankings[i], planned_run(i))]
    for i in tqdm(todo, desc="screen", unit="row"):
        row = table.iloc[i]
        record = {"row": i, "complex_name": row.complex_name, "protein_path": row.protein_path,
                  "ligand_description": row.ligand_description, "out_dir": folders[i], "weights": "",
                  "ranking": rankings[i], "status": "", "error": "", "top_confidence": "", "top_vina_score": "",
                  "top_pocket": "", "seconds": ""}
        start = time.perf_counter()
        try:
            if row.protein_path not in proteins:
                proteins[row.protein_path] = read_protein(_required(row.protein_path, f"row {i} protein_path"))
            ligand = _required(row.ligand_description, f"row {i} ligand_description")
            center_i = row_center(i)
            models = loaded[row_weights[i]]
            if center_i is None and models.mode == "pocket" and not args.pockets:
                raise InputError(f"row {i} pocket_center", f"is empty, and {args.weights} is a pocket-mode model")
            check_mode(models, f"row {i} ({args.weights})", center_i is not None or args.pockets > 0,
                       give_pocket=hint)
            record["weights"] = row_weights[i]
            centers = None
            if center_i is None and args.pockets:
                if row.protein_path not in found_pockets:
                    try:
                        found_pockets[row.protein_path] = find_pocket_centers(Path(row.protein_path), args.pockets)
                    except InputError as error:  # every row of this protein fails alike: search once
                        found_pockets[row.protein_path] = error
                centers = found_pockets[row.protein_path]
                if isinstance(centers, InputError):
                    raise centers
            run = _run_info(args, weights_records[row_weights[i]], models, center_i, centers)
            result, per_pocket = _dock(args, models, folders[i], proteins[row.protein_path], ligand, center_i,
                                       centers)
            extra: dict[str, list] = {}
            if args.vina_rank:
                result, extra["vina_score"], box = _rank_by_vina(Path(row.protein_path), result, per_pocket,
                                                                 args.vina_rank, box=args.vina_box, seed=args.seed)
                run.update(vina_rank=args.vina_rank, vina_box=box)
                record["top_vina_score"] = extra["vina_score"][0]
            write_outputs(result, out / folders[i], extra_columns=extra, run_info=run)
            record.update(status="ok", top_confidence=round(float(result.confidence[0]), 4),
                          top_pocket="" if result.pocket is None else int(result.pocket[0]))  # run.json: centres
        except InputError as error:
            record.update(status="failed", error=one_line(error))
        except SetupError:  # the machine, not this row: every row would fail alike
            raise
        except Exception as error:  # one bad row never stops the batch; the row records what happened
            record.update(status="failed", error=f"{type(error).__name__}: {one_line(error)}")
        record["seconds"] = round(time.perf_counter() - start, 2)
        summary[i] = record
        save_summary()
    save_summary()  # also when nothing was left to dock: the rows of an earlier, longer CSV are gone
    docked = sum(1 for r in summary.values() if r["status"] == "ok")
    print(f"screen: {docked} of {len(table)} rows docked; see {summary_path}")
    return 0


def pockets(args: argparse.Namespace) -> int:
    from discodock.atomic import atomic_open
    from discodock.pipeline import find_protein_pockets

    if args.protein is None:
        raise InputError("discodock pockets", "give --protein")
    found = find_protein_pockets(args.protein, args.top)
    if not found:
        print(f"{args.protein}: no buried empty space found: dock blind, or give --pocket-center yourself")
        return 0
    table = pd.DataFrame([{"rank": i + 1, "x": round(float(p.center[0]), 2), "y": round(float(p.center[1]), 2),
                           "z": round(float(p.center[2]), 2), "score": round(p.score, 3)} for i, p in enumerate(found)])
    print(table.to_string(index=False))
    first = table.iloc[0]
    print(f"dock into the first: discodock predict --protein {args.protein} --ligand <ligand> "
          f"--pocket-center={first.x},{first.y},{first.z}   (a guess from the protein's shape alone; how often the "
          "first pockets hold the ligand: README, benchmarks/pocket_finding.py)")
    if args.out is not None:
        with atomic_open(args.out) as handle:
            table.to_csv(handle, index=False)
    return 0


def benchmark(args: argparse.Namespace) -> int:
    from discodock.evaluation.benchmark import run_benchmark

    return run_benchmark(args)


def train(args: argparse.Namespace) -> int:
    from discodock.training.config import load_train_config
    from discodock.training.train import stage_budgets, train_main

    if args.config is None:
        raise InputError("discodock train", "give --config configs/train_disco.yaml (or another training config)")
    overrides = list(args.set) + ([f"seed={args.seed}"] if args.seed is not None else [])
    cfg = load_train_config(args.config, overrides)
    budgets = stage_budgets(args.max_minutes, cfg.model.has_latents) if args.max_minutes else None
    accelerator = "gpu" if args.device.startswith("cuda") else "cpu"
    run_dir = train_main(args.config, overrides, accelerator=accelerator, stage_minutes=budgets)
    print(f"{cfg.name}: trained; bundle, checkpoints, config and metrics in {run_dir}")
    return 0


def toy(args: argparse.Namespace) -> int:
    from discodock.toy.train import run_toy_demo

    run_toy_demo(seed=args.seed)
    return 0
