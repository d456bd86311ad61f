"""benchmarks/append_rows.py: a complete run's rows join the committed rows, renamed, never replacing any."""

import pandas as pd
import pytest

from ..conftest import load_benchmark_script

HEADER = "id,method,mode,top1_rmsd,top5_rmsd,oracle_rmsd,confidence,pb_valid,seconds,status\n"


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("append_rows")


def _write(path, lines):
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines))
    return path


def test_appends_renamed_rows_and_keeps_the_target_bytes(script, tmp_path):
    target = _write(tmp_path / "target.csv", ["A,disco,pocket,1.5,1.5,0.5,0.25,True,3.0,ok"])
    before = target.read_bytes()
    source = _write(tmp_path / "source.csv", ["A,disco-s1,pocket,9.0,9.0,9.0,0.1,False,1.0,ok",
                                              "A,disco-s1+vina-refine,pocket,0.123456789012,1,1,-7.5,,2.0,ok",
                                              "B,disco-s1+vina-refine,pocket,,,,,,0.5,failed: unreadable"])
    script.main(["--source", str(source), "--target", str(target), "--only", "disco-s1+vina-refine",
                 "--rename", "disco-s1+vina-refine=disco_s1+vina-refine", "--expect", "2"])
    after = target.read_bytes()
    assert after.startswith(before)  # existing lines untouched
    assert after[len(before):].decode() == ("A,disco_s1+vina-refine,pocket,0.123456789012,1,1,-7.5,,2.0,ok\n"
                                            "B,disco_s1+vina-refine,pocket,,,,,,0.5,failed: unreadable\n")
    with pytest.raises(SystemExit, match="already in the target"):  # a second time: refused
        script.main(["--source", str(source), "--target", str(target), "--only", "disco-s1+vina-refine",
                     "--rename", "disco-s1+vina-refine=disco_s1+vina-refine"])
    assert len(pd.read_csv(target)) == 3


def test_incomplete_runs_and_bad_renames_are_refused(script, tmp_path):
    target = _write(tmp_path / "target.csv", [])
    source = _write(tmp_path / "source.csv", ["A,twin-s1,pocket,1,1,1,0.1,,1.0,ok"])
    with pytest.raises(SystemExit, match="1 complexes, expected 308"):
        script.main(["--source", str(source), "--target", str(target), "--expect", "308"])
    with pytest.raises(SystemExit, match="OLD=NEW"):
        script.main(["--source", str(source), "--target", str(target), "--rename", "twin-s1"])
    assert target.read_text() == HEADER
