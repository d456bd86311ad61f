"""Train one docking config through its three stages (score → prior → confidence), resumably.

    python benchmarks/train_docking.py --config configs/train_disco.yaml [--max-minutes 60]
        [--accelerator cpu|gpu] [--devices N] [--strategy auto|ddp] [--stages score prior confidence]
        [--set score.lr=3e-4 --set data.batch_size=4 ...]

--max-minutes M is the whole run's wall-clock budget, split 70 / 10 / 20 % over the score, prior and
confidence stages (the twin, which has no prior, gives its share to the score stage); without it each
stage uses its config's `max_minutes`. Writes runs/<name>/{config.yaml, score.ckpt, prior.ckpt,
confidence.ckpt, metrics.csv, bundle.pt}.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from discodock.training.config import load_train_config  # noqa: E402
from discodock.training.train import STAGES, stage_budgets, train_main  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--accelerator", default="auto", choices=["auto", "cpu", "gpu", "cuda"])
    parser.add_argument("--devices", default="1")
    parser.add_argument("--strategy", default="auto")
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=list(STAGES))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "1")))
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)  # 2 shared CPU cores here: one thread unless told otherwise
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = load_train_config(args.config, args.overrides)
    budgets = stage_budgets(args.max_minutes, cfg.model.has_latents) if args.max_minutes else None
    devices = int(args.devices) if args.devices.isdigit() else args.devices
    start = time.time()
    run_dir = train_main(args.config, args.overrides, stages=args.stages, accelerator=args.accelerator,
                         devices=devices, strategy=args.strategy, stage_minutes=budgets)
    print(f"{cfg.name}: done in {(time.time() - start) / 60:.1f} min -> {run_dir}", flush=True)


if __name__ == "__main__":
    main()
