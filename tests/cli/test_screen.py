"""`discodock screen`: DiffDock's CSV, one bad row never stops the batch, unique folders, resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from .conftest import FAST, OUTPUT_FILES

REPO = Path(__file__).resolve().parents[2]
POSE_FILES = set(OUTPUT_FILES)


def write_csv(path: Path, rows: list[tuple[str, object, object]]) -> Path:
    pd.DataFrame(rows, columns=["complex_name", "protein_path", "ligand_description"]).to_csv(path, index=False)
    return path


def screen_args(csv: Path, out: Path, example, bundles) -> list[str]:
    return ["screen", "--csv", str(csv), "--out", str(out), "--pocket-center", example.center,
            "--weights", str(bundles.disco), *FAST]


def read_summary(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "summary.csv", dtype=str, keep_default_na=False)


def assert_complete(out: Path) -> None:
    """Every visible entry is summary.csv or a complete pose folder; temporary names start with '.'."""
    for entry in out.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.name == "summary.csv":
            continue
        assert entry.is_dir(), entry
        assert {p.name for p in entry.iterdir()} == POSE_FILES, entry


def counting(monkeypatch, name: str) -> list:
    """Wrap discodock.pipeline.<name> (screen imports it at call time) and record each call's complex name."""
    import discodock.pipeline as pipeline

    calls: list = []
    original = getattr(pipeline, name)

    def wrapper(*args, **kwargs):
        calls.append(args[0] if name == "prepare" else args[1].name)
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, name, wrapper)
    return calls


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, example, bundles) -> tuple[Path, str]:
    """A 6-row screen: repeated names, a SMILES that does not parse, a missing protein, an empty ligand."""
    from discodock.cli import main

    folder = tmp_path_factory.mktemp("screen")
    csv = write_csv(folder / "pairs.csv", [
        ("lig", example.protein, "CCO"),
        ("lig", example.protein, "c1ccccc1O"),
        ("bad_smiles", example.protein, "C1CC("),
        ("no_protein", folder / "missing.pdb", "CCO"),
        ("../evil name", example.protein, example.ligand),
        ("empty_ligand", example.protein, ""),
    ])
    out = folder / "out"
    code = main(screen_args(csv, out, example, bundles))
    assert code == 0
    return out, str(folder / "missing.pdb")


def test_summary_records_every_row(mixed) -> None:
    out, missing = mixed
    summary = read_summary(out)
    assert summary["row"].tolist() == ["0", "1", "2", "3", "4", "5"]
    assert summary["status"].tolist() == ["ok", "ok", "failed", "failed", "ok", "failed"]
    errors = summary["error"].tolist()
    assert errors[0] == errors[1] == errors[4] == ""
    assert "C1CC(" in errors[2] and "unreadable SMILES" in errors[2]
    assert missing in errors[3] and "protein file not found" in errors[3]
    assert "row 5 ligand_description" in errors[5] and "empty" in errors[5]
    assert all("\n" not in e for e in errors)
    ok = summary[summary["status"] == "ok"]
    assert all(float(c) == float(c) for c in ok["top_confidence"])  # finite numbers recorded


def test_a_row_named_like_the_summary_gets_another_folder_name() -> None:
    from discodock.commands import _unique_names

    assert _unique_names(["summary.csv", "Summary.CSV", "summary"]) == ["summary_csv", "summary_csv-2", "summary"]


