"""`discodock pockets`: the table, the CSV, and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from discodock.cli import EXIT_BAD_INPUT, main


def test_pockets_table_and_csv(example, tmp_path, capsys):
    out = tmp_path / "pockets.csv"
    assert main(["pockets", "--protein", str(example.protein), "--top", "3", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["rank", "x", "y", "z", "score"] and list(table["rank"]) == [1, 2, 3]
    assert table["score"].is_monotonic_decreasing
    centroid = np.array([float(v) for v in example.center.split(",")])
    assert np.linalg.norm(table.loc[0, ["x", "y", "z"]].to_numpy(dtype=float) - centroid) < 4.0  # 1ia1's site
    printed = capsys.readouterr().out
    first = table.iloc[0]
    assert f"--pocket-center={first.x},{first.y},{first.z}" in printed  # ready to paste, negative x included


def test_pockets_errors(tmp_path, capsys):
    assert main(["pockets"]) == EXIT_BAD_INPUT
    assert "give --protein" in capsys.readouterr().err
    assert main(["pockets", "--protein", str(tmp_path / "missing.pdb")]) == EXIT_BAD_INPUT
    assert "missing.pdb: protein file not found" in capsys.readouterr().err
    assert main(["pockets", "--protein", str(tmp_path / "missing.pdb"), "--top", "0"]) == EXIT_BAD_INPUT
    assert "--top 0" in capsys.readouterr().err
    tiny = tmp_path / "tiny.pdb"  # three heavy atoms: too few to look for pockets; the error names the file
    tiny.write_text("".join(f"ATOM  {i + 1:5d}  CA  ALA A{i + 1:4d}    {3.8 * i:8.3f}{0:8.3f}{0:8.3f}  1.00  0.00           C\n"
                            for i in range(3)) + "END\n")
    assert main(["pockets", "--protein", str(tiny)]) == EXIT_BAD_INPUT
    assert "tiny.pdb: 3 heavy atoms: too few" in capsys.readouterr().err
    for command in (["predict", "--example"], ["screen", "--csv", str(tmp_path / "x.csv")], ["benchmark"]):
        assert main([*command, "--pockets", "-1"]) == EXIT_BAD_INPUT  # refused before any work, for every command
        assert "--pockets -1: must be a whole number of pockets, or 0 (off)" in capsys.readouterr().err


def test_predict_through_found_pockets(cli, bundles, example, tmp_path):
    """`predict --pockets 2`: the pocket model in each of the first two pockets, one ranking of all poses."""
    import json

    from .conftest import FAST

    out = tmp_path / "out"
    result = cli("predict", "--protein", example.protein, "--ligand", example.ligand, "--pockets", "2",
                 "--weights", bundles.disco, "--out", out, *FAST)
    assert result.code == 0, result.err
    run = json.loads((out / "run.json").read_text())
    assert len(run["pocket_centers"]) == 2 and run["pocket_center"] is None
    poses = pd.read_csv(out / "poses.csv")
    assert len(poses) == 2 * 3 and poses["confidence"].is_monotonic_decreasing  # 3 samples per pocket
    assert sorted(poses["pocket"]) == [1, 1, 1, 2, 2, 2]
    scored = cli("predict", "--protein", example.protein, "--ligand", example.ligand, "--pockets", "2",
                 "--vina-rank", "score", "--weights", bundles.disco, "--out", tmp_path / "scored", *FAST)
    assert scored.code == 0, scored.err
    assert json.loads((tmp_path / "scored" / "run.json").read_text())["vina_box"] == "each pocket's"
    assert pd.read_csv(tmp_path / "scored" / "poses.csv")["vina_score"].is_monotonic_increasing

    both = cli("predict", "--protein", example.protein, "--ligand", example.ligand, "--pockets", "2",
               "--pocket-center", example.center, "--weights", bundles.disco, "--out", tmp_path / "o2", *FAST)
    assert both.code == EXIT_BAD_INPUT and "drop --pocket-center" in both.err
    blind = cli("predict", "--protein", example.protein, "--ligand", example.ligand, "--pockets", "2",
                "--weights", bundles.blind, "--out", tmp_path / "o3", *FAST)
    assert blind.code == EXIT_BAD_INPUT and "blind model" in blind.err


def test_fewer_pockets_than_asked_and_none_found(cli, bundles, example, tmp_path, monkeypatch):
    """Fewer pockets found than --pockets asks for: a note, and docking in those found. None found: predict
    fails naming the protein and the way out; a screen searches a protein once and fails each of its rows."""
    import torch

    from discodock import pipeline

    from .conftest import FAST

    one = [torch.tensor([float(v) for v in example.center.split(",")])]
    monkeypatch.setattr(pipeline, "find_pocket_centers", lambda path, count: one)
    result = cli("predict", "--protein", example.protein, "--ligand", example.ligand, "--weights", bundles.disco,
                 "--out", tmp_path / "one", *FAST)
    assert result.code == 0, result.err
    assert "found 1 of 3 pockets" in result.err and len(pd.read_csv(tmp_path / "one" / "poses.csv")) == 3

    searched = []
    monkeypatch.undo()  # the real find_pocket_centers, over a search that finds nothing
    monkeypatch.setattr(pipeline, "find_protein_pockets", lambda path, count: searched.append(path) or [])
    result = cli("predict", "--protein", example.protein, "--ligand", example.ligand, "--weights", bundles.disco,
                 "--out", tmp_path / "none", *FAST)
    assert result.code == EXIT_BAD_INPUT and "--pockets 0" in result.err and not (tmp_path / "none").exists()
    csv = tmp_path / "rows.csv"
    pd.DataFrame({"complex_name": ["a", "b"], "protein_path": [str(example.protein)] * 2,
                  "ligand_description": ["CCO", "CCN"]}).to_csv(csv, index=False)
    result = cli("screen", "--csv", csv, "--out", tmp_path / "screen", "--weights", bundles.disco, *FAST)
    assert result.code == 0, result.err
    summary = pd.read_csv(tmp_path / "screen" / "summary.csv")
    assert (summary["status"] == "failed").all() and summary["error"].str.contains("no candidate pocket").all()
    assert len(searched) == 2  # predict once, the screen once for its two rows
