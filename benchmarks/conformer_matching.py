"""Matched-conformer RMSD over the training pool: how close torsion-only changes get to the crystal pose.

Runs `discodock.chem.match_conformer` on every ligand of ../shared/data/train_pool (154) and the 120
PoseBusters complexes outside V2 (usable for training), one row per complex. Resumable: rows already in
the CSV are skipped, and the CSV is rewritten atomically after every complex.

    OMP_NUM_THREADS=1 nohup python benchmarks/conformer_matching.py > runs/conformer_matching.log 2>&1 &

Writes benchmarks/results/conformer_matching.csv (id,n_atoms,n_rot,rmsd,seconds,status) and
conformer_matching_summary.json (mean / median RMSD, share under 1 and 2 Å, per set and overall).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import pandas as pd
import torch
from rdkit import RDLogger

from discodock.chem.conformer_matching import match_conformer
from discodock.chem.ligand import read_ligand
from discodock.chem.torsions import rotatable_bonds
from discodock.errors import InputError

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ["id", "n_atoms", "n_rot", "rmsd", "seconds", "status"]


def complex_sets(data: Path) -> dict[str, dict[str, Path]]:
    """{set name: {complex id: ligand.sdf}} for the training pool and the PoseBusters V1-only 120."""
    train = {p.parent.name: p for p in sorted((data / "train_pool").glob("*/ligand.sdf"))}
    v1_ids = (data / "splits" / "posebusters_428_not_v2_120_ids.txt").read_text().split()
    v1_only = {i: data / "posebusters_428" / i / "ligand.sdf" for i in v1_ids}
    return {"train_pool": train, "posebusters_v1_only": v1_only}


def match_one(ligand_path: Path, seed: int, tries: int) -> dict:
    """One CSV row; unreadable ligands are recorded with their error, not raised."""
    start = time.perf_counter()
    try:
        crystal = read_ligand(ligand_path, add_conformer_if_2d=False)
    except InputError as err:  # recorded per complex (e.g. the flagged sanitisation failures)
        return {"n_atoms": None, "n_rot": None, "rmsd": None, "seconds": None, "status": f"input_error: {err.problem}"}
    try:
        _, rmsd = match_conformer(crystal, seed=seed, tries=tries)
    except InputError as err:  # RDKit could not embed a conformer
        return {"n_atoms": crystal.GetNumAtoms(), "n_rot": None, "rmsd": None, "seconds": None, "status": f"match_error: {err.problem}"}
    seconds = time.perf_counter() - start
    return {
        "n_atoms": crystal.GetNumAtoms(),
        "n_rot": len(rotatable_bonds(crystal)),
        "rmsd": round(rmsd, 4),
        "seconds": round(seconds, 2),
        "status": "ok",
    }


def write_atomic(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def summarize(df: pd.DataFrame, sets: dict[str, dict[str, Path]], settings: dict) -> dict:
    def stats(rows: pd.DataFrame) -> dict:
        ok = rows[rows.status == "ok"]
        if ok.empty:
            return {"n": len(rows), "n_ok": 0}
        return {
            "n": len(rows),
            "n_ok": len(ok),
            "mean_rmsd": round(float(ok.rmsd.mean()), 3),
            "median_rmsd": round(float(ok.rmsd.median()), 3),
            "share_rmsd_below_1A": round(float((ok.rmsd < 1.0).mean()), 3),
            "share_rmsd_below_2A": round(float((ok.rmsd < 2.0).mean()), 3),
            "mean_seconds": round(float(ok.seconds.mean()), 2),
            "median_seconds": round(float(ok.seconds.median()), 2),
            "max_seconds": round(float(ok.seconds.max()), 2),
        }

    summary = {"settings": settings, "all": stats(df)}
    for name, ids in sets.items():
        summary[name] = stats(df[df.id.isin(list(ids))])
    return summary


def main() -> None:
    default_data = Path(os.environ.get("DISCODOCK_DATA", REPO.parent / "shared" / "data"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "conformer_matching.csv")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="only the first N complexes (smoke test)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    RDLogger.DisableLog("rdApp.*")

    sets = complex_sets(args.data)
    todo = [(cid, path) for ids in sets.values() for cid, path in ids.items()][: args.limit]
    df = pd.read_csv(args.out) if args.out.exists() else pd.DataFrame(columns=COLUMNS)
    done = set(df.id.astype(str))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for k, (cid, path) in enumerate(todo):
        if cid in done:
            continue
        row = {"id": cid, **match_one(path, args.seed, args.tries)}
        print(f"[{k + 1}/{len(todo)}] {cid} {row}", flush=True)
        df = pd.concat([df, pd.DataFrame([row])], ignore_index=True) if len(df) else pd.DataFrame([row], columns=COLUMNS)
        write_atomic(df, args.out)

    settings = {
        "seed": args.seed, "tries": args.tries, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "match_conformer": "defaults (differential evolution + L-BFGS polish)",
    }  # fmt: skip
    summary = summarize(df, sets, settings)
    summary_path = args.out.with_name(args.out.stem + "_summary.json")
    tmp = summary_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    os.replace(tmp, summary_path)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
