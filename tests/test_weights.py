"""discodock.weights: bundles carry their sampling settings."""

import torch

from discodock.model import ModelConfig, ScoreModel
from discodock.sampling import PLAIN, LowTemperature
from discodock.weights import load_models, save_bundle


def _bundle(path, metadata=None):
    torch.manual_seed(0)
    cfg = ModelConfig(ns=8, nv=2, num_layers=1, latent_mode="none")
    save_bundle(path, cfg, ScoreModel(cfg), None, None, mode="pocket", pocket_radius=15.0, metadata=metadata)
    return load_models(path)


def test_low_temperature_is_read_from_the_bundle_metadata(tmp_path):
    cold = {"temperature": [1.5, 2.0, 3.0], "psi": [0.1, 0.2, 0.3], "sigma_data": [0.9, 0.8, 0.7]}
    models = _bundle(tmp_path / "cold.pt", {"sampling_temperature": cold})
    assert models.temperature == LowTemperature((1.5, 2.0, 3.0), (0.1, 0.2, 0.3), (0.9, 0.8, 0.7))


def test_bundles_without_a_temperature_sample_plainly(tmp_path):
    assert _bundle(tmp_path / "plain.pt").temperature == PLAIN
