"""Multi-process training: Lightning DDP with 2 CPU processes (gloo) runs a few steps of the score stage."""

from __future__ import annotations

import torch

from discodock.training.config import load_train_config
from discodock.training.dataset import TrainingComplex
from discodock.training.synthetic import synthetic_dataset
from discodock.training.train import run_score_stage

TINY = [
    "model.ns=4", "model.nv=2", "model.num_layers=1", "model.encoder_ns=4", "model.encoder_nv=2",
    "model.encoder_layers=1", "model.distance_embed_dim=8", "model.time_embed_dim=8",
    "data.batch_size=2", "data.val_fraction=0.25",
]  # fmt: skip


def test_ddp_two_cpu_processes_train_and_checkpoint(tmp_path):
    items = [TrainingComplex(g, g.lig_pos.clone(), 0.0) for g in synthetic_dataset(8)]
    cfg = load_train_config(None, TINY + [f"out_dir={tmp_path}", "name=ddp", "score.max_steps=2"])
    out = run_score_stage(cfg, items, accelerator="cpu", devices=2, strategy="ddp_cpu")
    assert out.is_file()
    last = torch.load(tmp_path / "ddp" / "lightning" / "score" / "last.ckpt", weights_only=False)
    # 6 training complexes, 2 per batch, split over 2 processes: each process takes 2 steps
    assert last["global_step"] == 2
    export = torch.load(out, weights_only=True)
    assert all(torch.isfinite(v).all() for v in export["score_model"].values() if v.is_floating_point())
