"""Figures of the image benchmark (matplotlib, Agg backend, written atomically as PNG)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

Tensor = torch.Tensor


def tile(images: Tensor, pad: int = 1) -> Tensor:
    """[rows, cols, 1, H, W] in [-1, 1] -> one [rows·(H+pad), cols·(W+pad)] image in [0, 1]."""
    rows, cols, _, H, W = images.shape
    canvas = torch.full((rows * (H + pad) + pad, cols * (W + pad) + pad), 0.35)  # light grey gaps
    for r in range(rows):
        for c in range(cols):
            y, x = pad + r * (H + pad), pad + c * (W + pad)
            canvas[y : y + H, x : x + W] = (images[r, c, 0].float().cpu() + 1) / 2
    return canvas


def _save(fig: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def grids_figure(
    panels: dict[str, Tensor], path: Path, title: str, row_labels: list[str] | None = None, xlabel: str = ""
) -> None:
    """Side-by-side image grids, one per panel ([rows, cols, 1, H, W] each); optional row labels."""
    rows, cols = next(iter(panels.values())).shape[:2]
    height = min(6.0, max(2.8, 4.2 * rows / cols + 1.0))  # follow the grid's aspect
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), height), squeeze=False)
    for ax, (name, grid) in zip(axes[0], panels.items()):
        ax.imshow(tile(grid), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
        ax.set_xticks([])
        if row_labels is not None:
            height = grid.shape[-2] + 1
            ax.set_yticks([1 + height * (i + 0.5) for i in range(grid.shape[0])], row_labels, fontsize=8)
        ax.set_xlabel(xlabel, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def curvature_figure(profiles: dict[str, dict[str, Tensor]], path: Path, title: str) -> None:
    """κ(σ) (mean and inter-quartile band over paths) for each model, σ on a log axis."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, prof in profiles.items():
        s, k_all = prof["sigmas"].numpy(), prof["kappa_all"].double()
        q1, q3 = k_all.quantile(0.25, dim=1).numpy(), k_all.quantile(0.75, dim=1).numpy()
        label = f"{name} (turning angle {float(prof['turning'].mean()):.2f} rad)"
        line = ax.plot(s, prof["kappa"].numpy(), marker="o", ms=3, label=label)[0]
        ax.fill_between(s, q1, q3, color=line.get_color(), alpha=0.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("σ = t (log axis; sampling runs left to right)")
    ax.set_ylabel("curvature κ = ‖∂ₜT‖ / ‖x′(t)‖")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    _save(fig, path)
