"""Dock one ligand into one protein: read, featurise, sample, rank, write.

`prepare` turns files into a `ComplexGraph`; `dock` samples and ranks poses; `write_outputs`
fills an output folder. Without a known pocket, `find_pocket_centers` + `dock_in_pockets` + `merge_ranked`
(or `rank_pockets_by_vina`) dock through the protein's candidate pockets. `discodock predict` and
`discodock screen` are thin loops around these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import torch
from rdkit import Chem

from discodock.complex_graph import ComplexGraph
from discodock.errors import InputError
from discodock.sampling import LowTemperature
from discodock.weights import DockingModels

if TYPE_CHECKING:
    from discodock.baselines.vina import VinaScorer
    from discodock.chem.pockets import Pocket
    from discodock.refine import RefineSettings


@dataclass
class PreparedComplex:
    name: str
    protein_path: Path
    ligand: Chem.Mol  # heavy atoms, a fresh conformer (never the input's pose)
    graph: ComplexGraph
    pocket_ca: np.ndarray  # Cα coordinates of the residues the model saw, input frame
    pocket_center: np.ndarray | None = None  # pocket mode: the given centre (input frame); blind: None


@dataclass
class DockingResult:
    complex: PreparedComplex
    poses: np.ndarray  # [S, N, 3] in the input files' frame, ranked best first
    confidence: np.ndarray  # [S] confidence logits, ranked
    latents: list[str]  # per pose, the nodes the pose-mode latents point at, or their codes ("" for the twin)
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: prior, sampling (incl. prior), ranking
    pocket: np.ndarray | None = None  # through found pockets (`merge_ranked`): per pose, its pocket (1 = first found)


def pocket_center_from(
    pocket_center: str | Sequence[float] | None, pocket_ligand: str | Path | None
) -> torch.Tensor | None:
    """Parse `x,y,z` (or a YAML list [x, y, z]) or take the centroid of a reference ligand file."""
    from discodock.chem.ligand import read_ligand

    if pocket_center is not None and pocket_ligand is not None:
        raise InputError("--pocket-center/--pocket-ligand", "give one of the two, not both")
    if isinstance(pocket_center, (list, tuple)):
        pocket_center = ",".join(str(v) for v in pocket_center)
    if pocket_center is not None:
        parts = pocket_center.replace(" ", "").split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 3 or not np.isfinite(values).all():
            raise InputError(pocket_center, "pocket centre must be three numbers: x,y,z")
        return torch.tensor(values, dtype=torch.float32)
    if pocket_ligand is not None:
        reference = read_ligand(pocket_ligand, add_conformer_if_2d=False)
        if not reference.GetConformer().Is3D():
            raise InputError(pocket_ligand, "pocket reference ligand has no 3-D coordinates")
        return torch.tensor(reference.GetConformer().GetPositions().mean(axis=0), dtype=torch.float32)
    return None


def prepare(
    name: str,
    protein,
    ligand_source: str | Path | Chem.Mol,
    *,
    pocket_center: torch.Tensor | None = None,
    pocket_radius: float | None = None,
    seed: int = 0,
) -> PreparedComplex:
    """Read the ligand, give it a fresh conformer, and featurise it with the (already read) protein."""
    from discodock.chem.featurize import featurize_complex
    from discodock.chem.ligand import generate_conformer, read_ligand

    ligand = ligand_source if isinstance(ligand_source, Chem.Mol) else read_ligand(ligand_source, seed=seed)
    ligand = generate_conformer(ligand, seed=seed)
    graph = featurize_complex(protein, ligand, name=name, center=pocket_center, pocket_radius=pocket_radius)
    pocket_ca = (graph.rec_pos + graph.center).numpy()
    center = None if pocket_center is None else graph.center.numpy().copy()
    return PreparedComplex(name, Path(protein.path), ligand, graph, pocket_ca, center)


def dock(
    models: DockingModels,
    prepared: PreparedComplex,
    *,
    samples: int = 40,
    steps: int = 20,
    seed: int = 0,
    device: str = "cpu",
    temperature: LowTemperature | None = None,
) -> DockingResult:
    """Sample `samples` poses (one prior latent draw each), rank them by confidence.

    steps 0: no denoising; the poses are the diffusion prior's draws that sampling starts from (random
    torsions and rotation, centroid ~ N(centre, σ_tr,max² I)): the control that shows what the score model adds.
    temperature: low-temperature sampling (default: the models' own setting, `models.temperature`)."""
    import time

    from discodock.sampling import random_initial_poses, rank_poses, sample_poses

    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    start = time.perf_counter()
    timings = {"prior": 0.0}
    generator = torch.Generator(device="cpu").manual_seed(seed)
    if steps == 0:
        poses = random_initial_poses(prepared.graph, samples, models.config.tr_sigma_max, generator)
        latents = None
    else:
        poses, latents = sample_poses(
            models.score,
            prepared.graph,
            num_samples=samples,
            steps=steps,
            latent_sampler=_timed_latent_sampler(models, generator, timings),
            generator=generator,
            device=device,
            temperature=temperature if temperature is not None else models.temperature,
            return_latents=True,
        )
    timings["sampling"] = time.perf_counter() - start
    if models.confidence is not None:
        confidence = rank_poses(models.confidence, prepared.graph, poses, device=device)
    else:  # no ranker: keep the sampling order
        confidence = torch.zeros(samples)
    timings["ranking"] = time.perf_counter() - start - timings["sampling"]
    order = torch.argsort(confidence, descending=True)
    poses = (poses.cpu()[order] + prepared.graph.center.cpu()).numpy()  # sample_poses returns them on the CPU
    labels = describe_latents(prepared.graph, latents, samples, models.config.latent_mode)
    return DockingResult(
        complex=prepared,
        poses=poses,
        confidence=confidence[order].cpu().numpy(),
        latents=[labels[i] for i in order.tolist()],
        seconds=time.perf_counter() - start,
        timings={k: round(v, 4) for k, v in timings.items()},
    )


def find_protein_pockets(protein_path: str | Path, count: int) -> list[Pocket]:
    """The first `count` candidate pockets of the protein file (`discodock.chem.pockets`), most buried first;
    an error names the file."""
    from discodock.chem.pockets import find_pockets
    from discodock.chem.protein import heavy_atoms

    try:
        return find_pockets(heavy_atoms(protein_path), max_pockets=count)
    except InputError as error:  # find_pockets does not know the file
        raise InputError(protein_path, error.problem) from error


def find_pocket_centers(protein_path: str | Path, count: int) -> list[torch.Tensor]:
    """`find_protein_pockets`' centres, for pocket docking; none found is an error."""
    pockets = find_protein_pockets(protein_path, count)
    if not pockets:
        raise InputError(protein_path, "no candidate pocket found: give --pocket-center x,y,z (screen: a pocket_center "
                                       "cell), or --pockets 0 to dock blind with the blind model")
    return [torch.tensor(p.center, dtype=torch.float32) for p in pockets]


def dock_in_pockets(models: DockingModels, protein, ligand: Chem.Mol, centers: Sequence[torch.Tensor], *,
                    name: str, samples: int = 40, steps: int = 20, seed: int = 0,
                    device: str = "cpu") -> tuple[DockingResult, list[DockingResult]]:
    """Pocket docking at each centre (`samples` poses each): blind docking through candidate pockets.
    Returns all poses ranked by confidence as one result, and each pocket's result (for `rank_pockets_by_vina`).
    Pocket k (from 0) draws with seed `seed + k`, so the pockets' samples are independent draws, and the first
    pocket's are what pocket docking at that centre gives."""
    per_pocket = []
    for k, center in enumerate(centers):
        prepared = prepare(name, protein, ligand, pocket_center=center, pocket_radius=models.pocket_radius,
                           seed=seed + k)
        per_pocket.append(dock(models, prepared, samples=samples, steps=steps, seed=seed + k, device=device))
    merged, _ = merge_ranked(per_pocket, [r.confidence for r in per_pocket], higher_is_better=True)
    return merged, per_pocket


def merge_ranked(results: Sequence[DockingResult], scores: Sequence[np.ndarray],
                 higher_is_better: bool) -> tuple[DockingResult, np.ndarray]:
    """Several results' poses (e.g. one result per pocket) as one result ranked by their scores. The poses
    are in the input files' frame; the complex (pocket) of the top pose's result stands for all."""
    from dataclasses import replace

    all_scores = np.concatenate(scores)
    order = np.argsort(-all_scores if higher_is_better else all_scores, kind="stable")
    source = np.concatenate([np.full(len(r.poses), i) for i, r in enumerate(results)])
    timings: dict[str, float] = {}
    for result in results:
        for stage, seconds in result.timings.items():
            timings[stage] = round(timings.get(stage, 0.0) + seconds, 4)
    latents = [label for r in results for label in r.latents]  # node labels of each pocket's own graph
    merged = replace(results[int(source[order[0]])], poses=np.concatenate([r.poses for r in results])[order],
                     confidence=np.concatenate([r.confidence for r in results])[order],
                     latents=[latents[i] for i in order], seconds=sum(r.seconds for r in results),
                     timings=timings, pocket=source[order] + 1)
    return merged, all_scores[order]


def _timed_latent_sampler(models: DockingModels, generator: torch.Generator, timings: dict[str, float]):
    """The prior's latent sampler (None for the twin), adding its seconds to `timings["prior"]`
    (its share of the sampling time; DisCo paper: ~0.5 %)."""
    import time

    from discodock.sampling import prior_sampler

    if models.prior is None:
        return None
    draw = prior_sampler(models.prior, models.prior_temperature, generator)

    def latent_sampler(*args):
        began = time.perf_counter()
        latent = draw(*args)
        timings["prior"] += time.perf_counter() - began
        return latent

    return latent_sampler


# The ways to rank sampled poses by Vina score, each reusing the one before's work: the poses as
# sampled, each minimised locally, or minimised and then refined by Monte-Carlo chains.
VINA_RANKINGS = ("vina", "vina-opt", "vina-refine")
# --vina-rank's choices → rankings
VINA_RANK_CHOICES = {"score": ("vina",), "optimize": ("vina-opt",), "both": ("vina", "vina-opt"),
                     "refine": ("vina-refine",), "all": VINA_RANKINGS}


@dataclass
class VinaRanking:
    result: DockingResult  # the poses in Vina order; minimised (and refined) poses replace the sampled ones
    scores: np.ndarray  # [S] Vina scores (kcal/mol, lower is better) in that order; +inf outside the box
    seconds: float  # this ranking's own work as if run alone: grid maps, scoring or minimisation, refinement


def rank_by_vina(
    result: DockingResult, protein_path: str | Path, rankings: Sequence[str] = ("vina",), *, box: str = "poses",
    refine: RefineSettings | None = None,
) -> dict[str, VinaRanking]:
    """The poses ranked by Vina score, for each of `rankings` (see `VINA_RANKINGS`), sharing one set of
    grid maps and one local minimisation between them.

    'vina' scores the poses as sampled. 'vina-opt' first minimises each pose locally (ligand flexible,
    receptor rigid), and the minimised poses replace the sampled ones, as GNINA's `--minimize` does.
    'vina-refine' then runs short Monte-Carlo chains (`refine`, default `RefineSettings()`) from the
    best distinct minimised poses, and each chain's best pose replaces its start (`discodock.refine`;
    it keeps the start's confidence and latent).
    box: "poses" (the poses' joint extent) or "pocket" (pocket mode only: the pocket centre, edges =
    the ligand's largest atom-atom distance + 10 Å, as the Vina baseline's box).
    """
    import time

    from discodock.refine import RefineSettings, refine_poses

    unknown = set(rankings) - set(VINA_RANKINGS)
    if unknown:
        raise ValueError(f"Vina rankings are {', '.join(VINA_RANKINGS)}; got {', '.join(sorted(unknown))}")
    began = time.perf_counter()
    scorer, posed = vina_scorer(result, protein_path, box)
    seconds = time.perf_counter() - began  # the grid maps, shared by all rankings
    ranked = {}
    if "vina" in rankings:
        began = time.perf_counter()
        scores, _ = scorer.score_all(posed)
        ranked["vina"] = _in_vina_order(result, result.poses, scores, seconds + time.perf_counter() - began)
    if {"vina-opt", "vina-refine"} & set(rankings):
        began = time.perf_counter()
        scores, minimised = scorer.score_all(posed, local_optimize=True)
        poses = np.stack([pose.GetConformer().GetPositions() for pose in minimised])
        seconds += time.perf_counter() - began
        if "vina-opt" in rankings:
            ranked["vina-opt"] = _in_vina_order(result, poses, scores, seconds)
        if "vina-refine" in rankings:
            began = time.perf_counter()
            scores, poses = refine_poses(lambda pose: scorer(pose, local_optimize=True), result.complex.ligand,
                                         poses, scores, refine or RefineSettings())
            ranked["vina-refine"] = _in_vina_order(result, poses, scores, seconds + time.perf_counter() - began)
    return {name: ranked[name] for name in rankings}


def rank_pockets_by_vina(results: Sequence[DockingResult], protein_path: str | Path, rankings: Sequence[str] = ("vina",),
                         *, refine: RefineSettings | None = None) -> dict[str, VinaRanking]:
    """`rank_by_vina` for each pocket's result in its own pocket box, then all poses in one Vina order
    (the scores are the same function of the same receptor, so they compare across boxes). Pocket k's
    refinement draws with seed `refine.seed + k`, as its samples did (`dock_in_pockets`)."""
    from dataclasses import replace

    from discodock.refine import RefineSettings

    refine = refine or RefineSettings()
    per_pocket = [rank_by_vina(r, protein_path, rankings, box="pocket", refine=replace(refine, seed=refine.seed + k))
                  for k, r in enumerate(results)]
    merged = {}
    for name in rankings:
        ranked = [ranking[name] for ranking in per_pocket]
        result, scores = merge_ranked([r.result for r in ranked], [r.scores for r in ranked], higher_is_better=False)
        merged[name] = VinaRanking(result, scores, sum(r.seconds for r in ranked))
    return merged


def vina_scorer(result: DockingResult, protein_path: str | Path, box: str = "poses") -> tuple[VinaScorer, list[Chem.Mol]]:
    """Vina's grid maps for ranking `result`'s poses in `box` (see `rank_by_vina`), and the poses as
    heavy-atom molecules, in `result`'s order."""
    from discodock.baselines.vina import VinaScorer, ligand_box, poses_box
    from discodock.output import pose_molecule

    if box not in ("poses", "pocket"):
        raise ValueError(f"box must be 'poses' or 'pocket', got {box!r}")
    ligand = result.complex.ligand
    posed = [pose_molecule(ligand, pose) for pose in result.poses]
    if box == "pocket":
        if result.complex.pocket_center is None:
            raise InputError(result.complex.name, "a pocket box needs a pocket centre (pocket mode)")
        return VinaScorer(protein_path, result.complex.pocket_center, ligand_box(ligand)), posed
    return VinaScorer(protein_path, *poses_box(posed)), posed


def _in_vina_order(result: DockingResult, poses: np.ndarray, scores: np.ndarray, seconds: float) -> VinaRanking:
    from dataclasses import replace

    order = np.argsort(scores, kind="stable")
    in_order = replace(result, poses=poses[order], confidence=result.confidence[order],
                       latents=[result.latents[i] for i in order],
                       pocket=None if result.pocket is None else result.pocket[order])
    return VinaRanking(in_order, scores[order], seconds)


def describe_latents(
    graph: ComplexGraph, latents: torch.Tensor | None, num_samples: int, latent_mode: str = "pointer"
) -> list[str]:
    """Human-readable latent per sample: 'lig:12|rec:87' (pointer: node ids in the model's graph) or
    'code:3|code:5' (codebook: code ids)."""
    if latents is None:
        return [""] * num_samples
    return ["|".join(_latent_label(graph, i, latent_mode) for i in ids) for ids in latents.tolist()]


def _latent_label(graph: ComplexGraph, index: int, latent_mode: str) -> str:
    if latent_mode == "codebook":
        return f"code:{index}"
    n_lig = graph.num_atoms
    return f"lig:{index}" if index < n_lig else f"rec:{index - n_lig}"


def write_outputs(result: DockingResult, out_dir: str | Path, *, extra_columns: dict[str, list] | None = None,
                  run_info: dict | None = None) -> Path:
    """Fill `out_dir` with rank1..N.sdf, poses.csv, complex_rank1.pdb, rank1.png and run.json (`run_info`,
    e.g. weights and settings, plus the seconds of sampling and confidence ranking).

    The folder is built under a temporary name and renamed at the end, so it is either complete
    or absent.
    """
    import json
    import shutil
    import tempfile

    from discodock import output
    from discodock.atomic import default_mode

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    staging.chmod(default_mode(0o777))  # mkdtemp makes 0700; the user's umask decides, as for any folder
    try:
        rows = []
        mols = []
        for rank, (pose, conf, latent) in enumerate(zip(result.poses, result.confidence, result.latents), start=1):
            # docked through found pockets: which one (the latent's node numbers are that pocket's graph's)
            pocket = {} if result.pocket is None else {"pocket": int(result.pocket[rank - 1])}
            props = {"_Name": f"{result.complex.name}_rank{rank}", "rank": rank, "confidence": f"{conf:.4f}",
                     "latent": latent, **pocket}
            mol = output.pose_molecule(result.complex.ligand, pose, props)
            output.write_sdf(staging / f"rank{rank}.sdf", mol)
            mols.append(mol)
            rows.append({"rank": rank, "confidence": round(float(conf), 4), "latent": latent, **pocket,
                         "file": f"rank{rank}.sdf"})
        for key, values in (extra_columns or {}).items():
            for row, value in zip(rows, values):
                row[key] = value
        output.write_poses_csv(staging / "poses.csv", rows)
        output.write_complex_pdb(staging / "complex_rank1.pdb", result.complex.protein_path, mols[0])
        output.draw_pose_png(
            staging / "rank1.png",
            mols[0],
            result.complex.pocket_ca,
            title=f"{result.complex.name}: rank 1 of {len(mols)}, confidence {result.confidence[0]:.2f}",
        )
        run = {**(run_info or {}), "docking_seconds": round(result.seconds, 3), "docking_timings": result.timings}
        (staging / "run.json").write_text(json.dumps(run, indent=2) + "\n")
        # Move the old folder aside before renaming, so a crash leaves the old or the new output, never neither.
        old = out_dir.parent / f"{staging.name}.old" if out_dir.exists() else None
        if old is not None:
            out_dir.rename(old)
        staging.rename(out_dir)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
