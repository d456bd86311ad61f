"""benchmarks/ranking_study.py: the ranking rules pick the poses they say they pick."""

import json

import pandas as pd
import pytest

from ..conftest import load_benchmark_script, tiny_bundle


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("ranking_study")


def test_rules_pick_by_their_criterion(script):
    group = pd.DataFrame({
        "confidence": [3.0, 1.0, 0.0, 2.0],
        "rmsd": [5.0, 1.0, 2.5, 4.0],
        "vina_opt": [-9.0, -6.0, -7.0, -6.5],
        "rmsd_opt": [6.0, 1.5, 1.2, 1.4],
        "confidence_opt": [0.0, 2.0, 1.0, 0.5],
        "neighbors_opt": [0, 2, 2, 2],
    })
    picks = script.rules(group)
    assert picks["confidence (sampled poses)"] == 5.0  # pose 0
    assert picks["vina score (minimised)"] == 6.0  # pose 0, the lowest score
    assert picks["confidence (minimised)"] == 1.5  # pose 1
    assert picks["consensus, then vina"] == 1.2  # the cluster {1, 2, 3}, its best score: pose 2
    assert picks["oracle (minimised)"] == 1.2 and picks["oracle (sampled)"] == 1.0


def test_summary_counts_successes_per_model_and_rule(script):
    rows = pd.DataFrame({
        "id": ["a", "a", "b", "b"], "model": "m", "pose": [0, 1, 0, 1], "confidence": [1.0, 0.0, 1.0, 0.0],
        "rmsd": [1.0, 3.0, 3.0, 1.0], "vina_opt": [-1.0, -2.0, -1.0, -2.0], "rmsd_opt": [1.0, 3.0, 3.0, 1.0],
        "confidence_opt": [0.0, 1.0, 0.0, 1.0], "neighbors_opt": [0, 0, 0, 0],
    })
    summary = script.summarize(rows).set_index("rule")
    assert summary.loc["confidence (sampled poses)", "top1_success"] == 0.5  # a: 1 Å, b: 3 Å
    assert summary.loc["oracle (minimised)", "top1_success"] == 1.0 and (summary["n"] == 2).all()


def test_appended_rows_are_what_a_rerun_skips(script, tmp_path):
    out = tmp_path / "study.csv"
    assert script.finished(out, ["id", "model"]) == set()
    script.append_rows(out, pd.DataFrame({"id": ["007"], "model": ["m"], "rmsd": [1.0]}))
    script.append_rows(out, pd.DataFrame({"id": ["b"], "model": ["m"], "rmsd": [2.0]}))
    assert out.read_text().count("id,model,rmsd") == 1  # one header
    assert script.finished(out, ["id", "model"]) == {("007", "m"), ("b", "m")}  # ids stay strings


def test_run_study_labels_shards_and_resumes(script, tmp_path, monkeypatch):
    """--label names the rows, --shard K/N takes every N-th complex from the K-th, and a rerun skips what is done."""
    from types import SimpleNamespace

    import discodock.weights

    complexes = [SimpleNamespace(id=name) for name in ("a", "b", "c", "d", "e")]
    monkeypatch.setattr(script, "study_complexes", lambda config, root: complexes)
    monkeypatch.setattr(discodock.weights, "load_models", lambda name: f"loaded {name}")
    calls = []

    def study_one(models, paths, samples, steps):
        calls.append((models, paths.id, steps))
        return pd.DataFrame({"id": [paths.id], "rmsd": [1.0]})

    out = tmp_path / "study.csv"
    args = script.study_parser("test", "study.csv").parse_args(
        ["--models", "twin-pocket", "--steps", "0", "--label", "prior", "--shard", "2/2", "--out", str(out),
         "--data", str(tmp_path)])
    script.run_study(args, study_one, ["id", "model", "rmsd"], lambda table: "ok")
    assert calls == [("loaded twin-pocket", "b", 0), ("loaded twin-pocket", "d", 0)]
    assert script.finished(out, ["id", "model"]) == {("b", "prior"), ("d", "prior")}
    script.run_study(args, study_one, ["id", "model", "rmsd"], lambda table: "ok")
    assert len(calls) == 2  # all done: nothing docked again
    two = script.study_parser("test", "study.csv").parse_args(["--models", "a", "b", "--label", "x"])
    with pytest.raises(SystemExit, match="one --models"):
        script.run_study(two, study_one, ["id", "model", "rmsd"], lambda table: "ok")


def test_a_label_keeps_the_settings_its_rows_were_made_with(script, tmp_path):
    out = tmp_path / "study.csv"
    first, other = tiny_bundle(tmp_path / "a.pt", seed=0), tiny_bundle(tmp_path / "b.pt", seed=1)
    settings = {"samples": 40, "steps": 20, "vina_box": "poses"}
    script.record_label_settings(out, "m", first, settings, set())  # a new label is recorded
    script.append_rows(out, pd.DataFrame({"id": ["x"], "model": ["m"]}))
    script.record_label_settings(out, "m", first, settings, {"m"})  # same settings: the run resumes
    with pytest.raises(SystemExit, match=r"study_settings.json: rows of m were made with other settings "
                                         r"\(networks_sha256 .*give another --label or --out"):
        script.record_label_settings(out, "m", other, settings, {"m"})
    with pytest.raises(SystemExit, match=r"steps 20 -> 0"):
        script.record_label_settings(out, "m", first, settings | {"steps": 0}, {"m"})
    with pytest.raises(SystemExit, match=r"vina_box 'poses' -> 'pocket'"):  # a study's own option counts too
        script.record_label_settings(out, "m", first, settings | {"vina_box": "pocket"}, {"m"})
    script.record_label_settings(out, "n", other, settings, {"m"})  # another label for the other weights
    assert set(json.loads(script.settings_record_path(out).read_text())) == {"m", "n"}


def test_rows_from_before_the_record_are_refused(script, tmp_path):
    out = tmp_path / "old.csv"
    script.append_rows(out, pd.DataFrame({"id": ["x"], "model": ["disco-pocket"]}))  # no record beside it
    with pytest.raises(SystemExit, match="old.csv: has rows labelled 'disco-pocket' from before"):
        script.record_label_settings(out, "disco-pocket", tiny_bundle(tmp_path / "a.pt"), {"samples": 40, "steps": 20},
                                     {"disco-pocket"})
    assert not script.settings_record_path(out).exists()
