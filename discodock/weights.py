"""Model bundles: one `.pt` file with the config and weights of score model, prior and confidence model.

Shipped bundles live in `discodock/weights/` beside a model card each. `load_models("disco")`
loads a shipped one by name; any other string is read as a path to a bundle. The commands' default,
`auto`, picks the shipped DisCo bundle that fits the job (`choose_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from discodock.errors import InputError
from discodock.model.config import ModelConfig, config_from_dict
from discodock.sampling import PLAIN, TEMPERATURE_PRESETS, LowTemperature

BUNDLE_FORMAT = "discodock-bundle-1"
WEIGHTS_DIR = Path(__file__).parent / "weights"
SHIPPED = {
    "disco": "disco_blind.pt",
    "twin": "twin_blind.pt",
    "disco-pocket": "disco_pocket.pt",
    "twin-pocket": "twin_pocket.pt",
}
AUTO = "auto"
# no pocket given: the pocket model docks in the first 3 pockets found, decided against the blind model on
# PoseBusters V2 by a rule fixed before that run (benchmarks/results/run_settings/blind_default_decision*.md)
FOUND_POCKETS = 3


@dataclass
class DockingModels:
    """Everything needed to dock: the score model, the latent prior (pointer or codebook; None for the twin),
    the ranker."""

    config: ModelConfig
    score: torch.nn.Module
    prior: torch.nn.Module | None
    confidence: torch.nn.Module | None
    mode: str  # "blind" or "pocket"
    pocket_radius: float | None
    metadata: dict
    prior_temperature: float = 1.0  # sampling temperature of the prior (stored in the bundle)
    temperature: LowTemperature = PLAIN  # low-temperature sampling of the poses (bundle metadata, if any)


def save_bundle(
    path: str | Path,
    config: ModelConfig,
    score: torch.nn.Module,
    prior: torch.nn.Module | None,
    confidence: torch.nn.Module | None,
    *,
    mode: str,
    pocket_radius: float | None,
    metadata: dict | None = None,
) -> None:
    """Write a bundle (weights on CPU, float32) atomically."""
    from discodock.atomic import atomic_open

    def cpu_state(module: torch.nn.Module | None) -> dict | None:
        return None if module is None else {k: v.detach().cpu() for k, v in module.state_dict().items()}

    bundle = {
        "format": BUNDLE_FORMAT,
        "model_config": config.to_dict(),
        "mode": mode,
        "pocket_radius": pocket_radius,
        "score": cpu_state(score),
        "prior": cpu_state(prior),
        "confidence": cpu_state(confidence),
        "metadata": metadata or {},
    }
    with atomic_open(path, "wb") as handle:
        torch.save(bundle, handle)


def update_metadata(path: str | Path, **values) -> None:
    """Set metadata entries of a bundle file in place (atomically), e.g. `caveat`: a one-line warning that
    `predict` and `screen` print whenever the bundle is used (what its model card says users must know)."""
    from discodock.atomic import atomic_open

    bundle = _read_bundle(Path(path))
    bundle["metadata"] = {**bundle["metadata"], **values}
    with atomic_open(path, "wb") as handle:
        torch.save(bundle, handle)


def resolve_weights(name_or_path: str | Path) -> Path:
    if str(name_or_path) in SHIPPED:
        path = WEIGHTS_DIR / SHIPPED[str(name_or_path)]
        if not path.is_file():
            raise InputError(name_or_path, f"shipped weights are missing from this install ({path})")
        return path
    path = Path(name_or_path)
    if not path.is_file():
        raise InputError(name_or_path, f"no such weights file; shipped names are {sorted(SHIPPED)}")
    return path


def choose_weights(weights: str | Path, pocket: bool) -> str | Path:
    """`auto` -> the shipped DisCo bundle for the job: 'disco-pocket' when a pocket is given or found
    (`found_pockets_for`), else 'disco' (blind, whole protein). Any other name or path is returned as it is."""
    if str(weights) != AUTO:
        return weights
    return "disco-pocket" if pocket else "disco"


def found_pockets_for(pockets: int | None, weights: str | Path, pocket_given: bool) -> int:
    """How many pockets found from the protein's shape to dock through (`--pockets`): the number asked for; left
    unset, FOUND_POCKETS for a job without a pocket (the pocket model docks in each) unless `weights` names a
    blind model, which searches the whole protein, and 0 when a pocket is given."""
    if pockets is not None:
        return pockets
    if pocket_given:
        return 0
    if str(weights) == AUTO:
        return FOUND_POCKETS
    return 0 if _read_bundle(resolve_weights(weights))["mode"] == "blind" else FOUND_POCKETS


def check_mode(models: DockingModels, weights: str | Path, pocket: bool, *, give_pocket: str,
               drop_pocket: str = "drop the pocket, or use a pocket model such as disco-pocket") -> None:
    """InputError unless the bundle was trained for the job: a pocket model needs a pocket, and a blind
    model (trained on whole proteins, ligand starting anywhere) must not be handed one. The hints say how
    to fix each case in the caller's terms."""
    if models.mode == "pocket" and not pocket:
        raise InputError(weights, f"is a pocket-mode model: {give_pocket}")
    if models.mode == "blind" and pocket:
        raise InputError(weights, f"is a blind model (whole protein, no pocket): {drop_pocket}")


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file (bundles are a few MB): names the exact weights a run used."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def weights_record(weights: str | Path) -> dict:
    """The exact weights a run used (for run.json and benchmark settings): the name given, the resolved
    file and its SHA-256."""
    path = resolve_weights(weights)
    return {"weights": str(weights), "weights_file": str(path.resolve()), "weights_sha256": file_sha256(path),
            "networks_sha256": networks_sha256(path)}


