"""Build the training cache: train_pool (154) + PoseBusters V1-only (120), featurised (blind), as plain tensors.

    python benchmarks/build_cache.py [--out cache/train_blind.pt] [--data-root ../shared/data] [--limit N]
    python benchmarks/build_cache.py --data-root /path/to/PDBBind --layout pdbbind \
        --ids /path/to/timesplit_no_lig_overlap_train --out cache/pdbbind_train.pt     # a full PDBBind copy

Each complex: read_protein + read_ligand + match_conformer + featurize_complex; unreadable ones are
listed with their reason in the cache's `failures` and in the log. Resumable (partial saves). The
PoseBusters V2 test set (308) is refused. Prints the count, the failures and the file size.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from discodock.training.config import resolve_path  # noqa: E402
from discodock.training.dataset import build_cache, featurize_training_complex, training_complexes  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="cache/train_blind.pt")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--layout", choices=["shared", "pdbbind"], default=None,
                        help="read a folder of complexes in this layout instead of the default training sets")
    parser.add_argument("--ids", default=None, help="with --layout: file of complex ids to use")
    parser.add_argument("--limit", type=int, default=None, help="first N complexes only (smoke runs)")
    parser.add_argument("--match-tries", type=int, default=1, help="conformers fitted per ligand (best kept; ~linear cost)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    if args.layout is not None:
        from discodock.evaluation.datasets import list_complexes

        complexes = list_complexes(args.data_root, args.layout, args.ids)[: args.limit]
    else:
        complexes = training_complexes(args.data_root)[: args.limit]
    out = resolve_path(args.out)
    start = time.time()
    cache = build_cache(complexes, out, featurize=partial(featurize_training_complex, match_tries=args.match_tries))
    print(f"{len(cache['graphs'])} complexes cached, {len(cache['failures'])} failed, "
          f"{out.stat().st_size / 1e6:.1f} MB, {time.time() - start:.0f} s -> {out}")
    for cid, reason in cache["failures"]:
        print(f"  failed {cid}: {reason}")
    rmsd = torch.tensor(cache["match_rmsd"])
    if len(rmsd):
        print(f"conformer-matching RMSD: median {rmsd.median():.2f} Å, max {rmsd.max():.2f} Å")


if __name__ == "__main__":
    main()
