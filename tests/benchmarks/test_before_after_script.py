"""benchmarks/before_after.py: the old rows of a partial rerun paired with the rows that replaced them."""

import pandas as pd
import pytest

from ..conftest import load_benchmark_script

COLUMNS = ["id", "method", "mode", "top1_rmsd", "top5_rmsd", "oracle_rmsd", "confidence", "pb_valid", "seconds",
           "status"]


def _rows(method: str, ids: list[str], top1: list[float]) -> list[dict]:
    return [{"id": i, "method": method, "mode": "pocket", "top1_rmsd": r, "top5_rmsd": r, "oracle_rmsd": r,
             "confidence": 0.0, "pb_valid": "", "seconds": 1.0, "status": "ok"} for i, r in zip(ids, top1)]


def test_pairs_each_method_on_the_rerun_complexes_only():
    script = load_benchmark_script("before_after")
    before = pd.DataFrame(_rows("disco", ["A", "B", "C"], [3.0, 3.0, 1.0]) + _rows("twin", ["A"], [1.0]),
                          columns=COLUMNS)
    after = pd.DataFrame(_rows("disco", ["A", "B", "C", "D"], [1.0, 1.0, 3.0, 1.0])
                         + _rows("twin", ["A", "B"], [3.0, 1.0]), columns=COLUMNS)
    table = script.fix_effect(before, after).set_index("a")
    assert list(table.index) == ["disco", "twin"] and list(table["b"]) == ["disco@before", "twin@before"]
    assert table.loc["disco", "n"] == 3  # D was not rerun
    assert (table.loc["disco", "only_a"], table.loc["disco", "only_b"]) == (2, 1)
    assert table.loc["disco", "success_a"] == pytest.approx(2 / 3)
    assert (table.loc["twin", "n"], table.loc["twin", "only_b"]) == (1, 1)
