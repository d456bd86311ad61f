"""Atomic output: complete files or none, and create-if-absent for files that several processes append to."""

import os

from discodock.atomic import atomic_write_text, create_if_absent


def test_create_if_absent_creates_once_and_keeps_what_was_appended(tmp_path):
    path = tmp_path / "sub" / "rows.csv"
    assert create_if_absent(path, "id,value\n")
    with path.open("a") as handle:  # another process's row
        handle.write("a,1\n")
    assert not create_if_absent(path, "id,value\n")
    assert path.read_text() == "id,value\na,1\n"
    assert [p.name for p in path.parent.iterdir()] == ["rows.csv"]  # no temporary file left


def test_create_if_absent_gives_plain_permissions(tmp_path):
    path = tmp_path / "rows.csv"
    create_if_absent(path, "x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write_text(path, "first, longer text")
    atomic_write_text(path, "second")
    assert path.read_text() == "second"
