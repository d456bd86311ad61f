"""benchmarks/cuda_check.py, dry-run on the CPU (--device cpu): the plumbing, on a wheel example complex."""

import json
import sys
from types import SimpleNamespace

import pytest
import torch

from discodock.training.dataset import build_cache, featurize_training_complex

from ..conftest import load_benchmark_script


@pytest.fixture
def run_check(tmp_path, posebusters_examples, monkeypatch):
    script = load_benchmark_script("cuda_check")
    folder = posebusters_examples / "1ia1"
    paths = SimpleNamespace(id="1ia1", protein=folder / "1ia1_protein_one_lig_removed.pdb", ligand=folder / "1ia1_ligand.sdf")
    build_cache([paths], tmp_path / "cache.pt", featurize=lambda p: featurize_training_complex(p, match_tries=1))
    (tmp_path / "ids.txt").write_text("1ia1\n")
    out = tmp_path / "check.json"
    monkeypatch.setattr(sys, "argv", ["cuda_check.py", "--device", "cpu", "--cache", str(tmp_path / "cache.pt"),
                                      "--ids", str(tmp_path / "ids.txt"), "--samples", "3", "--steps", "3",
                                      "--out", str(out)])
    threads = torch.get_num_threads()

    def run() -> tuple[int, dict]:
        try:
            with pytest.raises(SystemExit) as exit_info:
                script.main()
        finally:
            torch.set_num_threads(threads)  # main() sets 4: later tests must not inherit that
        return exit_info.value.code, json.loads(out.read_text())

    return script, run


def test_a_dry_run_compares_the_cpu_with_itself(run_check):
    _, run = run_check
    code, report = run()
    (row,) = report["complexes"]
    assert code == 0 and report["ok"]
    assert row["id"] == "1ia1" and row["ok"] and row["twin_cpu_vs_cpu_max_rmsd"] == 0.0 and row["disco_cpu_finite"]


def test_non_finite_poses_fail_the_check(run_check, monkeypatch):
    script, run = run_check
    sample = script.sample_poses

    def nan_for_disco(score_model, graph, **kw):  # the DisCo bundle has a prior, the twin none
        if kw.get("prior") is not None and kw["num_samples"] > 2:  # not the warm-up
            raise RuntimeError(f"{graph.name}: sampling produced non-finite coordinates after 0 retries")
        return sample(score_model, graph, **kw)

    monkeypatch.setattr(script, "sample_poses", nan_for_disco)
    code, report = run()
    (row,) = report["complexes"]
    assert code == 1 and not report["ok"] and not row["ok"] and not row["disco_cpu_finite"]
