"""Shared fixtures: where the real data lives, the example complexes inside the posebusters wheel, the
benchmark scripts as modules, and tiny weight bundles."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


def load_benchmark_script(name: str) -> ModuleType:
    """`benchmarks/<name>.py` imported as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_bundle(path: Path, seed: int = 0, mode: str = "pocket", metadata: dict | None = None) -> Path:
    """A seeded, untrained one-layer score model saved as a bundle at `path` (no prior, no confidence model):
    enough to load, hash and compare weights."""
    import torch

    from discodock.model import ModelConfig, ScoreModel
    from discodock.weights import save_bundle

    torch.manual_seed(seed)
    cfg = ModelConfig(ns=8, nv=2, num_layers=1, latent_mode="none")
    save_bundle(path, cfg, ScoreModel(cfg), None, None, mode=mode, pocket_radius=15.0 if mode == "pocket" else None,
                metadata=metadata)
    return path


@pytest.fixture(autouse=True)
def _rdkit_log_stream_outlives_the_test():
    """posebusters points RDKit's Python log handler at the sys.stderr of the moment it ran, which under pytest's
    capture is a stream closed after the test; every later posebusters load would then fail ('I/O operation on
    closed file'). Point it back at the real stderr after each test."""
    yield
    import rdkit

    handler = getattr(rdkit, "log_handler", None)
    if handler is not None and getattr(handler.stream, "closed", False):
        handler.stream = sys.__stderr__  # not setStream(): it flushes the closed stream first


def shared_data_root() -> Path:
    """`$DISCODOCK_DATA`, else `../shared/data` beside the checkout."""
    return Path(os.environ.get("DISCODOCK_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    root = shared_data_root()
    if not (root / "posebusters_428").is_dir():
        pytest.skip(f"real data not found at {root} (set DISCODOCK_DATA); this test needs ../shared/data")
    return root


@pytest.fixture(scope="session")
def posebusters_examples() -> Path:
    """Folder of the example complexes in the posebusters wheel: `1ia1/1ia1_protein_one_lig_removed.pdb`, `1ia1/1ia1_ligand.sdf`, also 1s3v, 1uou, 1of6."""
    posebusters = pytest.importorskip("posebusters")
    return Path(posebusters.__file__).parent / "datasets" / "pdb"
