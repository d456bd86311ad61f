"""Docking on CUDA agrees with the CPU: a check to run on a machine with a GPU (no RDKit needed).

    python benchmarks/cuda_check.py --complexes 4 --out $OUT/cuda_check.json

On the first validation complexes of the training cache (`configs/splits/val_seed0.txt`), cropped to
the pocket around the crystal centroid, with the shipped pocket bundles (40 samples x 20 steps, seed 0):
- twin: the same seed on CPU and on CUDA. All noise comes from the CPU generator, so the two runs differ
  only by floating-point arithmetic; reported: the largest RMSD between a CPU pose and its CUDA twin.
- DisCo: the prior's Gumbel draws come from a generator on the batch's device, so CPU and CUDA draw other
  latents; reported: whether all poses came out finite at the first try (no redraws), and the fraction
  within 2 Å of the crystal pose on each device.
- confidence: the CPU poses ranked on both devices; reported: the largest logit difference.
Also seconds per complex on each device. Exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from discodock.atomic import atomic_open  # noqa: E402
from discodock.evaluation.datasets import read_ids  # noqa: E402
from discodock.sampling import rank_poses, sample_poses  # noqa: E402
from discodock.training.confidence_data import pose_rmsd  # noqa: E402
from discodock.training.dataset import load_cache_items, pocket_crop  # noqa: E402
from discodock.weights import load_models  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def pocket_complexes(cache: Path, ids_file: Path, count: int, radius: float) -> list[tuple]:
    """(pocket graph, crystal pose in its frame) of the first `count` listed complexes in the cache."""
    wanted = read_ids(ids_file)
    items = {c.graph.name: c for c in load_cache_items(cache)}
    chosen = [items[i] for i in wanted if i in items][:count]
    out = []
    for item in chosen:
        center = item.crystal_pos.mean(dim=0)
        out.append((pocket_crop(item.graph, center, radius), item.crystal_pos - center))
    return out


def dock(models, graph, device: str, samples: int, steps: int) -> tuple[torch.Tensor | None, float]:
    """Poses (None if any came out non-finite: no redraws here, so a device's NaNs show) and seconds."""
    start = time.perf_counter()
    try:
        poses = sample_poses(models.score, graph, num_samples=samples, steps=steps, prior=models.prior,
                             generator=torch.Generator().manual_seed(0), device=device, max_retries=0).cpu()
    except RuntimeError as error:
        if "non-finite" not in str(error):
            raise
        poses = None
    if device == "cuda":
        torch.cuda.synchronize()
    return poses, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, default=ROOT / "cache" / "train_blind.pt")
    parser.add_argument("--ids", type=Path, default=ROOT / "configs" / "splits" / "val_seed0.txt")
    parser.add_argument("--complexes", type=int, default=4)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--device", default="cuda", help="the device compared with the CPU (cpu: a dry run of this script)")
    parser.add_argument("--tolerance", type=float, default=0.05, help="Å: largest twin CPU-vs-CUDA pose RMSD allowed")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("cuda_check: no CUDA device here")
    gpu = args.device
    torch.set_num_threads(4)
    device_name = torch.cuda.get_device_name(0) if gpu == "cuda" else gpu
    report: dict = {"device": device_name, "torch": torch.__version__, "complexes": []}
    failed = False
    bundles = {b: {d: load_models(b, device=d) for d in ("cpu", gpu)} for b in ("twin-pocket", "disco-pocket")}
    radius = bundles["twin-pocket"]["cpu"].pocket_radius
    warm_up = pocket_complexes(args.cache, args.ids, 1, radius)[0][0]
    for by_device in bundles.values():  # so that the first complex's seconds hold no start-up costs
        for device, models in by_device.items():
            dock(models, warm_up, device, 2, 2)
    for graph, crystal in pocket_complexes(args.cache, args.ids, args.complexes, radius):
        row: dict = {"id": graph.name, "ligand_atoms": int(graph.lig_pos.shape[0]), "residues": int(graph.rec_pos.shape[0])}
        twin = bundles["twin-pocket"]
        cpu_poses, row["twin_cpu_s"] = dock(twin["cpu"], graph, "cpu", args.samples, args.steps)
        gpu_poses, row[f"twin_{gpu}_s"] = dock(twin[gpu], graph, gpu, args.samples, args.steps)
        if cpu_poses is None or gpu_poses is None:
            row[f"twin_cpu_vs_{gpu}_max_rmsd"] = row["confidence_max_abs_diff"] = float("nan")  # fails below
        else:
            row[f"twin_cpu_vs_{gpu}_max_rmsd"] = float(pose_rmsd(cpu_poses, gpu_poses).max())
            scores = {d: rank_poses(twin[d].confidence, graph, cpu_poses, device=d).cpu() for d in ("cpu", gpu)}
            row["confidence_max_abs_diff"] = float((scores["cpu"] - scores[gpu]).abs().max())
        disco = bundles["disco-pocket"]
        for d in ("cpu", gpu):
            poses, row[f"disco_{d}_s"] = dock(disco[d], graph, d, args.samples, args.steps)
            row[f"disco_{d}_finite"] = poses is not None
            row[f"disco_{d}_within_2A"] = float((pose_rmsd(poses, crystal) < 2.0).float().mean()) if poses is not None else float("nan")
        ok = (row[f"twin_cpu_vs_{gpu}_max_rmsd"] <= args.tolerance and row["confidence_max_abs_diff"] <= 1e-2
              and row["disco_cpu_finite"] and row[f"disco_{gpu}_finite"])
        row["ok"] = ok
        failed |= not ok
        print(json.dumps(row), flush=True)
        report["complexes"].append(row)
    report["ok"] = not failed
    if args.out is not None:
        with atomic_open(args.out, "w") as handle:
            json.dump(report, handle, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
