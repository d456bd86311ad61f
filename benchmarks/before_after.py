"""Rows replaced by a partial rerun (`append_rows.py --replace-to`) against the rows that replaced them.

After a fix that changes only some complexes, those complexes are rerun and their rows take the place of
the old ones in the results; the old rows are kept in a file of their own. This pairs each method's old
and new rows on those complexes (exact McNemar on top-1 and best-of-N success, Wilcoxon on top-1 RMSD).

    python benchmarks/before_after.py --before benchmarks/results/posebusters_v2_before_fixes.csv \
        --after benchmarks/results/posebusters_v2.csv --out benchmarks/results/posebusters_v2_fix_effect.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BEFORE = "{}@before"  # how the old rows are named in the pairing


def fix_effect(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One paired row per method and mode of `before`: new rows (a) vs old rows (b), on the old rows' complexes."""
    from discodock.evaluation.benchmark import paired_comparison

    key = ["id", "method", "mode"]
    after = after.drop_duplicates(key, keep="last").merge(before[key], on=key)  # the replacing rows only
    old = before.drop_duplicates(key, keep="last").assign(method=lambda r: r["method"].map(BEFORE.format))
    rows = pd.concat([after, old], ignore_index=True)
    tables = [paired_comparison(rows, method, BEFORE.format(method)) for method in sorted(before["method"].unique())]
    return pd.concat(tables, ignore_index=True)


def main(argv: list[str] | None = None) -> None:
    from discodock.atomic import atomic_open

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the replaced rows")
    parser.add_argument("--after", type=Path, required=True, help="the results holding the rows that replaced them")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    table = fix_effect(pd.read_csv(args.before, dtype={"id": str}), pd.read_csv(args.after, dtype={"id": str}))
    with atomic_open(args.out) as handle:
        table.to_csv(handle, index=False, float_format="%.4f")
    print(table[["a", "mode", "n", "success_a", "success_b", "only_a", "only_b", "p_value"]].to_string(index=False))


if __name__ == "__main__":
    main()