def networks_sha256(path: str | Path) -> str:
    """SHA-256 of what a bundle docks with: its configuration and the networks' weights, not its metadata, so
    editing a bundle's caveat or card does not make resumed runs look as if other weights were used."""
    import hashlib
    import json

    bundle = _read_bundle(Path(path))
    digest = hashlib.sha256(json.dumps([bundle["model_config"], bundle["mode"], bundle["pocket_radius"]],
                                       sort_keys=True, default=str).encode())
    for part in ("score", "prior", "confidence"):
        state = bundle[part] or {}
        for name in sorted(state):
            digest.update(f"{part}.{name}".encode())
            digest.update(state[name].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def weights_keys_for(record: dict, keys: Sequence[str]) -> list[str]:
    """`keys` to compare against an earlier run's `record`: a record written before networks_sha256 existed is
    compared on the file's weights_sha256 instead."""
    return [key if key != "networks_sha256" or key in record else "weights_sha256" for key in keys]


_BUNDLE_KEYS = ("model_config", "mode", "pocket_radius", "score", "prior", "confidence", "metadata")


def _read_bundle(path: Path) -> dict:
    """The bundle dict; InputError naming the file if it is not one.

    weights_only=True: a bundle holds only tensors and plain values, and loading must never run code
    from a downloaded file.
    """
    import pickle
    import zipfile

    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; anything else is not a bundle
        raise InputError(path, "not a discodock model bundle (not a torch.save archive)")
    try:
        bundle = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, IndexError) as error:
        raise InputError(path, "not a discodock model bundle (torch cannot read it)") from error
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise InputError(path, f"not a discodock model bundle (expected format {BUNDLE_FORMAT})")
    missing = [k for k in _BUNDLE_KEYS if k not in bundle]
    if missing or bundle["score"] is None:
        raise InputError(path, f"incomplete model bundle (missing {missing or ['score']})")
    return bundle


def load_models(name_or_path: str | Path, device: str = "cpu", temperature: str | None = None) -> DockingModels:
    """Load a bundle by shipped name or path, in eval mode on `device`.

    temperature: a `TEMPERATURE_PRESETS` name that replaces the bundle's low-temperature sampling setting."""
    if temperature is not None and temperature not in TEMPERATURE_PRESETS:
        raise InputError("--temperature", f"unknown preset {temperature!r}; choose from {', '.join(TEMPERATURE_PRESETS)}")
    from discodock.model.confidence import ConfidenceModel
    from discodock.model.prior import build_prior
    from discodock.model.score_model import ScoreModel

    path = resolve_weights(name_or_path)
    bundle = _read_bundle(path)
    config = config_from_dict(bundle["model_config"], path)

    def build(make, state):
        """make(config) -> module (a class, or `build_prior`, which picks the prior of the latent mode)."""
        if state is None:
            return None
        module = make(config)
        try:
            module.load_state_dict(state)
        except RuntimeError as error:  # missing/unexpected keys or shape mismatches
            raise InputError(path, f"{type(module).__name__} weights do not fit the bundle's model config") from error
        return module.to(device).eval()

    return DockingModels(
        config=config,
        score=build(ScoreModel, bundle["score"]),
        prior=build(build_prior, bundle["prior"]),
        confidence=build(ConfidenceModel, bundle["confidence"]),
        mode=bundle["mode"],
        pocket_radius=bundle["pocket_radius"],
        metadata=bundle["metadata"],
        prior_temperature=float(bundle["metadata"].get("prior_temperature", 1.0)),
        temperature=TEMPERATURE_PRESETS[temperature] if temperature is not None
        else LowTemperature(**bundle["metadata"].get("sampling_temperature", {})),
    )
