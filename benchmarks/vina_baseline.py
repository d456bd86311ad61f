"""AutoDock Vina with the pocket given, on a named set of the shared data (default PoseBusters V2).

Box: crystal-ligand heavy-atom centroid, edges = ligand extent + 10 Å per axis; exhaustiveness 8,
fixed seed, 9 poses, one CPU; the ligand starts from a fresh ETKDG conformer. The receptor is the
whole protein file, cofactors, ions and additives included (see discodock.baselines.vina).
Each complex runs in a child process limited to --timeout CPU seconds (CPU, not wall clock: the
machine is shared); timeouts and errors count as misses. Resumable: one row per complex is
appended (and flushed) to --out; ids already there are skipped (--retry-errors re-runs the errored
ones; the last row of an id wins). At the end a summary JSON is written beside the CSV. Each row also
carries its top pose's Vina score (`top1_score`, re-minimised by `VinaScorer`), the score our
`--vina-rank` rows carry, for benchmarks/vina_pool.py.

    OMP_NUM_THREADS=1 nohup python benchmarks/vina_baseline.py > runs/vina.log 2>&1 &
    OMP_NUM_THREADS=1 python benchmarks/vina_baseline.py --set study --exhaustiveness 1 \
        --out benchmarks/results/vina_study_exh1.csv    # the studies' validation + time-split complexes
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import platform
import resource
import signal
import time
from pathlib import Path

import pandas as pd

from discodock.atomic import atomic_write_text
from discodock.baselines.vina import BOX_PADDING, DEFAULT_SEED, VinaScorer, dock_with_vina, pocket_box, read_ligand
from discodock.errors import InputError
from discodock.evaluation.datasets import ComplexPaths, default_data_root, load_set
from discodock.evaluation.metrics import median_rmsd, success_rate, success_with_ci
from discodock.evaluation.rmsd import symmetry_rmsd

# cpu_seconds: immune to shared-CPU load; top1_score: the top pose re-minimised by `VinaScorer` in the same box,
# the energy that `--vina-rank` rows carry (column `confidence`), so that the two can be compared pose for pose
COLUMNS = ["id", "top1_rmsd", "best_rmsd", "seconds", "status", "cpu_seconds", "top1_score"]
RESULTS = Path(__file__).resolve().parent / "results"


def dock_one(c: ComplexPaths, exhaustiveness: int, seed: int) -> tuple[float, float, float]:
    """Top-1 and best-of-9 symmetry RMSD of Vina's poses for one complex, and the top pose's score."""
    crystal = read_ligand(c.ligand)
    center, box = pocket_box(crystal)
    poses = dock_with_vina(c.protein, crystal, center, box, exhaustiveness=exhaustiveness, seed=seed, cpu=1)
    rmsds = symmetry_rmsd(crystal, [p.GetConformer().GetPositions() for p, _ in poses])
    try:  # counted in the row's seconds; a failure here must not lose the docking's RMSDs
        top1_score, _ = VinaScorer(c.protein, center, box)(poses[0][0], local_optimize=True)
    except (RuntimeError, InputError):
        top1_score = float("nan")
    return float(rmsds[0]), float(rmsds.min()), top1_score


WALL_FACTOR = 10  # wall-clock safety net = this × the CPU limit (the CPUs here are shared and busy)


def _child(conn, c: ComplexPaths, exhaustiveness: int, seed: int, cpu_limit: float) -> None:
    # a CPU-time limit, not a wall-clock one, so that a busy shared machine does not turn into misses;
    # the kernel sends SIGXCPU (default action: terminate) when it is spent
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_limit), int(cpu_limit) + 10))
    try:
        conn.send(("ok", dock_one(c, exhaustiveness, seed)))
    except Exception as exc:  # reported per complex in the CSV status, then counted as a miss
        conn.send((f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}", None))


def run_with_timeout(c: ComplexPaths, exhaustiveness: int, seed: int, cpu_limit: float) -> dict:
    """One CSV row: dock in a child process limited to `cpu_limit` CPU seconds."""
    start, cpu_start = time.time(), _children_cpu()
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_child, args=(child, c, exhaustiveness, seed, cpu_limit))
    proc.start()
    status, result = "timeout (wall)", None
    deadline = start + WALL_FACTOR * cpu_limit
    while time.time() < deadline:
        if parent.poll(1.0):
            status, result = parent.recv()
            break
        if not proc.is_alive():
            status = "timeout" if proc.exitcode == -signal.SIGXCPU else f"crashed: exit code {proc.exitcode}"
            break
    if proc.is_alive() and result is None:
        proc.kill()
    proc.join()
    top1, best, score = result if result else (float("nan"),) * 3
    return {"id": c.id, "top1_rmsd": top1, "best_rmsd": best, "seconds": round(time.time() - start, 2),
            "status": status, "cpu_seconds": round(_children_cpu() - cpu_start, 2), "top1_score": score}


def _children_cpu() -> float:
    """CPU seconds (user + system) used by finished child processes, the obabel subprocess included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def latest_rows(out: Path) -> pd.DataFrame:
    """The CSV with one row per complex: a retried complex's last row wins."""
    if not out.exists() or out.stat().st_size == 0:
        return pd.DataFrame(columns=COLUMNS)
    rows = pd.read_csv(out, dtype={"id": str, "status": str})
    return rows.drop_duplicates("id", keep="last")