def test_folders_are_unique_and_inside_out(mixed) -> None:
    out, _ = mixed
    summary = read_summary(out)
    assert summary["out_dir"].tolist() == ["lig", "lig-2", "bad_smiles", "no_protein", "evil_name", "empty_ligand"]
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert visible == ["evil_name", "lig", "lig-2", "summary.csv"]  # failed rows leave no folder
    assert not (out.parent / "evil name").exists()
    assert_complete(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # a clean run leaves no temporary files


def test_rerun_skips_finished_rows(cli, tmp_path: Path, example, bundles, monkeypatch) -> None:
    csv = write_csv(tmp_path / "pairs.csv", [
        ("a", example.protein, "CCO"),
        ("b", example.protein, "C1CC("),
        ("c", example.protein, "c1ccccc1O"),
    ])
    out = tmp_path / "out"
    assert cli(*screen_args(csv, out, example, bundles)).code == 0
    mtimes = {name: (out / name / "rank1.sdf").stat().st_mtime_ns for name in ("a", "c")}

    docked = counting(monkeypatch, "dock")
    prepared = counting(monkeypatch, "prepare")
    result = cli(*screen_args(csv, out, example, bundles))
    assert result.code == 0 and "2 of 3 rows docked" in result.out
    assert docked == [] and prepared == ["b"]  # only the failed row is tried again
    assert {name: (out / name / "rank1.sdf").stat().st_mtime_ns for name in ("a", "c")} == mtimes
    assert read_summary(out)["status"].tolist() == ["ok", "failed", "ok"]

    # a row whose folder was deleted, or whose CSV line changed, is docked again
    for path in (out / "a").iterdir():
        path.unlink()
    (out / "a").rmdir()
    write_csv(csv, [("a", example.protein, "CCO"), ("b", example.protein, "CCN"), ("c", example.protein, "CCCl")])
    result = cli(*screen_args(csv, out, example, bundles))
    assert result.code == 0 and "3 of 3 rows docked" in result.out
    assert sorted(docked) == ["a", "b", "c"]
    summary = read_summary(out)
    assert summary["status"].tolist() == ["ok", "ok", "ok"]
    assert summary["ligand_description"].tolist() == ["CCO", "CCN", "CCCl"]
    assert_complete(out)

    # other docking settings dock every row again
    docked.clear()
    assert cli(*screen_args(csv, out, example, bundles), "--seed", "3").code == 0
    assert sorted(docked) == ["a", "b", "c"]
    assert json.loads((out / "a" / "run.json").read_text())["seed"] == 3

    # a shorter CSV: the summary keeps its rows only, and the count is of them
    write_csv(csv, [("a", example.protein, "CCO")])
    docked.clear()
    result = cli(*screen_args(csv, out, example, bundles), "--seed", "3")
    assert result.code == 0 and "1 of 1 rows docked" in result.out and docked == []
    assert read_summary(out)["complex_name"].tolist() == ["a"]


def test_a_changed_pocket_center_docks_the_row_again(cli, tmp_path: Path, example, bundles, monkeypatch) -> None:
    csv = tmp_path / "pairs.csv"
    table = pd.DataFrame({"complex_name": ["a", "b"], "protein_path": [str(example.protein)] * 2,
                          "ligand_description": ["CCO", "CCN"], "pocket_center": [example.center] * 2})
    table.to_csv(csv, index=False)
    args = ["screen", "--csv", csv, "--out", tmp_path / "out", "--weights", bundles.disco, *FAST]
    assert cli(*args).code == 0
    moved = [f"{float(v) + 2.0:.3f}" for v in example.center.split(",")]
    table.loc[1, "pocket_center"] = ",".join(moved)
    table.to_csv(csv, index=False)
    docked = counting(monkeypatch, "dock")
    assert cli(*args).code == 0
    assert docked == ["b"]
    assert json.loads((tmp_path / "out" / "b" / "run.json").read_text())["pocket_center"] == [float(v) for v in moved]


def _ok_rows(out: Path) -> set[int]:
    if not (out / "summary.csv").is_file():
        return set()
    summary = read_summary(out)
    return {int(r) for r in summary.loc[summary["status"] == "ok", "row"]}


def test_kill_9_mid_screen_resumes(cli, tmp_path: Path, example, bundles, monkeypatch) -> None:
    smiles = ["CCO", "CCN", "CCCl", "c1ccccc1O", "CC(=O)O", "c1ccncc1", "OCCO", "CC(C)O"]
    csv = write_csv(tmp_path / "pairs.csv", [(f"m{i}", example.protein, s) for i, s in enumerate(smiles)])
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "discodock.cli", *screen_args(csv, out, example, bundles)],
                               env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not _ok_rows(out) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the screen ended before it could be killed"

    finished = _ok_rows(out)
    assert 1 <= len(finished) < len(smiles)
    assert_complete(out)  # half-written outputs only ever under '.' names
    mtimes = {f"m{i}": (out / f"m{i}" / "rank1.sdf").stat().st_mtime_ns for i in finished}

    docked = counting(monkeypatch, "dock")
    result = cli(*screen_args(csv, out, example, bundles))
    assert result.code == 0, result.err
    assert sorted(docked) == sorted(f"m{i}" for i in range(len(smiles)) if i not in finished)  # none redone
    assert {name: (out / name / "rank1.sdf").stat().st_mtime_ns for name in mtimes} == mtimes  # none lost
    summary = read_summary(out)
    assert summary["row"].tolist() == [str(i) for i in range(len(smiles))]
    assert set(summary["status"]) == {"ok"}
    assert_complete(out)


