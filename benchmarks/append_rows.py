"""Append benchmark rows from a run's own CSV to the committed rows, renaming methods on the way.

Long runs write to their own folder (e.g. `runs/v2_seed1_disco/posebusters_v2.csv`, resumable); when one
is complete, its rows join `benchmarks/results/posebusters_v2.csv` under the names the reports use. Rows
whose (id, method, mode) the target already has are refused, so nothing is silently replaced; only
complete runs are taken (every id of the source for each kept method). A rerun that should take over
a method's name says so with `--retire OLD=NEW`: the target's rows of OLD are renamed NEW first (kept,
under the new name), then the run's rows are appended.

    python benchmarks/append_rows.py --source runs/v2_seed1_disco/posebusters_v2.csv \
        --rename disco-s1+vina-refine=disco_s1+vina-refine --only disco-s1+vina-refine \
        --target benchmarks/results/posebusters_v2.csv --expect 308
    discodock benchmark --set posebusters_v2 --report-only     # then rewrite the summary and paired tests
    # a rerun of `disco` (e.g. after a sampler fix) takes over the name; the old rows become disco-oldrot
    python benchmarks/append_rows.py --source runs/v2_rotfix_disco/posebusters_v2.csv \
        --retire disco=disco-oldrot disco+vina-refine=disco-oldrot+vina-refine \
        --target benchmarks/results/posebusters_v2.csv --expect 308

A fix that changes only some complexes (e.g. the ligands with a chain double bond) reruns just those: with
`--replace-to FILE` the run's rows take the place of the target's rows of the same (id, method, mode), every
one of which must exist, and the rows they replace are appended to FILE (kept, for the paired comparison).

    python benchmarks/append_rows.py --source runs/torsionfix_disco/posebusters_v2.csv \
        --target benchmarks/results/posebusters_v2.csv \
        --replace-to benchmarks/results/posebusters_v2_before_torsion_fix.csv --expect 24
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

KEY = ["id", "method", "mode"]


def parse_renames(pairs: list[str]) -> dict[str, str]:
    """['old=new', ...] -> {old: new}."""
    renames = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not (sep and old and new):
            raise SystemExit(f"--rename wants OLD=NEW, got {pair!r}")
        renames[old] = new
    return renames


def retire(target: pd.DataFrame, renames: dict[str, str]) -> pd.DataFrame:
    """The target with its rows of each OLD method renamed NEW; SystemExit if OLD has no rows or NEW has some."""
    for old, new in renames.items():
        if not (target["method"] == old).any():
            raise SystemExit(f"--retire {old}={new}: the target has no rows of {old}")
        if (target["method"] == new).any():
            raise SystemExit(f"--retire {old}={new}: the target already has rows of {new}")
    return target.assign(method=target["method"].replace(renames))


def selected_rows(source: pd.DataFrame, only: list[str] | None, renames: dict[str, str],
                  expect: int | None) -> pd.DataFrame:
    """The source's rows of the kept methods (last of duplicates), renamed; SystemExit if a method is incomplete."""
    rows = source if not only else source[source["method"].isin(only)]
    if rows.empty:
        raise SystemExit("no rows to append (check --only)")
    rows = rows.drop_duplicates(KEY, keep="last").assign(method=lambda r: r["method"].replace(renames))
    for method, group in rows.groupby("method"):
        if expect is not None and group["id"].nunique() != expect:
            raise SystemExit(f"{method}: {group['id'].nunique()} complexes, expected {expect}: the run is not complete")
    return rows


def rows_to_append(source: pd.DataFrame, target: pd.DataFrame, only: list[str] | None, renames: dict[str, str],
                   expect: int | None) -> pd.DataFrame:
    """The source's rows of the kept methods, renamed; SystemExit if a method is incomplete or already there."""
    rows = selected_rows(source, only, renames, expect)
    clash = rows.merge(target[KEY], on=KEY)
    if not clash.empty:
        raise SystemExit(f"{len(clash)} rows already in the target, e.g. {tuple(clash.iloc[0][KEY])}")
    return rows[target.columns]


def replace_rows(target: pd.DataFrame, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the target with `rows` in place of its rows of the same key, the rows replaced); SystemExit unless each
    of `rows` replaces exactly one."""
    position = {key: i for i, key in enumerate(target[KEY].itertuples(index=False, name=None))}
    keys = list(rows[KEY].itertuples(index=False, name=None))
    missing = [key for key in keys if key not in position]
    if missing:
        raise SystemExit(f"{len(missing)} rows have nothing to replace in the target, e.g. {missing[0]}")
    if target.duplicated(KEY).any():
        raise SystemExit("the target holds duplicate (id, method, mode) rows: which one to replace is unclear")
    at = [position[key] for key in keys]
    updated = target.copy()
    updated.iloc[at] = rows[target.columns].to_numpy()
    return updated, target.iloc[at]


def main(argv: list[str] | None = None) -> None:
    from discodock.atomic import atomic_open

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--target", type=Path, required=True)
    parser.add_argument("--only", nargs="+", default=None, help="methods to take (source names); default all")
    parser.add_argument("--rename", nargs="+", default=[], metavar="OLD=NEW")
    parser.add_argument("--expect", type=int, default=None, help="complexes each kept method must have")
    parser.add_argument("--retire", nargs="+", default=[], metavar="OLD=NEW",
                        help="rename the target's rows of OLD to NEW before appending (a rerun takes over OLD)")
    parser.add_argument("--replace-to", type=Path, default=None, metavar="FILE",
                        help="replace the target's rows of the same (id, method, mode) and append those to FILE")
    args = parser.parse_args(argv)

    # as text, so that the rows keep their exact values and the target's existing lines stay byte for byte
    source = pd.read_csv(args.source, dtype=str, keep_default_na=False)
    target = pd.read_csv(args.target, dtype=str, keep_default_na=False)
    if args.replace_to is not None:
        if args.retire:
            raise SystemExit("--replace-to and --retire do not go together")
        updated, replaced = replace_rows(target, selected_rows(source, args.only, parse_renames(args.rename),
                                                               args.expect))
        kept = args.replace_to.read_text() if args.replace_to.is_file() else ",".join(target.columns) + "\n"
        with atomic_open(args.replace_to) as handle:
            handle.write(kept)
            replaced.to_csv(handle, index=False, header=False, lineterminator="\n")
        with atomic_open(args.target) as handle:
            updated.to_csv(handle, index=False, lineterminator="\n")
        print(f"replaced {len(replaced)} rows of {args.target}; the old ones appended to {args.replace_to}")
        return
    retired = parse_renames(args.retire)
    target = retire(target, retired) if retired else target
    new = rows_to_append(source, target, args.only, parse_renames(args.rename), args.expect)
    text = args.target.read_text()
    if retired:  # read as text, so the rewritten rows keep their exact values
        text = target.to_csv(index=False, lineterminator="\n")
    with atomic_open(args.target) as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
        new.to_csv(handle, index=False, header=False, lineterminator="\n")
    print(f"appended {len(new)} rows ({', '.join(sorted(new['method'].unique()))}) to {args.target}"
          + (f"; renamed {', '.join(f'{o} -> {n}' for o, n in retired.items())}" if retired else ""))


if __name__ == "__main__":
    main()
