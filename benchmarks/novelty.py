"""Sequence identity of each PoseBusters V2 protein to the training proteins (train_pool + V1-only).

    OMP_NUM_THREADS=1 python benchmarks/novelty.py   # ~5 min; writes results/posebusters_v2_identity.csv

`discodock benchmark` reads that CSV to report success by identity bin (<30 %, 30–90 %, ≥90 %).
The identity definition is in discodock/evaluation/novelty.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from discodock.atomic import atomic_open  # noqa: E402
from discodock.evaluation.datasets import default_data_root, load_set  # noqa: E402
from discodock.evaluation.novelty import chain_sequences, identity_bin, max_sequence_identity  # noqa: E402
from discodock.training.dataset import TRAIN_SETS  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "posebusters_v2_identity.csv"


def main() -> None:
    root = default_data_root()
    train = {c.id: chain_sequences(c.protein) for name in TRAIN_SETS for c in load_set(name, root)}
    test = {c.id: chain_sequences(c.protein) for c in load_set("posebusters_v2", root)}
    identity = max_sequence_identity(test, train)
    table = pd.DataFrame({"id": list(identity), "max_identity": list(identity.values())})
    table["bin"] = table["max_identity"].map(identity_bin)
    with atomic_open(OUT) as handle:
        table.to_csv(handle, index=False, float_format="%.4f")
    print(table["bin"].value_counts().to_string())


if __name__ == "__main__":
    main()