def test_ctrl_c_mid_screen(cli, tmp_path: Path, example, bundles, monkeypatch) -> None:
    """Ctrl-C while row 1 writes its picture: exit 130, one line, row 0 kept, nothing of row 1 left; rerun finishes."""
    import discodock.output as output

    csv = write_csv(tmp_path / "pairs.csv", [("a", example.protein, "CCO"), ("b", example.protein, "CCN")])
    out = tmp_path / "out"
    draw = output.draw_pose_png
    pictures: list = []

    def interrupt_second(*args, **kwargs):
        pictures.append(args[0])
        if len(pictures) == 2:
            raise KeyboardInterrupt
        return draw(*args, **kwargs)

    monkeypatch.setattr(output, "draw_pose_png", interrupt_second)
    result = cli(*screen_args(csv, out, example, bundles))
    assert result.code == 130
    assert result.err_lines[-1].startswith("discodock: interrupted")
    assert sorted(p.name for p in out.iterdir()) == ["a", "summary.csv"]  # staging of 'b' removed, not renamed
    assert read_summary(out)["status"].tolist() == ["ok"]

    monkeypatch.setattr(output, "draw_pose_png", draw)
    docked = counting(monkeypatch, "dock")
    assert cli(*screen_args(csv, out, example, bundles)).code == 0
    assert docked == ["b"]
    assert read_summary(out)["status"].tolist() == ["ok", "ok"]


def test_a_missing_tool_stops_the_screen_instead_of_failing_every_row(cli, tmp_path: Path, example, bundles,
                                                                      monkeypatch) -> None:
    """A SetupError (e.g. no obabel) is the machine's, not the row's: exit 2 with its message, no row marked failed."""
    import discodock.output as output
    from discodock.errors import SetupError

    def missing_tool(*args, **kwargs):
        raise SetupError("obabel: OpenBabel's obabel executable not found")

    monkeypatch.setattr(output, "draw_pose_png", missing_tool)
    csv = write_csv(tmp_path / "pairs.csv", [("a", example.protein, "CCO"), ("b", example.protein, "CCN")])
    result = cli(*screen_args(csv, tmp_path / "out", example, bundles))
    assert result.code == 2 and result.err_lines[-1] == "discodock: error: obabel: OpenBabel's obabel executable not found"
    assert list((tmp_path / "out").iterdir()) == []  # no row recorded as failed, nothing of row a kept


def write_pocket_column_csv(path: Path, example, names: list[str]) -> Path:
    """Two rows of phenol into the example protein: the first at the example's pocket, the second with none."""
    pd.DataFrame({"complex_name": names, "protein_path": [str(example.protein)] * 2,
                  "ligand_description": ["c1ccccc1O"] * 2, "pocket_center": [example.center, ""]}).to_csv(path, index=False)
    return path


def test_pocket_center_column_gives_each_row_its_pocket(cli, tmp_path: Path, example, bundles) -> None:
    csv = write_pocket_column_csv(tmp_path / "pockets.csv", example, ["here", "nowhere"])
    out = tmp_path / "out"
    # --pockets 0: a row without a pocket is not docked through found pockets (the default), so it has none
    result = cli("screen", "--csv", csv, "--out", out, "--weights", bundles.disco, "--pockets", "0", *FAST)
    assert result.code == 0, result.err
    summary = read_summary(out).set_index("complex_name")
    assert summary.loc["here", "status"] == "ok"
    assert summary.loc["nowhere", "status"] == "failed" and "pocket_center" in summary.loc["nowhere", "error"]


def test_rows_without_a_pocket_dock_through_found_pockets(cli, tmp_path: Path, example, bundles) -> None:
    """--pockets 2: a row with a pocket_center docks there; a row without docks through the first 2 pockets."""
    csv = write_pocket_column_csv(tmp_path / "pockets.csv", example, ["here", "found"])
    out = tmp_path / "out"
    result = cli("screen", "--csv", csv, "--out", out, "--weights", bundles.disco, "--pockets", "2", *FAST)
    assert result.code == 0, result.err
    summary = read_summary(out).set_index("complex_name")
    assert (summary["status"] == "ok").all()
    assert summary["ranking"].to_dict() == {"here": "confidence", "found": "confidence+pockets2"}  # resume keys
    assert summary.loc["here", "top_pocket"] == "" and summary.loc["found", "top_pocket"] in ("1", "2")  # read as text
    found = json.loads((out / "found" / "run.json").read_text())
    assert len(found["pocket_centers"]) == 2 and len(pd.read_csv(out / "found" / "poses.csv")) == 2 * 3
    assert set(pd.read_csv(out / "found" / "poses.csv")["pocket"]) <= {1, 2}  # which found pocket each pose is in
    here = json.loads((out / "here" / "run.json").read_text())
    assert "pocket_centers" not in here and here["pocket_center"] is not None
    assert "pocket" not in pd.read_csv(out / "here" / "poses.csv").columns

    both = cli("screen", "--csv", csv, "--out", tmp_path / "o2", "--weights", bundles.disco, "--pockets", "2",
               "--pocket-center", example.center, *FAST)
    assert both.code == 2 and "drop --pocket-center" in both.err