def summarize(rows: pd.DataFrame, settings: dict) -> dict:
    """Top-1 success with a Wilson 95 % interval, best-of-9 success, median RMSD and seconds."""
    n = len(rows)
    ok = rows["status"].astype(str).str.startswith("ok")  # "ok" or an annotated "ok (...)"
    timeout = rows["status"].astype(str).str.startswith("timeout")
    success, low, high = success_with_ci(rows["top1_rmsd"])
    return {
        "n": n,
        "n_ok": int(ok.sum()),
        "n_timeout": int(timeout.sum()),
        "n_error": int(n - ok.sum() - timeout.sum()),
        "top1_success": success,
        "top1_success_ci95": [low, high],
        "best_of_9_success": success_rate(rows["best_rmsd"]),
        "median_top1_rmsd": median_rmsd(rows["top1_rmsd"]),
        "median_seconds": float(rows["seconds"].median()),
        "median_cpu_seconds": float(rows["cpu_seconds"].median()) if "cpu_seconds" in rows else float("nan"),
        "settings": settings,
    }


def append_rows(out: Path, todo: list[ComplexPaths], args: argparse.Namespace) -> None:
    """Dock each complex and append its row, flushed to disk, so that an interrupted run resumes."""
    new_file = not out.exists() or out.stat().st_size == 0
    if not new_file:
        with out.open() as existing:
            header = existing.readline().strip().split(",")
        if header != COLUMNS:
            raise InputError(out, f"has columns {header}, this version writes {COLUMNS}: give a new --out")
    with out.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        if new_file:
            writer.writeheader()
        for i, c in enumerate(todo):
            row = run_with_timeout(c, args.exhaustiveness, args.seed, args.timeout)
            writer.writerow(row)
            handle.flush()
            os.fsync(handle.fileno())
            print(f"[{i + 1}/{len(todo)}] {row}", flush=True)


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' -> (K, N) with 0 <= K < N."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit()) or not 0 <= int(k) < int(n):
        raise argparse.ArgumentTypeError(f"--shard wants K/N with 0 <= K < N, got {text!r}")
    return int(k), int(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="data root (default: $DISCODOCK_DATA or ../shared/data)")
    parser.add_argument("--set", default="posebusters_v2",
                        help="named set from discodock.evaluation.datasets, or 'study': the validation split of "
                             "configs/train_disco_pocket.yaml + the time-split complexes (as benchmarks/*_study.py)")
    parser.add_argument("--out", type=Path, default=None, help="CSV (default benchmarks/results/vina_<set>.csv)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help=f"CPU seconds per complex (wall-clock net: {WALL_FACTOR}x)")
    parser.add_argument("--exhaustiveness", type=int, default=8)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--limit", type=int, default=None, help="only the first N complexes of the set")
    parser.add_argument("--shard", type=parse_shard, default=(0, 1), metavar="K/N",
                        help="dock only every N-th complex of the set, starting at K (0-based): run N processes "
                             "with K = 0..N-1 on the same --out to use N cores (each row is one appended line)")
    parser.add_argument("--summarize-only", action="store_true", help="rewrite the summary from the CSV, dock nothing")
    parser.add_argument("--retry-errors", action="store_true",
                        help="re-run only complexes whose last row is an error; the new row supersedes it")
    args = parser.parse_args()

    data_root = args.data or default_data_root()
    if args.set == "study":
        from ranking_study import REPO, study_complexes  # benchmarks/ is on sys.path when run as a script

        complexes = study_complexes(REPO / "configs" / "train_disco_pocket.yaml", data_root)[: args.limit]
    else:
        complexes = load_set(args.set, data_root)[: args.limit]
    shard, n_shards = args.shard
    out = args.out or RESULTS / f"vina_{args.set}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = latest_rows(out)
    done = set(previous["id"])
    errors = set(previous.loc[previous["status"].astype(str).str.startswith("error"), "id"])
    if args.summarize_only:
        todo = []
    elif args.retry_errors:
        todo = [c for c in complexes if c.id in errors]
    else:
        todo = [c for c in complexes if c.id not in done]
    todo = [c for c in todo if complexes.index(c) % n_shards == shard]
    print(f"{len(complexes)} complexes, {len(done)} already in {out}, {len(todo)} to run", flush=True)

    if args.summarize_only and not out.exists():
        raise InputError(out, "no results to summarise")
    if todo:
        append_rows(out, todo, args)

    ids = {c.id for c in complexes}
    rows = latest_rows(out)
    rows = rows[rows["id"].isin(ids)]
    settings = {
        "set": args.set, "exhaustiveness": args.exhaustiveness, "seed": args.seed, "n_poses": 9, "cpu": 1,
        "box": f"crystal ligand heavy-atom centroid, extent + {BOX_PADDING} A per axis",
        "receptor": "obabel -xr -p 7.4 on the whole protein file (cofactors, ions, additives kept)",
        "ligand": "fresh RDKit ETKDG + MMFF conformer, meeko", "timeout_cpu_s": args.timeout,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared with other jobs)",
    }
    summary = summarize(rows, settings)
    atomic_write_text(out.with_name(out.stem + "_summary.json"), json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2), flush=True)


if __name__ == "__main__":
    main()
