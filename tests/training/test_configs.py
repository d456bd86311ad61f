"""The shipped training configs load, and each DisCo config's twin differs only where it must."""

from __future__ import annotations

from pathlib import Path

import pytest

from discodock.training.config import load_train_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
PAIRS = [
    ("train_disco.yaml", "train_twin.yaml", "pointer"),
    ("train_disco_pocket.yaml", "train_twin_pocket.yaml", "pointer"),
    ("train_disco_codebook_pocket.yaml", "train_twin_pocket.yaml", "codebook"),
]


@pytest.mark.parametrize("disco_file, twin_file, latent_mode", PAIRS)
def test_disco_and_twin_get_the_same_data_network_and_budget(disco_file, twin_file, latent_mode):
    disco = load_train_config(CONFIGS / disco_file).to_dict()
    twin = load_train_config(CONFIGS / twin_file).to_dict()
    assert disco["model"].pop("latent_mode") == latent_mode and twin["model"].pop("latent_mode") == "none"
    if latent_mode == "codebook":
        assert disco["model"].pop("codebook_size") == 8 and disco["model"]["num_latents"] == 2
        twin["model"].pop("codebook_size")  # unused by the twin
    assert disco.pop("name") != twin.pop("name")  # separate run folders
    # the twin has no prior stage, but its settings are kept equal so that the configs read alike
    assert disco == twin
