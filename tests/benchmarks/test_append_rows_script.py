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


def test_a_rerun_takes_over_a_name_and_the_old_rows_are_kept_renamed(script, tmp_path):
    target = _write(tmp_path / "target.csv", ["A,disco,pocket,1.5,1.5,0.5,0.25,True,3.0,ok",
                                              "A,disco,blind,0.1234567890123,9,9,0.1,,3.0,ok",
                                              "A,twin,pocket,2.5,2.5,2.5,0.5,,3.0,ok"])
    source = _write(tmp_path / "source.csv", ["A,disco,pocket,0.7,0.7,0.7,0.3,True,2.0,ok"])
    script.main(["--source", str(source), "--target", str(target), "--retire", "disco=disco-oldrot", "--expect", "1"])
    assert target.read_text() == HEADER + ("A,disco-oldrot,pocket,1.5,1.5,0.5,0.25,True,3.0,ok\n"
                                           "A,disco-oldrot,blind,0.1234567890123,9,9,0.1,,3.0,ok\n"
                                           "A,twin,pocket,2.5,2.5,2.5,0.5,,3.0,ok\n"
                                           "A,disco,pocket,0.7,0.7,0.7,0.3,True,2.0,ok\n")
    before = target.read_text()
    with pytest.raises(SystemExit, match="no rows of disco-v9"):
        script.main(["--source", str(source), "--target", str(target), "--retire", "disco-v9=x"])
    with pytest.raises(SystemExit, match="already has rows of twin"):
        script.main(["--source", str(source), "--target", str(target), "--retire", "disco=twin"])
    assert target.read_text() == before  # a refused call writes nothing


def test_a_partial_rerun_replaces_its_rows_in_place_and_keeps_the_old_ones(script, tmp_path):
    target = _write(tmp_path / "target.csv", ["A,disco,pocket,1.5,1.5,0.5,0.25,True,3.0,ok",
                                              "B,disco,pocket,4.0,4.0,1.0,0.2,False,3.0,ok",
                                              "B,twin,pocket,2.5,2.5,2.5,0.5,,3.0,ok"])
    source = _write(tmp_path / "source.csv", ["B,disco,pocket,0.7,0.7,0.7,0.3,True,2.0,ok"])
    kept = tmp_path / "before_fix.csv"
    script.main(["--source", str(source), "--target", str(target), "--replace-to", str(kept), "--expect", "1"])
    assert target.read_text() == HEADER + ("A,disco,pocket,1.5,1.5,0.5,0.25,True,3.0,ok\n"
                                           "B,disco,pocket,0.7,0.7,0.7,0.3,True,2.0,ok\n"
                                           "B,twin,pocket,2.5,2.5,2.5,0.5,,3.0,ok\n")
    assert kept.read_text() == HEADER + "B,disco,pocket,4.0,4.0,1.0,0.2,False,3.0,ok\n"
    before = target.read_text()
    absent = _write(tmp_path / "absent.csv", ["C,disco,pocket,0.7,0.7,0.7,0.3,True,2.0,ok"])
    with pytest.raises(SystemExit, match="nothing to replace"):
        script.main(["--source", str(absent), "--target", str(target), "--replace-to", str(kept)])
    assert target.read_text() == before and kept.read_text().count("\n") == 2
