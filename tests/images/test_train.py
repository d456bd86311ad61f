"""Stage-1 training loop: EMA stays finite, a resumed run equals an uninterrupted one; the prior fits."""

import torch

from discodock.images.encoder import EncoderConfig
from discodock.images.train import ImageDisCo, TrainConfig, extract_latents, train_denoiser, train_prior
from discodock.images.unet import UNetConfig

SMALL = UNetConfig(resolution=8, ch=16, ch_mult=(1, 2), attn_resolutions=(4,), heads=2, m=2, k=4, latent_dim=16)
SMALL_ENC = EncoderConfig(resolution=8, patch=2, dim=16, depth=1, heads=2, m=2, k=4)


def _data(n: int = 32):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 8, 8, generator=g) * 2 - 1, torch.arange(n) % 10


def _cfg(steps: int) -> TrainConfig:
    return TrainConfig(steps=steps, batch_size=8, warmup_steps=2, ckpt_every=2, ema_decay=0.9,
                       prior_steps=100, prior_batch_size=32, prior_d_model=16, prior_layers=1)


def _fresh() -> ImageDisCo:
    torch.manual_seed(0)
    return ImageDisCo(SMALL, SMALL_ENC, _cfg(4))


def test_resumed_training_matches_uninterrupted(tmp_path):
    x, y = _data()
    straight = train_denoiser(_fresh(), x, y, _cfg(4), seed=3, device="cpu", ckpt_path=tmp_path / "a.pt")
    train_denoiser(_fresh(), x, y, _cfg(2), seed=3, device="cpu", ckpt_path=tmp_path / "b.pt")
    resumed = train_denoiser(_fresh(), x, y, _cfg(4), seed=3, device="cpu", ckpt_path=tmp_path / "b.pt")
    for (name, a), (_, b) in zip(straight.module.state_dict().items(), resumed.module.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-6, equal_nan=True), name
    assert torch.load(tmp_path / "b.pt", weights_only=False)["step"] == 4


def test_ema_is_finite_and_prior_mask_intact():
    x, y = _data()
    ema = train_denoiser(_fresh(), x, y, _cfg(3), seed=0, device="cpu")
    for name, p in ema.module.named_parameters():
        assert torch.isfinite(p).all(), name
    # The prior's causal mask (a buffer holding −inf) must not be averaged into NaN.
    assert not torch.isnan(ema.module.prior.causal_mask).any()


def test_prior_learns_class_dependent_latents():
    torch.manual_seed(0)
    model = ImageDisCo(SMALL, SMALL_ENC, _cfg(1))
    labels = torch.arange(200) % 4
    z = torch.stack([labels, (labels + 1) % 4], dim=1)  # z fully determined by the class
    cfg = _cfg(1)
    cfg.prior_steps, cfg.prior_lr = 400, 3e-3
    history = train_prior(model.prior, z, labels, cfg, seed=0)
    assert history[-1] < 0.2  # nats per latent; uniform over k = 4 is 1.39
    assert model.prior.sample(8, context=labels[:8]).tolist() == z[:8].tolist()


def test_extract_latents_shape():
    x, _ = _data(10)
    z = extract_latents(_fresh().encoder, x, batch_size=4)
    assert z.shape == (10, 2) and z.dtype == torch.long and int(z.max()) < 4


def test_a_checkpoint_of_other_settings_or_a_longer_run_is_not_resumed(tmp_path):
    import dataclasses

    import pytest

    x, y = _data()
    train_denoiser(_fresh(), x, y, _cfg(2), seed=3, device="cpu", ckpt_path=tmp_path / "c.pt")
    with pytest.raises(ValueError, match="other settings \\(lr\\)"):
        train_denoiser(_fresh(), x, y, dataclasses.replace(_cfg(4), lr=5e-4), seed=3, device="cpu",
                       ckpt_path=tmp_path / "c.pt")
    with pytest.raises(ValueError, match="other settings \\(seed\\)"):
        train_denoiser(_fresh(), x, y, _cfg(4), seed=4, device="cpu", ckpt_path=tmp_path / "c.pt")
    with pytest.raises(ValueError, match="trained 2 steps, more than the 1 asked for"):
        train_denoiser(_fresh(), x, y, _cfg(1), seed=3, device="cpu", ckpt_path=tmp_path / "c.pt")
