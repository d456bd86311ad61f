"""Validation loss of a training run's last score checkpoint, with its EMA weights and with its raw weights.

    python benchmarks/validate_run.py runs/gpu/disco_pocket_g64 runs/gpu/twin_pocket_g64 \
        --out benchmarks/results/gpu_burst_2026-11-27/validation_ema_vs_raw.csv

The EMA row repeats the run's own validation at the checkpoint's step (same split, same seeded noisings;
DisCo's Gumbel draws come from a generator on the validating device, so a run validated on a GPU differs
slightly here: 0.9579 vs the logged 0.9574 for the burst's DisCo run). `last.ckpt` is the last step, which
a time cap can put after the last validation; a run exports its best validation (`best.ckpt`) instead.
The raw row puts the optimiser's weights in the EMA's place. A large gap says the EMA still carries
early weights: a short run trained without `score.ema_warmup` (`discodock.core.ema`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from discodock.atomic import atomic_open  # noqa: E402
from discodock.training._lightning import pl  # noqa: E402
from discodock.training.config import load_train_config  # noqa: E402
from discodock.training.datamodule import DockingDataModule  # noqa: E402
from discodock.training.lightning_module import DockingModule  # noqa: E402


def validate(run: Path, weights: str, items=None) -> dict:
    """Validation metrics of `run`'s lightning/score/last.ckpt with its 'ema' or 'raw' weights (on the
    config's cache, or on `items` as `train_main` was given them)."""
    cfg = load_train_config(run / "config.yaml")
    checkpoint = torch.load(run / "lightning" / "score" / "last.ckpt", map_location="cpu", weights_only=False)
    module = DockingModule(cfg.to_dict())
    module.load_state_dict(checkpoint["state_dict"])
    if weights == "raw":  # validation scores the EMA copy: put the raw weights there
        module.ema.module["score"].load_state_dict(module.score_model.state_dict())
        if module.encoder is not None:
            module.ema.module["encoder"].load_state_dict(module.encoder.state_dict())
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    metrics = trainer.validate(module, datamodule=DockingDataModule(cfg, items, "score"), verbose=False)[0]
    return {"run": run.name, "weights": weights, "step": checkpoint["global_step"],
            **{k: round(float(v), 4) for k, v in metrics.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (runs/<name>) with config.yaml and lightning/")
    parser.add_argument("--out", type=Path, default=None, help="CSV to write (default: print only)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [validate(run, weights) for run in args.runs for weights in ("ema", "raw")]
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    if args.out is not None:
        with atomic_open(args.out, "w") as handle:
            table.to_csv(handle, index=False)


if __name__ == "__main__":
    main()
