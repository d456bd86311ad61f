"""How often does `discodock.chem.pockets.find_pockets` put a pocket on the ligand's site?

For each complex of the named sets: the pockets of the protein file alone (the crystal ligand is not in
it), and the distance from each of the first five pocket centres to the crystal ligand's heavy-atom
centroid (DCC). Success at k: one of the first k pockets within 4 Å (the usual DCC criterion) or 6 Å.
The settings (`find_pockets` defaults) were chosen on `train_pool`; PoseBusters V2 is the test.

    python benchmarks/pocket_finding.py --sets train_pool posebusters_v2 \
        --out benchmarks/results/pocket_finding.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from discodock.chem.ligand import read_ligand  # noqa: E402
from discodock.chem.pockets import find_pockets  # noqa: E402
from discodock.chem.protein import heavy_atoms  # noqa: E402
from discodock.errors import InputError  # noqa: E402
from discodock.evaluation.datasets import default_data_root, load_set  # noqa: E402

TOP_K, CUTOFFS = (1, 3, 5), (4.0, 6.0)


def pocket_distances(protein: Path, ligand: Path, max_pockets: int = 5) -> tuple[list[float], float]:
    """(DCC of each pocket in rank order, seconds to find them)."""
    centroid = read_ligand(ligand).GetConformer().GetPositions()[:, :3].mean(0)
    atoms = heavy_atoms(protein)
    start = time.perf_counter()
    pockets = find_pockets(atoms, max_pockets=max_pockets)
    return [float(np.linalg.norm(p.center - centroid)) for p in pockets], time.perf_counter() - start


def summarize(rows: pd.DataFrame) -> pd.DataFrame:
    """Per set: n (failed complexes count as misses) and the share of complexes with a pocket within each
    cutoff among the first k."""
    distance_columns = [c for c in rows.columns if c.startswith("dcc_")]
    out = []
    for name, group in rows.groupby("set", sort=False):
        dcc = group[distance_columns].to_numpy(dtype=float)  # NaN: fewer pockets found, or a failed complex
        row = {"set": name, "n": len(group), "failed": int((group["status"] != "ok").sum())}
        for cutoff in CUTOFFS:
            for k in TOP_K:
                row[f"top{k}_within_{cutoff:g}A"] = float(np.any(np.nan_to_num(dcc[:, :k], nan=np.inf) < cutoff, 1).mean())
        row["median_seconds"] = float(group["seconds"].median())
        out.append(row)
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> None:
    from discodock.atomic import atomic_open

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=["train_pool", "posebusters_v2"])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True, help="per-complex CSV; the summary goes beside it")
    args = parser.parse_args(argv)

    rows = []
    for name in args.sets:
        for c in load_set(name, args.data or default_data_root()):
            try:
                distances, seconds = pocket_distances(c.protein, c.ligand)
            except InputError as error:  # an unreadable file: a miss, recorded, and the run goes on
                rows.append({"set": name, "id": c.id, "status": f"failed: {error}"})
                continue
            rows.append({"set": name, "id": c.id, "seconds": round(seconds, 3), "status": "ok",
                         **{f"dcc_{i + 1}": round(d, 2) for i, d in enumerate(distances)}})
    table = pd.DataFrame(rows)
    summary = summarize(table)
    for path, frame in ((args.out, table), (args.out.with_name(args.out.stem + "_summary.csv"), summary)):
        with atomic_open(path) as handle:
            frame.to_csv(handle, index=False, float_format="%.4f", lineterminator="\n")
    print(summary.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
