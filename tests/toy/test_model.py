"""Toy networks, config loading and a tiny end-to-end training run."""

from pathlib import Path

import pytest
import torch

from discodock.errors import InputError
from discodock.toy.model import ToyDiffusion
from discodock.toy.train import ToyConfig, load_config, train_data, train_toy

REPO = Path(__file__).resolve().parents[2]


def test_edm_and_disco_share_the_denoiser_architecture():
    edm, disco = ToyDiffusion(use_latents=False, k=8, hidden=64), ToyDiffusion(use_latents=True, k=8, hidden=64)
    n_params = lambda mod: sum(p.numel() for p in mod.parameters())  # noqa: E731
    assert n_params(edm.D) == n_params(disco.D)
    assert edm.encoder is None and edm.encode(torch.randn(3, 2)) is None


def test_disco_loss_trains_the_encoder_end_to_end():
    torch.manual_seed(0)
    model = ToyDiffusion(use_latents=True, k=8, hidden=64)
    z = model.encode(torch.randn(4, 2))
    assert z.shape == (4, 1, 8) and torch.equal(z.detach().sum(-1), torch.ones(4, 1))
    model.loss(torch.randn(64, 2) * 2).backward()
    assert sum(p.grad.abs().sum() for p in model.encoder.parameters()) > 0


def test_sampling_needs_eval_mode_and_latents():
    model = ToyDiffusion(use_latents=True, k=4, hidden=32)
    noise = torch.randn(6, 2)
    with pytest.raises(RuntimeError):
        model.sample(noise, torch.zeros(6, 1, dtype=torch.long))
    model.eval()
    with pytest.raises(ValueError):
        model.sample(noise)
    z = model.sample_latents(6)
    x, traj = model.sample(noise, z, num_steps=3, return_trajectory=True)
    assert x.shape == (6, 2) and traj.shape == (4, 6, 2) and torch.isfinite(x).all()


def test_repo_config_loads_and_bad_keys_are_named(tmp_path):
    cfg = load_config(REPO / "configs" / "toy.yaml")
    assert cfg.k == 8 and cfg.m == 1 and cfg.nfe == [3, 5, 9, 17, 35]
    assert cfg.sampler_kwargs(3)["num_steps"] == 2 and cfg.sampler_kwargs(35)["num_steps"] == 18
    bad = tmp_path / "bad.yaml"
    bad.write_text("stpes: 10\n")
    with pytest.raises(InputError, match="stpes"):
        load_config(bad)
    with pytest.raises(InputError):
        cfg.sampler_kwargs(4)


def test_tiny_training_run_lowers_the_loss():
    cfg = ToyConfig(n_train=512, hidden=32, encoder_hidden=32, steps=300, batch_size=128, prior_steps=20)
    fresh = ToyDiffusion(**cfg.model_kwargs(True))
    trained = train_toy(cfg, use_latents=True, seed=0, log=lambda s: None)
    assert not trained.training
    y, _ = train_data(ToyConfig(n_train=4096), seed=5)  # fresh ring points
    torch.manual_seed(1)
    before = fresh.eval().loss(y).item()
    torch.manual_seed(1)
    after = trained.loss(y).item()
    assert after < 0.9 * before  # untrained ~1.0 (EDM preconditioning); ~0.83 after 300 steps
    z = trained.sample_latents(10)
    assert z.shape == (10, 1) and int(z.max()) < cfg.k