def test_auto_weights_dock_each_row_with_the_model_that_fits_it(cli, tmp_path: Path, example, bundles,
                                                                 tiny_shipped) -> None:
    """`--weights auto` (the default): rows with a pocket get the pocket model there, rows without it the pocket
    model through the first 3 pockets found; with --pockets 0 those get the blind model."""
    csv = tmp_path / "pockets.csv"
    pd.DataFrame({"complex_name": ["here", "anywhere"], "protein_path": [str(example.protein)] * 2,
                  "ligand_description": ["c1ccccc1O"] * 2,
                  "pocket_center": [example.center, ""]}).to_csv(csv, index=False)
    out = tmp_path / "out"
    result = cli("screen", "--csv", csv, "--out", out, *FAST)
    assert result.code == 0, result.err
    summary = read_summary(out).set_index("complex_name")
    assert summary["status"].tolist() == ["ok", "ok"] and set(summary["weights"]) == {"disco-pocket"}
    assert summary["ranking"].to_dict() == {"here": "confidence", "anywhere": "confidence+pockets3"}
    assert len(json.loads((out / "anywhere" / "run.json").read_text())["pocket_centers"]) == 3
    docked_here = (out / "here" / "run.json").stat().st_mtime_ns
    # --pockets 0: the blind model for the row without a pocket; the row with one stays done
    result = cli("screen", "--csv", csv, "--out", out, "--pockets", "0", *FAST)
    assert result.code == 0, result.err
    summary = read_summary(out).set_index("complex_name")
    assert (out / "here" / "run.json").stat().st_mtime_ns == docked_here
    assert summary.loc["here", "weights"] == "disco-pocket" and summary.loc["anywhere", "weights"] == "disco"
    modes = {name: json.loads((out / name / "run.json").read_text())["mode"] for name in ("here", "anywhere")}
    assert modes == {"here": "pocket", "anywhere": "blind"}
    # a rerun with other weights docks again: finished rows count only for the weights that docked them
    assert cli("screen", "--csv", csv, "--out", out, "--weights", bundles.disco, "--pockets", "0", *FAST).code == 0
    summary = read_summary(out).set_index("complex_name")
    assert summary.loc["here", "weights"] == str(bundles.disco) and summary.loc["here", "status"] == "ok"
    assert summary.loc["anywhere", "status"] == "failed" and "is empty" in summary.loc["anywhere", "error"]


def test_unreadable_weights_stop_a_screen_with_pocket_column_before_any_row(cli, tmp_path: Path, example) -> None:
    csv = tmp_path / "pockets.csv"
    pd.DataFrame({"complex_name": ["here"], "protein_path": [str(example.protein)], "ligand_description": ["CCO"],
                  "pocket_center": [example.center]}).to_csv(csv, index=False)
    result = cli("screen", "--csv", csv, "--out", tmp_path / "out", "--weights", tmp_path / "typo.pt", *FAST)
    assert result.code == 2 and "typo.pt" in result.err and "no such weights file" in result.err
    assert not (tmp_path / "out").exists()


def test_vina_ranking_per_row_and_a_new_ranking_docks_again(cli, tmp_path: Path, example, bundles, monkeypatch) -> None:
    pytest.importorskip("vina")
    csv = write_csv(tmp_path / "pairs.csv", [("a", example.protein, "c1ccccc1O"), ("b", example.protein, "C1CC(")])
    out = tmp_path / "out"
    result = cli(*screen_args(csv, out, example, bundles), "--vina-rank", "optimize")
    assert result.code == 0, result.err
    summary = read_summary(out).set_index("complex_name")
    assert summary.loc["a", "status"] == "ok" and summary.loc["b", "status"] == "failed"  # the bad row only
    assert (summary["ranking"] == "vina-optimize").all()
    poses = pd.read_csv(out / "a" / "poses.csv")
    assert poses["vina_score"].is_monotonic_increasing  # minimised by Vina, best first
    assert float(summary.loc["a", "top_vina_score"]) == pytest.approx(poses["vina_score"].iloc[0])
    assert json.loads((out / "a" / "run.json").read_text())["vina_rank"] == "optimize"

    docked = counting(monkeypatch, "dock")
    assert cli(*screen_args(csv, out, example, bundles), "--vina-rank", "optimize").code == 0
    assert docked == []  # same ranking: row a is done (row b fails again before docking)
    assert cli(*screen_args(csv, out, example, bundles)).code == 0
    assert docked == ["a"]  # ranked by confidence now: docked again
    assert read_summary(out).set_index("complex_name").loc["a", "ranking"] == "confidence"
    assert "vina_score" not in pd.read_csv(out / "a" / "poses.csv").columns
    assert_complete(out)
