"""benchmarks/peak_memory.py: residue counting and the per-child peak RSS measurement."""

import sys

import pytest

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("peak_memory")


def test_residue_count_takes_one_altloc(script, tmp_path):
    pdb = tmp_path / "p.pdb"
    ca = "ATOM      2  CA {alt}ALA A{res:4d}      11.000  12.000  13.000  1.00  0.00           C\n"
    pdb.write_text(ca.format(alt=" ", res=1) + ca.format(alt="A", res=2) + ca.format(alt="B", res=2)
                   + "ATOM      3  CB  ALA A   1      11.000  12.000  13.000  1.00  0.00           C\n"
                   + "HETATM    4  CA  CA  A 900      11.000  12.000  13.000  1.00  0.00          CA\n")
    assert script.residue_count(pdb) == 2


def test_measure_reports_the_childs_own_peak(script):
    small = script.measure([sys.executable, "-c", "print('hi')"])
    big = script.measure([sys.executable, "-c", "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); print(len(b))"])
    assert small["stdout"] == "hi" and big["peak_rss_mib"] > small["peak_rss_mib"] + 250 and small["peak_rss_mib"] < 60
    with pytest.raises(RuntimeError, match="failed"):
        script.measure([sys.executable, "-c", "raise SystemExit(3)"])
