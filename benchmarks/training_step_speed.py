"""Seconds per score-stage training step, eager vs `score.compile` (torch.compile of the tensor products).

    OMP_NUM_THREADS=1 python benchmarks/training_step_speed.py --config configs/train_disco_pocket.yaml \
        --out benchmarks/results/training_step_speed.json
    python benchmarks/training_step_speed.py --config configs/train_disco_pocket.yaml --device cuda \
        --batch-size 16 --out benchmarks/results/training_step_speed_gpu.json

Same 12 batches of cached training complexes (fixed noise) for both; the first 4 steps (compilation,
warm-up) are not timed. Also times the data side of a step (noising, pocket crop, collation: what a
DataLoader worker does per batch) on the CPU. Prints and writes the figures with the thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from discodock.atomic import atomic_open  # noqa: E402
from discodock.training.config import load_train_config  # noqa: E402
from discodock.training.datamodule import load_split  # noqa: E402
from discodock.training.dataset import NoisedComplexes, collate_noised  # noqa: E402
from discodock.training.lightning_module import DockingModule  # noqa: E402

WARMUP, TIMED = 4, 8


def seconds_per_step(cfg, batches, compiled: bool, device: torch.device) -> tuple[float, float]:
    """(seconds per timed step, seconds of the warm-up steps incl. compilation)."""
    torch.manual_seed(cfg.seed)
    module = DockingModule(cfg.to_dict()).to(device)
    if compiled:
        module.compile_networks()
    opt = torch.optim.AdamW(module.trainable_parameters(), lr=cfg.score.lr)

    def step(batch) -> None:
        loss = module.losses(batch, module.score_model, module.encoder)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    start = time.perf_counter()
    for batch in batches[:WARMUP]:
        step(batch)
    warm = time.perf_counter()
    for batch in batches[WARMUP:]:
        step(batch)
    return (time.perf_counter() - warm) / TIMED, warm - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device, batch_size = torch.device(args.device), args.batch_size
    cfg = load_train_config(args.config)
    train, _ = load_split(cfg)
    s, d = cfg.score, cfg.data
    graphs = [train[i % len(train)].graph for i in range((WARMUP + TIMED) * batch_size)]  # repeats past 243
    data = NoisedComplexes(graphs, cfg.model, d.mode, d.pocket_radius,
                           d.pocket_noise, d.max_residues, s.time_distribution, s.time_alpha, fixed_seed=0)
    start = time.perf_counter()
    batches = [collate_noised([data[i] for i in range(k, k + batch_size)]) for k in range(0, len(data), batch_size)]
    data_seconds = (time.perf_counter() - start) / len(batches)
    batches = [batch.to(device) for batch in batches]
    result = {"config": args.config, "device": str(device), "threads": args.threads, "batch_size": batch_size,
              "timed_steps": TIMED, "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
              "data_seconds_per_batch": round(data_seconds, 3)}
    print(f"data: {data_seconds:.3f} s/batch of {batch_size} on one CPU process", flush=True)
    for name, compiled in (("eager", False), ("compiled", True)):
        per_step, warmup = seconds_per_step(cfg, batches, compiled, device)
        result[f"{name}_seconds_per_step"] = round(per_step, 3)
        result[f"{name}_warmup_seconds"] = round(warmup, 1)
        print(name, f"{per_step:.3f} s/step, warm-up {warmup:.1f} s", flush=True)
    result["speedup"] = round(result["eager_seconds_per_step"] / result["compiled_seconds_per_step"], 2)
    with atomic_open(args.out) as handle:
        handle.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
