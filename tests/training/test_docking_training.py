"""Lightning training of the docking stages on tiny synthetic complexes (CPU, seconds)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from discodock.errors import InputError
from discodock.training.config import load_train_config
from discodock.training.dataset import NoisedComplexes, TrainingComplex, collate_noised
from discodock.training.lightning_module import DockingModule
from discodock.training.synthetic import synthetic_dataset
from discodock.training.train import load_trained_models, train_main

TINY = [
    "model.ns=4", "model.nv=2", "model.num_layers=1", "model.encoder_ns=4", "model.encoder_nv=2",
    "model.encoder_layers=1", "model.prior_hidden=8", "model.confidence_layers=1",
    "model.distance_embed_dim=8", "model.time_embed_dim=8", "data.batch_size=4", "data.val_fraction=0.2",
    "score.log_every_n_steps=1", "prior.log_every_n_steps=1", "confidence.log_every_n_steps=1",
]  # fmt: skip


def _items(num: int = 10) -> list[TrainingComplex]:
    return [TrainingComplex(g, g.lig_pos.clone(), 0.0) for g in synthetic_dataset(num)]


@pytest.mark.parametrize("latent_mode", ["pointer", "codebook", "none"])
def test_steps_on_a_fixed_batch_decrease_the_loss(latent_mode):
    torch.manual_seed(0)
    cfg = load_train_config(None, TINY + [f"model.latent_mode={latent_mode}", "model.latent_dropout=0.0"])
    module = DockingModule(cfg.to_dict())
    data = NoisedComplexes([c.graph for c in _items(6)], cfg.model, fixed_seed=0)
    batch = collate_noised([data[i] for i in range(len(data))])
    opt = torch.optim.AdamW(module.trainable_parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        gen = torch.Generator().manual_seed(0)  # same Gumbel draws: a deterministic objective
        loss = module.losses(batch, module.score_model, module.encoder, gen)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0], losses


def test_all_stages_write_their_outputs_and_resume(tmp_path):
    items = _items(10)
    common = TINY + [f"out_dir={tmp_path}", "name=disco", "score.max_steps=3", "prior.max_epochs=1",
                     "confidence.max_epochs=1", "confidence.samples_per_complex=2", "confidence.sampling_steps=3"]
    run = train_main(None, common, items=items, accelerator="cpu")
    for name in ("config.yaml", "score.ckpt", "prior.ckpt", "confidence.ckpt", "metrics.csv", "bundle.pt"):
        assert (run / name).is_file(), name
    metrics = pd.read_csv(run / "metrics.csv")
    assert set(metrics["stage"]) == {"score", "prior", "confidence"}
    assert metrics.loc[metrics.stage == "score", "val_loss"].notna().any()
    score_model, prior = load_trained_models(run)
    assert prior is not None and not score_model.training
    from discodock.weights import load_models

    bundle = load_models(run / "bundle.pt")
    assert bundle.prior is not None and bundle.confidence is not None and bundle.mode == "blind"

    # resume: more steps continue from the saved Lightning checkpoint, not from scratch
    (run / "score.ckpt").unlink()
    last = torch.load(run / "lightning" / "score" / "last.ckpt", weights_only=False)
    assert last["global_step"] == 3
    train_main(None, [*common, "score.max_steps=5"], stages=["score"], items=items, accelerator="cpu")
    last = torch.load(run / "lightning" / "score" / "last.ckpt", weights_only=False)
    assert last["global_step"] == 5
    logged = pd.read_csv(run / "metrics.csv").query("stage == 'score'").dropna(subset=["train_loss_step"])
    assert set(logged["step"]) == {0, 1, 2, 3, 4}  # both attempts' logs: the resume does not empty the first
    export = torch.load(run / "score.ckpt", weights_only=True)
    assert export["kind"] == "score" and export["encoder"] is not None

    # the prior and the ranker were trained from the old score model: never skipped as done, never bundled with it
    bundle_before = (run / "bundle.pt").stat().st_mtime_ns
    with pytest.raises(InputError, match="prior.ckpt: was made from another score.ckpt"):
        train_main(None, [*common, "score.max_steps=5"], items=items, accelerator="cpu")
    assert (run / "bundle.pt").stat().st_mtime_ns == bundle_before
    with pytest.raises(InputError, match="confidence.ckpt: was made from another score.ckpt"):
        train_main(None, [*common, "score.max_steps=5"], stages=["confidence"], items=items, accelerator="cpu")
    (run / "confidence.ckpt").unlink()  # the poses it learnt from were sampled by the old model too
    with pytest.raises(InputError, match="confidence_poses.pt: was made from another score.ckpt"):
        train_main(None, [*common, "score.max_steps=5"], stages=["confidence"], items=items, accelerator="cpu")
    (run / "confidence_poses.pt").unlink()  # sampled again, but the half-trained ranker may not resume either
    with pytest.raises(InputError, match="last.ckpt: was trained from another score.ckpt"):
        train_main(None, [*common, "score.max_steps=5"], stages=["confidence"], items=items, accelerator="cpu")


def test_codebook_latents_train_all_stages_into_a_bundle(tmp_path):
    from discodock.model import CodebookPrior
    from discodock.weights import load_models

    run = train_main(
        None,
        TINY + [f"out_dir={tmp_path}", "name=codebook", "model.latent_mode=codebook", "model.codebook_size=4",
                "score.max_steps=2", "prior.max_epochs=1", "confidence.max_steps=1",
                "confidence.samples_per_complex=1", "confidence.sampling_steps=2"],
        items=_items(8),
        accelerator="cpu",
    )
    for name in ("score.ckpt", "prior.ckpt", "confidence.ckpt", "bundle.pt"):
        assert (run / name).is_file(), name
    metrics = pd.read_csv(run / "metrics.csv")
    assert metrics.loc[metrics.stage == "prior", "val_accuracy"].notna().any()
    assert torch.load(run / "score.ckpt", weights_only=True)["encoder"]["code_head.proj.weight"].shape == (2 * 4, 4)
    bundle = load_models(run / "bundle.pt")
    assert isinstance(bundle.prior, CodebookPrior) and bundle.confidence is not None
    assert bundle.config.latent_mode == "codebook" and bundle.score.num_latents == 2 * 4


def test_twin_skips_the_prior(tmp_path):
    run = train_main(
        None,
        TINY + [f"out_dir={tmp_path}", "name=twin", "model.latent_mode=none", "score.max_steps=2",
                "confidence.max_steps=1", "confidence.samples_per_complex=1", "confidence.sampling_steps=2"],
        items=_items(8),
        accelerator="cpu",
    )
    assert (run / "score.ckpt").is_file() and (run / "confidence.ckpt").is_file()
    assert not (run / "prior.ckpt").exists()
    assert torch.load(run / "score.ckpt", weights_only=True)["encoder"] is None


def test_perturbed_crystal_poses_give_the_confidence_model_hits_and_misses():
    from discodock.training.confidence_data import perturbed_poses, pose_rmsd

    cfg = load_train_config(None, TINY)
    graph = _items(1)[0].graph
    bonds = graph.lig_bond_index
    poses = perturbed_poses(graph, 64, 0.8, cfg, torch.Generator().manual_seed(0))
    assert poses.shape == (64, *graph.lig_pos.shape)
    length = lambda p: (p[..., bonds[0], :] - p[..., bonds[1], :]).norm(dim=-1)  # noqa: E731
    torch.testing.assert_close(length(poses), length(graph.lig_pos).expand(64, -1), atol=1e-4, rtol=0)
    rmsd = pose_rmsd(poses, graph.lig_pos)
    assert (rmsd < 2.0).any() and (rmsd > 2.0).any(), rmsd  # both labels occur
    near = pose_rmsd(perturbed_poses(graph, 16, 0.1, cfg, torch.Generator().manual_seed(0)), graph.lig_pos)
    assert float(near.max()) < 1.0, near  # small t: close to the crystal pose
    assert perturbed_poses(graph, 0, 0.8, cfg, torch.Generator()).shape == (0, *graph.lig_pos.shape)


def test_cosine_schedule_warms_up_then_decays_to_its_floor():
    from discodock.training.lightning_module import lr_factor

    factor = [lr_factor(s, warmup=10, total=110, schedule="cosine", min_factor=0.1) for s in range(130)]
    assert factor[0] == pytest.approx(0.1) and factor[9] == pytest.approx(1.0)  # linear warm-up
    assert factor[10] == pytest.approx(1.0) and factor[60] == pytest.approx(0.55)  # half-way: the mean of 1 and 0.1
    assert all(a >= b for a, b in zip(factor[10:], factor[11:]))  # never rises after the warm-up
    assert factor[110] == pytest.approx(0.1) and factor[129] == pytest.approx(0.1)  # flat at the floor after `total`
    constant = [lr_factor(s, warmup=0, total=110, schedule="constant", min_factor=0.1) for s in range(130)]
    assert constant == [1.0] * 130


def test_cosine_schedule_follows_the_global_step_also_after_a_resume(tmp_path):
    """3 steps at a constant lr, then resumed to 6 under a cosine: the lr of step 5 is the cosine's at step 5, not
    at step 2 (a scheduler restarted from its own counter would give that)."""
    from discodock.training.lightning_module import lr_factor

    common = TINY + [f"out_dir={tmp_path}", "name=cosine", "model.latent_mode=none", "score.lr=0.01"]
    items = _items(10)
    train_main(None, [*common, "score.max_steps=3"], stages=["score"], items=items, accelerator="cpu")
    (tmp_path / "cosine" / "score.ckpt").unlink()  # an export would mark the stage done
    cosine = ["score.max_steps=6", "score.lr_schedule=cosine", "score.lr_min_factor=0.0"]
    run = train_main(None, [*common, *cosine], stages=["score"], items=items, accelerator="cpu")
    last = torch.load(run / "lightning" / "score" / "last.ckpt", weights_only=False)
    assert last["global_step"] == 6
    used = last["optimizer_states"][0]["param_groups"][0]["lr"]  # set before the last step (global step 5)
    assert used == pytest.approx(0.01 * lr_factor(5, warmup=0, total=6, schedule="cosine", min_factor=0.0))
    assert used < 0.01 * lr_factor(2, warmup=0, total=6, schedule="cosine", min_factor=0.0)


def test_a_resumed_run_draws_new_noise_not_its_first_steps_again(tmp_path, monkeypatch):
    """3 steps, then resumed to 6: the diffusion times of steps 4-6 are not those of steps 1-3 again, and the
    checkpoint (random states included) still loads with weights_only=True."""
    seen: list[list[float]] = []
    step = DockingModule.training_step

    def recording(self, batch, batch_idx):
        seen.append([round(float(t), 6) for t in batch.targets.t.reshape(-1)])
        return step(self, batch, batch_idx)

    monkeypatch.setattr(DockingModule, "training_step", recording)
    common = TINY + [f"out_dir={tmp_path}", "name=replay", "model.latent_mode=none", "data.val_fraction=0.0"]
    items = _items(12)
    train_main(None, [*common, "score.max_steps=3"], stages=["score"], items=items, accelerator="cpu")
    (tmp_path / "replay" / "score.ckpt").unlink()  # an export would mark the stage done
    train_main(None, [*common, "score.max_steps=6"], stages=["score"], items=items, accelerator="cpu")
    assert len(seen) == 6
    assert all(later != first for later, first in zip(seen[3:], seen[:3])), seen
    last = torch.load(tmp_path / "replay" / "lightning" / "score" / "last.ckpt", weights_only=True)
    assert set(last["random_states"]) == {"python", "numpy", "torch", "cuda"}


def test_cosine_schedule_needs_max_steps():
    from discodock.errors import InputError

    with pytest.raises(InputError, match="max_steps"):
        load_train_config(None, ["score.lr_schedule=cosine"])
    with pytest.raises(InputError, match="lr_schedule"):
        load_train_config(None, ["score.lr_schedule=linear"])
    with pytest.raises(InputError, match="frozen-trunk"):
        load_train_config(None, ["prior.lr_warmup_steps=10"])


def test_pose_groups_batch_poses_of_one_complex_and_mark_the_sampled_ones(tmp_path):
    from discodock.training.confidence_data import PoseGroups, SampledPoses, collate_labelled, load_poses, save_poses

    graphs = [c.graph for c in _items(3)]
    samples = []
    for i, g in enumerate(graphs):
        k = 5 + i
        poses = g.lig_pos + torch.randn(k, *g.lig_pos.shape)
        samples.append(SampledPoses(g, poses, torch.linspace(0.5, 6.0, k), torch.arange(k) < 3))
    save_poses(samples, tmp_path / "poses.pt")
    loaded, _ = load_poses(tmp_path / "poses.pt")
    assert [s.sampled.tolist() for s in loaded] == [s.sampled.tolist() for s in samples]

    groups = PoseGroups(loaded, threshold=2.0, group_size=4, fixed_seed=7)
    assert len(groups) == 3
    item = groups[1]
    assert len(item) == 4 and all(graph.name == graphs[1].name for graph, *_ in item)
    assert [float(r) for _, r, *_ in item] == [float(r) for _, r, *_ in groups[1]]  # fixed draw
    batch = collate_labelled([groups[0], groups[2]])
    assert batch.num_graphs == 8 and batch.group.tolist() == [0] * 4 + [1] * 4
    torch.testing.assert_close(batch.labels, (batch.rmsd < 2.0).float())
    for p in range(8):  # each pose keeps its own RMSD and sampled flag
        sample = (loaded[0], loaded[2])[int(batch.group[p])]
        k = int((sample.rmsd - batch.rmsd[p]).abs().argmin())
        torch.testing.assert_close(batch.graphs.lig_pos[batch.graphs.lig_batch == p], sample.poses[k])
        assert bool(batch.sampled[p]) == bool(sample.sampled[k])


def test_confidence_stage_trains_with_the_ranking_term(tmp_path):
    from discodock.training.confidence_data import load_poses

    run = train_main(
        None,
        TINY + [f"out_dir={tmp_path}", "name=ranked", "model.latent_mode=none", "score.max_steps=2",
                "confidence.max_epochs=2", "confidence.samples_per_complex=3", "confidence.sampling_steps=2",
                "confidence.perturbed_per_complex=2", "confidence.poses_per_group=4", "confidence.ranking_weight=1.0"],
        items=_items(10),
        accelerator="cpu",
    )
    metrics = pd.read_csv(run / "metrics.csv")
    conf = metrics[metrics.stage == "confidence"]
    assert conf["train_ranking_loss_step"].notna().any() and conf["val_ranking_loss"].notna().any()
    poses, _ = load_poses(run / "confidence_poses.pt")
    assert all(s.sampled.tolist() == [True] * 3 + [False] * 2 for s in poses)  # 3 sampled, then 2 perturbed


def test_a_ranking_term_needs_groups():
    from discodock.errors import InputError

    with pytest.raises(InputError, match="poses_per_group"):
        load_train_config(None, ["confidence.ranking_weight=1.0"])


@pytest.mark.parametrize("warmup", [False, True])
def test_the_score_models_ema_warms_up_only_when_asked(warmup):
    """`score.ema_warmup` reaches the EMA: with it the exported weights follow a short run, without it
    (the committed recipes) they keep decay^n of the first step's weights."""
    cfg = load_train_config(None, TINY + [f"score.ema_warmup={str(warmup).lower()}", "score.ema_decay=0.999"])
    module = DockingModule(cfg.to_dict())
    nets = torch.nn.ModuleDict({"score": module.score_model} | ({"encoder": module.encoder} if module.encoder else {}))
    module.ema.update_parameters(nets)  # the first update copies
    name, param = next(iter(module.score_model.named_parameters()))
    first = param.detach().clone()
    with torch.no_grad():
        param.add_(1.0)
    for _ in range(100):
        module.ema.update_parameters(nets)
    moved = float((dict(module.ema.module["score"].named_parameters())[name] - first).mean())
    assert moved > 0.9 if warmup else moved == pytest.approx(1 - 0.999**100, rel=1e-3)
