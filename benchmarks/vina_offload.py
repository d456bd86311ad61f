"""Run the Vina baseline's docking step on another machine with more cores, in three stages.

The same computation as `benchmarks/vina_baseline.py`, split so that the expensive part needs
only the `vina` package and numpy:

  prepare  (here)   receptor PDBQT (obabel -xr -p 7.4, then cropped to atoms within 8 Å of the
                    box: Vina's interaction cutoff is 8 Å, so grid maps and scores are unchanged),
                    ligand PDBQT from a fresh ETKDG conformer (meeko), box  -> jobs.json.gz
  dock     (there)  a pool of workers runs Vina on each job                -> docked.json.gz
  collect  (here)   map poses back onto the ligand, symmetry RMSD, append rows to the CSV

Rows get status `ok (offloaded)` and their `seconds` are the remote machine's; compare timings
only between rows run on the same machine.

    python benchmarks/vina_offload.py prepare --out runs/vina_jobs.json.gz
    python benchmarks/vina_offload.py dock runs/vina_jobs.json.gz --out docked.json.gz --workers 15
    python benchmarks/vina_offload.py collect runs/vina_jobs.json.gz docked.json.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from pathlib import Path

VINA_CUTOFF = 8.0  # Å, Vina's interaction cutoff: receptor atoms farther from the box never count


def _crop_pdbqt(text: str, center, box, margin: float = VINA_CUTOFF) -> str:
    """Keep receptor atom lines inside the box grown by `margin` on every side."""
    lo = [c - b / 2 - margin for c, b in zip(center, box)]
    hi = [c + b / 2 + margin for c, b in zip(center, box)]
    kept = []
    for line in text.splitlines():
        if line.startswith(("ATOM", "HETATM")):
            xyz = (float(line[30:38]), float(line[38:46]), float(line[46:54]))
            if not all(l <= v <= h for v, l, h in zip(xyz, lo, hi)):
                continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def prepare(args: argparse.Namespace) -> None:
    import pandas as pd

    from discodock.baselines.vina import fresh_conformer, ligand_pdbqt, pocket_box, prepare_receptor, read_ligand
    from discodock.evaluation.datasets import default_data_root, load_set

    done = set(pd.read_csv(args.csv)["id"].astype(str)) if args.csv.exists() else set()
    jobs = []
    for c in load_set(args.set, args.data or default_data_root()):
        if c.id in done:
            continue
        crystal = read_ligand(c.ligand)
        center, box = pocket_box(crystal)
        receptor = prepare_receptor(c.protein).read_text()
        jobs.append({
            "id": c.id,
            "receptor": _crop_pdbqt(receptor, center.tolist(), box.tolist()),
            "ligand": ligand_pdbqt(fresh_conformer(crystal, args.seed)),
            "center": center.tolist(),
            "box": box.tolist(),
            "seed": args.seed,
            "exhaustiveness": args.exhaustiveness,
        })
        print(f"prepared {c.id} ({len(jobs)})", flush=True)
    with gzip.open(args.out, "wt") as handle:
        json.dump(jobs, handle)
    print(f"{len(jobs)} jobs -> {args.out}")


def _dock_job(job: dict) -> dict:
    import tempfile

    from vina import Vina

    start = time.time()
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".pdbqt", delete=False) as handle:
            handle.write(job["receptor"])
        v = Vina(sf_name="vina", cpu=1, seed=job["seed"], verbosity=0)
        v.set_receptor(handle.name)
        v.set_ligand_from_string(job["ligand"])
        v.compute_vina_maps(center=job["center"], box_size=job["box"])
        v.dock(exhaustiveness=job["exhaustiveness"], n_poses=9)
        result = {"poses": v.poses(n_poses=9), "energies": v.energies(n_poses=9)[:, 0].tolist(), "status": "ok"}
        os.unlink(handle.name)
    except Exception as error:  # recorded per complex and counted as a miss, as in vina_baseline.py
        message = " ".join(str(error).split())  # one line, for the CSV
        result = {"poses": "", "energies": [], "status": f"error: {type(error).__name__}: {message}"[:200]}
    return {"id": job["id"], "seconds": round(time.time() - start, 2), **result}


def dock(args: argparse.Namespace) -> None:
    from multiprocessing import Pool

    with gzip.open(args.jobs, "rt") as handle:
        jobs = json.load(handle)
    results = []
    deadline = time.time() + args.max_seconds
    with Pool(args.workers) as pool:
        for result in pool.imap_unordered(_dock_job, jobs):
            results.append(result)
            print(f"[{len(results)}/{len(jobs)}] {result['id']} {result['status']} {result['seconds']} s", flush=True)
            if len(results) % 10 == 0 or time.time() > deadline:
                _write_json_gz(results, args.out)
            if time.time() > deadline:
                print("time budget reached; unfinished jobs stay for a later run", flush=True)
                pool.terminate()
                break
    _write_json_gz(results, args.out)


def _write_json_gz(obj, path: Path) -> None:
    tmp = Path(f"{path}.tmp")
    with gzip.open(tmp, "wt") as handle:
        json.dump(obj, handle)
    os.replace(tmp, path)


def collect(args: argparse.Namespace) -> None:
    import csv

    import pandas as pd

    from discodock.baselines.vina import _poses_from_vina, read_ligand
    from discodock.evaluation.datasets import default_data_root, load_set
    from discodock.evaluation.rmsd import symmetry_rmsd

    with gzip.open(args.docked, "rt") as handle:
        docked = {r["id"]: r for r in json.load(handle)}
    complexes = {c.id: c for c in load_set(args.set, args.data or default_data_root())}
    done = set(pd.read_csv(args.csv)["id"].astype(str)) if args.csv.exists() else set()
    new_file = not args.csv.exists()
    with args.csv.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "top1_rmsd", "best_rmsd", "seconds", "status"])
        if new_file:
            writer.writeheader()
        for cid, r in docked.items():
            if cid in done:
                continue
            row = {"id": cid, "top1_rmsd": float("nan"), "best_rmsd": float("nan"), "seconds": r["seconds"],
                   "status": r["status"]}
            if r["status"] == "ok":
                crystal = read_ligand(complexes[cid].ligand)
                poses = _poses_from_vina(r["poses"], crystal)
                rmsds = symmetry_rmsd(crystal, [p.GetConformer().GetPositions() for p in poses])
                row.update(top1_rmsd=float(rmsds[0]), best_rmsd=float(rmsds.min()), status="ok (offloaded)")
            writer.writerow(row)
    print(f"collected {len(docked)} rows into {args.csv}; rerun vina_baseline.py to refresh its summary")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="stage", required=True)
    results = Path(__file__).resolve().parent / "results" / "vina_posebusters_v2.csv"
    p = sub.add_parser("prepare")
    p.add_argument("--set", default="posebusters_v2")
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--csv", type=Path, default=results, help="rows already here are skipped")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--exhaustiveness", type=int, default=8)
    p.add_argument("--out", type=Path, required=True)
    d = sub.add_parser("dock")
    d.add_argument("jobs", type=Path)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--workers", type=int, default=os.cpu_count())
    d.add_argument("--max-seconds", type=float, default=480.0)
    c = sub.add_parser("collect")
    c.add_argument("jobs", type=Path)
    c.add_argument("docked", type=Path)
    c.add_argument("--set", default="posebusters_v2")
    c.add_argument("--data", type=Path, default=None)
    c.add_argument("--csv", type=Path, default=results)
    args = parser.parse_args()
    {"prepare": prepare, "dock": dock, "collect": collect}[args.stage](args)


if __name__ == "__main__":
    main()
