"""Can the score model fit torsion scores at all? Overfit a few training complexes, with and without
the dihedral head (`ModelConfig.dihedral_harmonics`), and print the loss parts as training goes.

A part's loss is 1 for a zero prediction. Fresh noise every step at t ~ U(0, 1), pocket view with no
centre noise, the same seed and batches for every head setting; only the network differs.

    python benchmarks/torsion_overfit.py --harmonics 0 3 --out benchmarks/results/torsion_overfit.csv

Uses the pocket twin's training config (cache, network sizes) and its first complexes with ≥ 3 torsions.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from discodock.atomic import atomic_open  # noqa: E402
from discodock.model.diffusion import score_matching_loss  # noqa: E402
from discodock.model.score_model import ScoreModel  # noqa: E402
from discodock.training.config import load_train_config  # noqa: E402
from discodock.training.datamodule import load_split  # noqa: E402
from discodock.training.dataset import NoisedComplexes, collate_noised  # noqa: E402

PARTS = ("tr_loss", "rot_loss", "tor_loss")


def overfit(graphs, model_cfg, *, steps: int, batch_size: int, seed: int, every: int) -> list[dict]:
    """Train a fresh score model on `graphs` (each batch cycles through them); mean loss parts per `every` steps."""
    torch.manual_seed(seed)
    data = NoisedComplexes(graphs, model_cfg, mode="pocket", pocket_noise=0.0, time_distribution="uniform")
    model = ScoreModel(model_cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    rows, window, start = [], [], time.time()
    for step in range(1, steps + 1):
        batch = collate_noised([data[i % len(data)] for i in range(batch_size)])
        out = score_matching_loss(model(batch.noisy, batch.targets.t), batch.targets, (1.0, 1.0, 1.0))
        optimizer.zero_grad()
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        window.append([out[p].item() for p in PARTS])
        if step % every == 0:
            means = torch.tensor(window).mean(0).tolist()
            rows.append({"step": step, **dict(zip(PARTS, means)), "seconds": time.time() - start})
            window = []
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/train_twin_pocket.yaml")
    parser.add_argument("--harmonics", type=int, nargs="+", default=[0, 3])
    parser.add_argument("--complexes", type=int, default=2)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_train_config(args.config)
    train, _ = load_split(cfg)
    graphs = [c.graph for c in train if c.graph.num_torsions >= 3][: args.complexes]
    print(f"complexes {[g.name for g in graphs]}, torsions {[g.num_torsions for g in graphs]}", flush=True)
    rows = []
    for k in args.harmonics:
        model_cfg = dataclasses.replace(cfg.model, dihedral_harmonics=k)
        for row in overfit(graphs, model_cfg, steps=args.steps, batch_size=args.batch_size, seed=args.seed, every=args.every):
            rows.append({"dihedral_harmonics": k, **row})
            print(" ".join(f"{key} {value:.3f}" if isinstance(value, float) else f"{key} {value}"
                           for key, value in rows[-1].items()), flush=True)
    if args.out is not None:
        with atomic_open(args.out) as handle:
            pd.DataFrame(rows).to_csv(handle, index=False, float_format="%.4f")


if __name__ == "__main__":
    main()
