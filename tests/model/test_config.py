"""ModelConfig from YAML and the shared noise schedule."""

from pathlib import Path

import pytest
import torch

from discodock.errors import InputError
from discodock.model.config import ModelConfig, config_from_dict, cross_cutoff, load_config, save_config, sigmas

REPO = Path(__file__).resolve().parents[2]


def test_small_config_loads_with_defaults_matching():
    cfg = load_config(REPO / "configs" / "model_small.yaml")
    assert cfg == ModelConfig()


def test_config_round_trip(tmp_path):
    cfg = ModelConfig(ns=8, latent_mode="none", cross_max_neighbors=None)
    save_config(cfg, tmp_path / "m.yaml")
    assert load_config(tmp_path / "m.yaml") == cfg


def test_bad_configs_raise_input_error(tmp_path):
    with pytest.raises(InputError, match="unknown model config keys"):
        config_from_dict({"ns": 8, "nss": 3})
    with pytest.raises(InputError, match="latent_mode"):
        ModelConfig(latent_mode="codebooks")
    with pytest.raises(InputError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_latent_columns_per_mode():
    assert ModelConfig(num_latents=3).latent_dim == 3
    codebook = ModelConfig(latent_mode="codebook", num_latents=3, codebook_size=5)
    assert codebook.latent_dim == 15 and codebook.has_latents
    assert ModelConfig(latent_mode="none").latent_dim == 0 and not ModelConfig(latent_mode="none").has_latents
    with pytest.raises(InputError, match="codebook_size"):
        ModelConfig(latent_mode="codebook", codebook_size=0)


def test_sigmas_interpolate_geometrically():
    cfg = ModelConfig()
    s = sigmas(torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64), cfg)
    torch.testing.assert_close(s.tr, torch.tensor([0.1, (0.1 * 19.0) ** 0.5, 19.0], dtype=torch.float64))
    torch.testing.assert_close(s.rot[[0, 2]], torch.tensor([0.03, 1.55], dtype=torch.float64))
    torch.testing.assert_close(s.tor[[0, 2]], torch.tensor([0.0314, 3.14159265], dtype=torch.float64))
    torch.testing.assert_close(cross_cutoff(s.tr, cfg), 20.0 + 3.0 * s.tr)
