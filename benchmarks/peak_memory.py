"""Peak memory (RSS) and seconds of `discodock predict` on the largest protein of a set.

Each mode runs as its own process, measured with `os.wait4` from a small launcher (its own peak
RSS, not this script's). Pocket mode uses a shipped pocket bundle, blind mode the shipped blind one
(`--blind-weights random`: a randomly initialised bundle of the blind training config's sizes, for
sizes nobody has trained yet: memory and time depend on the graph and the network's sizes, not on
the weights' values; the output pose of such a run means nothing and is not reported).

    OMP_NUM_THREADS=2 python benchmarks/peak_memory.py --set posebusters_428 \
        --out benchmarks/results/peak_memory.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from discodock.atomic import atomic_write_text
from discodock.evaluation.datasets import default_data_root, load_set

REPO = Path(__file__).resolve().parents[1]


def residue_count(protein_pdb: Path) -> int:
    """Number of Cα atoms (first altloc) in a PDB file: the model's receptor nodes in blind mode."""
    count = 0
    with protein_pdb.open() as handle:
        for line in handle:
            if line.startswith("ATOM") and line[12:16] == " CA " and line[16] in " A":
                count += 1
    return count


def random_blind_bundle(config_yaml: Path, path: Path) -> None:
    """A bundle with the sizes of `config_yaml`'s model, weights randomly initialised (seed 0)."""
    import torch

    from discodock.model import ConfidenceModel, ScoreModel, build_prior
    from discodock.training.config import load_train_config
    from discodock.weights import save_bundle

    torch.manual_seed(0)
    cfg = load_train_config(config_yaml).model
    prior = build_prior(cfg) if cfg.has_latents else None
    save_bundle(path, cfg, ScoreModel(cfg), prior, ConfidenceModel(cfg), mode="blind", pocket_radius=None,
                metadata={"note": "randomly initialised: for memory and speed measurements only"})


# Runs the command and prints its rusage peak RSS (KiB). A child's ru_maxrss also counts the memory of
# the process it was spawned from (Linux keeps the pre-exec high-water mark), so the command is
# spawned from this small launcher rather than from the benchmark process with torch loaded.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
print(f"peak_rss_kib={usage.ru_maxrss}", file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(command: list[str]) -> dict:
    """Wall seconds and peak RSS (MiB) of one command (at least the launcher's own ~10 MiB); raises if it fails."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{run.stderr[-2000:]}")
    peak_kib = int(run.stderr.strip().splitlines()[-1].removeprefix("peak_rss_kib="))
    return {"seconds": round(seconds, 2), "peak_rss_mib": round(peak_kib / 1024, 1),
            "stdout": run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="posebusters_428")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--pocket-weights", default="disco-pocket")
    parser.add_argument("--blind-weights", default="disco",
                        help="a blind bundle, or 'random' (random weights, sizes of --blind-config)")
    parser.add_argument("--blind-config", type=Path, default=REPO / "configs" / "train_disco.yaml")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "peak_memory.json")
    args = parser.parse_args()

    load_at_start = round(os.getloadavg()[0], 2)
    complexes = load_set(args.set, args.data or default_data_root())
    sizes = {c.id: residue_count(c.protein) for c in complexes}
    largest = max(complexes, key=lambda c: sizes[c.id])
    print(f"largest protein of {args.set}: {largest.id}, {sizes[largest.id]} residues", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        blind_weights = args.blind_weights
        if blind_weights == "random":
            blind_weights = str(Path(tmp) / "blind_random.pt")
            random_blind_bundle(args.blind_config, Path(blind_weights))
        base = [sys.executable, "-m", "discodock.cli", "predict", "--protein", str(largest.protein), "--ligand",
                str(largest.ligand), "--samples", str(args.samples), "--steps", str(args.steps),
                "--threads", str(args.threads)]
        runs = {
            "pocket": [*base, "--weights", args.pocket_weights, "--pocket-ligand", str(largest.ligand),
                       "--out", str(Path(tmp) / "pocket")],
            "blind": [*base, "--weights", blind_weights, "--out", str(Path(tmp) / "blind")],
        }
        results = {}
        for mode, command in runs.items():
            results[mode] = measure(command)
            print(mode, results[mode], flush=True)

    report = {
        "set": args.set, "id": largest.id, "residues": sizes[largest.id],
        "ligand_heavy_atoms": _heavy_atoms(largest.ligand),
        "samples": args.samples, "steps": args.steps, "threads": args.threads,
        "pocket_weights": args.pocket_weights,
        "blind_weights": (f"random init, sizes of {args.blind_config.relative_to(REPO)}" if args.blind_weights == "random"
                          else args.blind_weights),
        "results": {mode: {k: v for k, v in r.items() if k != "stdout"} for mode, r in results.items()},
        "note": "seconds include Python start-up, imports and model loading (a fresh process per run)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_1min_at_start": load_at_start,  # other jobs on the machine slow the seconds, not the memory
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


def _heavy_atoms(ligand_sdf: Path) -> int:
    from discodock.chem.ligand import read_ligand

    return read_ligand(ligand_sdf, add_conformer_if_2d=False).GetNumHeavyAtoms()


if __name__ == "__main__":
    main()
