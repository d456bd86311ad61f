"""Toy benchmark: EDM vs DisCo-Diff (same MLP denoiser, same budget) on 8 Gaussians on a ring.

    OMP_NUM_THREADS=1 python benchmarks/toy.py [--config configs/toy.yaml]

Trains each model for every seed (checkpoints under runs/toy/, so a rerun resumes), samples with
the Heun ODE at NFE 3, 5, 9, 17, 35 (settings per NFE in the config), and writes
benchmarks/results/toy.csv (model, seed, nfe, w2, curvature, nmi), toy.png and toy_config.yaml.

- w2: exact W2 between n_eval samples and n_eval fresh data points (data units). Two independent
  data samples of this size are themselves ~0.4 apart (the log prints this floor).
- curvature: κ of App. F.3, mean over sampled paths, averaged over the sampler's time points t > 0.
  κ grows steeply as t -> 0, so this mean is dominated by the grid's smallest t: compare models at
  the same NFE (same grid), not across NFE. toy.png shows κ(t) along the NFE-35 paths.
- nmi: NMI between the latent the encoder gives a held-out data point (τ = 0.01) and its true mode.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from discodock.core.edm import edm_time_steps  # noqa: E402
from discodock.core.metrics import nmi, ode_curvature, turning_angle, wasserstein2  # noqa: E402
from discodock.toy.data import ring_of_gaussians  # noqa: E402
from discodock.toy.model import ToyDiffusion  # noqa: E402
from discodock.toy.train import ToyConfig, load_config, train_toy  # noqa: E402

COLUMNS = ["model", "seed", "nfe", "w2", "curvature", "nmi"]
PATHS_NFE = 17  # the NFE whose ODE paths are drawn


def log(msg: str) -> None:
    print(msg, flush=True)


def variants(cfg: ToyConfig) -> list[tuple[str, bool, int]]:
    """(row name, uses latents, k): EDM, DisCo with cfg.k, and DisCo with each extra k."""
    return [("edm", False, cfg.k), ("disco", True, cfg.k)] + [(f"disco_k{k}", True, k) for k in cfg.extra_k]


def trained_model(cfg: ToyConfig, name: str, use_latents: bool, k: int, seed: int, runs: Path) -> ToyDiffusion:
    """Load runs/<name>_seed<seed>.pt if it was trained with this config, else train and save it (atomically)."""
    ckpt = runs / f"{name}_seed{seed}.pt"
    model = ToyDiffusion(**cfg.model_kwargs(use_latents, k))
    saved = torch.load(ckpt) if ckpt.is_file() else None
    if saved is not None and saved.get("config") == cfg.to_dict():
        model.load_state_dict(saved["state"])
        log(f"{name} seed {seed}: loaded {ckpt}")
    else:
        if saved is not None:
            log(f"{name} seed {seed}: {ckpt} was trained with another config; retraining")
        start = time.time()
        log(f"{name} seed {seed}: training")
        model = train_toy(cfg, use_latents, seed, k, log=log)
        tmp = ckpt.with_suffix(".tmp")
        torch.save({"config": cfg.to_dict(), "state": model.state_dict()}, tmp)
        os.replace(tmp, ckpt)
        log(f"{name} seed {seed}: trained in {time.time() - start:.0f} s")
    return model.eval()


def latent_index(z_index: torch.Tensor, k: int) -> torch.Tensor:
    """m codes -> one integer per sample (mixed radix), for colouring and NMI."""
    weights = k ** torch.arange(z_index.shape[1] - 1, -1, -1)
    return (z_index * weights).sum(1)


def evaluate(cfg: ToyConfig, model: ToyDiffusion, name: str, seed: int) -> tuple[list[dict], dict]:
    """Rows of the CSV for one model and seed, plus what the figure needs."""
    ref, ref_mode = ring_of_gaussians(cfg.n_eval, cfg.num_modes, cfg.radius, cfg.std,
                                      torch.Generator().manual_seed(10_000 + seed))
    noise = torch.randn(cfg.n_eval, 2, generator=torch.Generator().manual_seed(20_000 + seed))
    z_index, z, nmi_value = None, None, float("nan")
    if model.use_latents:
        z_index = model.sample_latents(cfg.n_eval, generator=torch.Generator().manual_seed(30_000 + seed))
        z = model.onehot(z_index[: cfg.n_curvature])
        nmi_value = nmi(latent_index(model.extract_latents(ref, cfg.tau_extract), model.k), ref_mode)
    rows, extra = [], {}
    for nfe in cfg.nfe:
        kw = cfg.sampler_kwargs(nfe)
        x, traj = model.sample(noise, z_index, return_trajectory=True, **kw)
        sigmas = edm_time_steps(kw["num_steps"], kw["sigma_min"], kw["sigma_max"], kw["rho"])
        kappa_t = ode_curvature(model.D, traj[:, : cfg.n_curvature], sigmas.float(), z)
        finite = torch.isfinite(x).all().item()
        w2 = wasserstein2(x, ref) if finite else float("inf")
        curvature = kappa_t[sigmas > 0].mean().item()
        angle = turning_angle(traj[:, : cfg.n_curvature]).median().item()
        rows.append(dict(model=name, seed=seed, nfe=nfe, w2=w2, curvature=curvature,
                         nmi=nmi_value if model.use_latents else None))
        log(f"  {name} seed {seed} nfe {nfe:2d}: w2 {w2:.4f} curvature {curvature:.4f} "
            f"median turning angle {angle:.3f} rad" + (f" nmi {nmi_value:.3f}" if model.use_latents else ""))
        if nfe == PATHS_NFE:  # σ_max = 5: paths stay in the frame (from σ_max = 80 they are radial lines)
            extra["traj"] = traj[:, :40]
        if nfe == max(cfg.nfe):
            extra.update(samples=x, kappa_t=kappa_t[sigmas > 0], t=sigmas[sigmas > 0],
                         latent=None if z_index is None else latent_index(z_index, model.k))
    return rows, extra


def w2_floor(cfg: ToyConfig) -> float:
    """W2 between two independent data samples of size n_eval: the best a perfect model can score."""
    a, _ = ring_of_gaussians(cfg.n_eval, cfg.num_modes, cfg.radius, cfg.std, torch.Generator().manual_seed(1))
    b, _ = ring_of_gaussians(cfg.n_eval, cfg.num_modes, cfg.radius, cfg.std, torch.Generator().manual_seed(2))
    return wasserstein2(a, b)


def plot(cfg: ToyConfig, extras: dict[str, dict], df: pd.DataFrame, floor: float, path: Path) -> None:
    """data | EDM samples | DisCo samples by latent (with ODE paths) ; curvature vs t ; W2 vs NFE."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(2, 3, figsize=(15, 9.5))
    data, _ = ring_of_gaussians(cfg.n_eval, cfg.num_modes, cfg.radius, cfg.std, torch.Generator().manual_seed(3))
    lim = cfg.radius + 2.5
    panels = [("data", None), ("edm", extras["edm"]), ("disco", extras["disco"])]
    for ax, (title, ex) in zip(axes[0], panels):
        if ex is None:
            ax.scatter(data[:, 0], data[:, 1], s=2, c="k")
        else:
            traj = ex.get("traj", ex["samples"][None, :0]).numpy()
            for j in range(traj.shape[1]):
                ax.plot(traj[:, j, 0], traj[:, j, 1], lw=0.6, color="0.6", zorder=1)
            if ex["latent"] is None:
                ax.scatter(ex["samples"][:, 0], ex["samples"][:, 1], s=2, c="tab:blue", zorder=2)
            else:
                ax.scatter(ex["samples"][:, 0], ex["samples"][:, 1], s=2, c=ex["latent"].numpy(), cmap="tab20", zorder=2)
            title = (f"{title}: NFE-{max(cfg.nfe)} samples, NFE-{PATHS_NFE} paths"
                     + (" (colour = latent)" if ex["latent"] is not None else ""))
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", title=title)
    ax = axes[1, 0]
    for name in ("edm", "disco"):
        kt = np.stack([extras_by_seed["kappa_t"].numpy() for extras_by_seed in extras[f"{name}_all"]])
        ax.plot(extras[name]["t"].numpy(), kt.mean(0), marker="o", ms=3, label=name)
    ax.set(xscale="log", yscale="log", xlabel="t = σ", ylabel="curvature κ (mean over paths, seeds)",
           title=f"ODE curvature along NFE-{max(cfg.nfe)} paths")
    ax.legend()
    ax = axes[1, 1]
    for name, g in df.groupby("model", sort=False):
        stats = g.groupby("nfe")["w2"].agg(["mean", "std"])
        ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], marker="o", capsize=3, label=name)
    ax.axhline(floor, color="k", ls=":", label="data vs data")
    ax.set(xscale="log", yscale="log", xlabel="NFE (Heun)", ylabel="W2 (mean ± std over seeds)", title="W2 vs NFE")
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xticks(cfg.nfe, [str(n) for n in cfg.nfe])
    ax.legend()
    ax = axes[1, 2]
    for name, g in df.groupby("model", sort=False):
        stats = g.groupby("nfe")["curvature"].mean()
        ax.plot(stats.index, stats.values, marker="o", label=name)
    ax.set(xscale="log", yscale="log", xlabel="NFE (Heun)", ylabel="mean κ over the sampler's times",
           title="curvature vs NFE")
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xticks(cfg.nfe, [str(n) for n in cfg.nfe])
    ax.legend()
    fig.tight_layout()
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def write_atomic(text: str, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "toy.yaml"))
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"), help="folder for toy.csv/png/config")
    parser.add_argument("--runs", default=str(REPO / "runs" / "toy"), help="checkpoint folder (resume)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 200 steps, 1 seed, 300 points")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cfg = load_config(args.config)
    if args.quick:
        cfg.steps, cfg.seeds, cfg.n_eval, cfg.n_curvature, cfg.prior_steps = 200, [0], 300, 100, 50
    out, runs = Path(args.out), Path(args.runs)
    out.mkdir(parents=True, exist_ok=True)
    runs.mkdir(parents=True, exist_ok=True)
    write_atomic(yaml.safe_dump(cfg.to_dict(), sort_keys=False), out / "toy_config.yaml")
    log(f"torch threads: {torch.get_num_threads()}; config {args.config}")
    start = time.time()
    rows, extras = [], {}
    for name, use_latents, k in variants(cfg):
        extras[f"{name}_all"] = []
        for seed in cfg.seeds:
            model = trained_model(cfg, name, use_latents, k, seed, runs)
            r, ex = evaluate(cfg, model, name, seed)
            rows += r
            extras[f"{name}_all"].append(ex)
            extras.setdefault(name, ex)
            df = pd.DataFrame(rows, columns=COLUMNS)
            write_atomic(df.to_csv(index=False, float_format="%.5g"), out / "toy.csv")
    floor = w2_floor(cfg)
    log(f"W2 floor (two data samples of {cfg.n_eval}): {floor:.4f}")
    plot(cfg, extras, df, floor, out / "toy.png")
    summary = df.groupby(["model", "nfe"])[["w2", "curvature", "nmi"]].agg(["mean", "std"])
    log(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    log(f"total {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
