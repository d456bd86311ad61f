"""Fixtures for the `discodock` command-line tests: tiny random model bundles, example inputs, a CLI runner.

Every docking call here uses a randomly initialised model with 8 scalar channels and one layer, and
3 samples × 4 steps, so a call takes about a second on one thread. The poses are meaningless; the
tests check the plumbing (inputs, outputs, errors), not docking quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

BAD_INPUTS = Path(__file__).parent / "bad_inputs"
FAST = ("--samples", "3", "--steps", "4", "--threads", "1")
OUTPUT_FILES = ("complex_rank1.pdb", "poses.csv", "rank1.png", "rank1.sdf", "rank2.sdf", "rank3.sdf", "run.json")  # 3 poses


@dataclass(frozen=True)
class Bundles:
    disco: Path  # pointer latents + AR prior + confidence model, pocket mode (15 Å)
    twin: Path  # latent_mode 'none', no prior
    codebook: Path  # codebook latents (m = 2, k = 8) + AR codebook prior + confidence model, pocket mode
    blind: Path  # pointer latents + AR prior + confidence model, blind mode (whole protein)


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Bundles:
    """Four tiny randomly initialised model bundles written with `discodock.weights.save_bundle`."""
    from discodock.chem.featurize import LIGAND_FEATURE_DIMS
    from discodock.model import ConfidenceModel, ModelConfig, ScoreModel, build_prior
    from discodock.weights import save_bundle

    folder = tmp_path_factory.mktemp("bundles")
    torch.manual_seed(0)
    paths = {}
    for name, latent_mode in (("disco", "pointer"), ("twin", "none"), ("codebook", "codebook"), ("blind", "pointer")):
        cfg = ModelConfig(ns=8, nv=2, num_layers=1, ligand_feature_dims=LIGAND_FEATURE_DIMS, latent_mode=latent_mode)
        prior = build_prior(cfg) if cfg.has_latents else None
        paths[name] = folder / f"{name}.pt"
        mode, radius = ("blind", None) if name == "blind" else ("pocket", 15.0)
        save_bundle(paths[name], cfg, ScoreModel(cfg), prior, ConfidenceModel(cfg), mode=mode, pocket_radius=radius)
    return Bundles(**paths)


@dataclass(frozen=True)
class Example:
    protein: Path
    ligand: Path  # crystal pose: also the pocket reference
    center: str  # "x,y,z" of the ligand centroid


@pytest.fixture(scope="session")
def example(posebusters_examples: Path) -> Example:
    """1ia1 from the posebusters wheel."""
    from rdkit import Chem

    folder = posebusters_examples / "1ia1"
    ligand = folder / "1ia1_ligand.sdf"
    centroid = Chem.MolFromMolFile(str(ligand)).GetConformer().GetPositions().mean(axis=0)
    return Example(folder / "1ia1_protein_one_lig_removed.pdb", ligand, ",".join(f"{v:.3f}" for v in centroid))


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.strip().splitlines()


@pytest.fixture
def cli(capfd: pytest.CaptureFixture[str]):
    """Run `discodock ARGS…` in this process; returns exit code, stdout and stderr (C-level output included)."""
    from discodock.cli import main

    def run(*args: object) -> CliResult:
        capfd.readouterr()
        code = main([str(a) for a in args])
        captured = capfd.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def write_synthetic_pdb(path: Path, num_residues: int, spacing: float = 3.8) -> np.ndarray:
    """An alanine chain with Cα on a serpentine 3-D grid (`spacing` Å apart); returns the Cα coordinates [R, 3].

    Not a real fold, only a valid PDB of any size. Chains of 9,999 residues at most each (PDB numbering).
    """
    side = int(np.ceil(num_residues ** (1 / 3)))
    lines, ca_all = [], []
    serial = 1
    offsets = {"N": (-1.2, 0.5, 0.0), "CA": (0.0, 0.0, 0.0), "C": (1.2, 0.5, 0.0), "O": (1.5, 1.6, 0.0),
               "CB": (0.0, -1.0, 1.2)}  # fmt: skip
    for r in range(num_residues):
        i, j, k = r % side, (r // side) % side, r // (side * side)
        i = i if j % 2 == 0 else side - 1 - i  # serpentine keeps neighbours in sequence close in space
        ca = np.array([i, j, k], dtype=float) * spacing
        ca_all.append(ca)
        chain = chr(ord("A") + r // 9999)
        for name, offset in offsets.items():
            x, y, z = ca + offset
            lines.append(f"ATOM  {serial:5d}  {name:<3s} ALA {chain}{r % 9999 + 1:4d}    {x:8.3f}{y:8.3f}{z:8.3f}"
                         f"  1.00  0.00           {name[0]}")
            serial += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines + ["END"]) + "\n")
    return np.array(ca_all)


@pytest.fixture
def tiny_shipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bundles: Bundles) -> Path:
    """The tiny bundles stand in for the shipped ones (so `--weights auto` resolves to them): 'disco-pocket' is
    bundles.disco, 'disco' (blind) is bundles.blind."""
    import discodock.weights as weights

    folder = tmp_path / "shipped"
    folder.mkdir()
    (folder / weights.SHIPPED["disco-pocket"]).symlink_to(bundles.disco)
    (folder / weights.SHIPPED["disco"]).symlink_to(bundles.blind)
    monkeypatch.setattr(weights, "WEIGHTS_DIR", folder)
    return folder
