"""benchmarks/confidence_study.py: per-complex ranking numbers and their summary."""

import pandas as pd
import pytest
import torch

from discodock.training.confidence_data import SampledPoses
from discodock.training.synthetic import synthetic_dataset

from ..conftest import load_benchmark_script


@pytest.fixture(scope="module")
def script():
    return load_benchmark_script("confidence_study")


class _ByDistance(torch.nn.Module):
    """A stand-in confidence model: minus the ligand centroid's distance from the crystal centroid."""

    def __init__(self, target: torch.Tensor, sign: float = 1.0):
        super().__init__()
        self.target, self.sign = target, sign

    def forward(self, batch, receptor=None):
        from torch_geometric.utils import scatter

        centroid = scatter(batch.lig_pos, batch.lig_batch, dim=0, reduce="mean")
        return -self.sign * (centroid - self.target).norm(dim=-1)


def test_rows_rank_only_sampled_poses(script):
    graph = synthetic_dataset(1)[0]
    shifts = torch.tensor([4.0, 1.0, 3.0, 0.0, 2.0])[:, None, None] * torch.tensor([1.0, 0.0, 0.0])
    poses = graph.lig_pos + shifts  # RMSD to the crystal pose = the shift
    sample = SampledPoses(graph, poses, shifts[:, 0, 0].clone(), torch.tensor([True, True, True, False, True]))
    model = _ByDistance(graph.lig_pos.mean(0))
    row = script.complex_rows("m", model, [sample]).iloc[0]
    assert row["poses"] == 4  # the perturbed crystal pose (shift 0) is left out
    assert row["top1_rmsd"] == 1.0 and row["oracle_rmsd"] == 1.0 and row["mean_rmsd"] == pytest.approx(2.5)
    assert row["spearman"] == pytest.approx(-1.0)
    reverse = script.complex_rows("r", _ByDistance(graph.lig_pos.mean(0), sign=-1.0), [sample]).iloc[0]
    assert reverse["top1_rmsd"] == 4.0 and reverse["spearman"] == pytest.approx(1.0)


def test_summary_pairs_models_with_the_first(script):
    rows = pd.DataFrame({
        "model": ["a"] * 6 + ["b"] * 6, "id": list("uvwxyz") * 2, "poses": 4,
        "spearman": [-0.5] * 6 + [0.1] * 6, "top1_rmsd": [1.0, 2.5, 3.0, 4.0, 6.0, 1.5] + [4.5, 6.0, 7.0, 8.0, 9.0, 10.0],
        "oracle_rmsd": 1.0, "mean_rmsd": 5.0,
    })
    summary = script.summarize(rows).set_index("model")
    assert summary.loc["a", "top1_below_2"] == 2 and summary.loc["b", "top1_below_5"] == 1
    assert summary.loc["a", "median_top1_rmsd"] == pytest.approx(2.75)
    assert pd.isna(summary.loc["a", "wilcoxon_p_vs_a"]) and summary.loc["b", "wilcoxon_p_vs_a"] < 0.05
