"""benchmarks/cuda_check.py, dry-run on the CPU (--device cpu): the plumbing, on a wheel example complex."""

import json
import sys
from types import SimpleNamespace

import pytest

from discodock.training.dataset import build_cache, featurize_training_complex

from ..conftest import load_benchmark_script


def test_a_dry_run_compares_the_cpu_with_itself(tmp_path, posebusters_examples, monkeypatch):
    script = load_benchmark_script("cuda_check")
    folder = posebusters_examples / "1ia1"
    paths = SimpleNamespace(id="1ia1", protein=folder / "1ia1_protein_one_lig_removed.pdb", ligand=folder / "1ia1_ligand.sdf")
    build_cache([paths], tmp_path / "cache.pt", featurize=lambda p: featurize_training_complex(p, match_tries=1))
    (tmp_path / "ids.txt").write_text("1ia1\n")
    out = tmp_path / "check.json"
    monkeypatch.setattr(sys, "argv", ["cuda_check.py", "--device", "cpu", "--cache", str(tmp_path / "cache.pt"),
                                      "--ids", str(tmp_path / "ids.txt"), "--samples", "3", "--steps", "3",
                                      "--out", str(out)])
    with pytest.raises(SystemExit) as exit_info:
        script.main()
    assert exit_info.value.code == 0
    report = json.loads(out.read_text())
    (row,) = report["complexes"]
    assert row["id"] == "1ia1" and row["ok"] and row["twin_cpu_vs_cpu_max_rmsd"] == 0.0
