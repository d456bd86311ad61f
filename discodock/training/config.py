"""Typed training configuration (one YAML per run, saved beside its checkpoints).

Layout of a config file:

    name: disco_blind
    seed: 0
    out_dir: runs
    model_file: configs/model_small.yaml   # optional: network sizes from a model YAML ...
    model: {...}        # ... overridden here (ModelConfig keys; latent_mode 'pointer' = DisCo, 'codebook' = DisCo
                        #     with m × k codebook latents, 'none' = twin)
    data: {...}         # DataConfig
    score: {...}        # StageConfig of the score-model stage (EMA, Gumbel τ, time distribution)
    prior: {...}        # StageConfig of the AR-prior stage (τ of the encoder's soft probabilities)
    confidence: {...}   # StageConfig of the confidence stage (poses per complex, RMSD threshold)

Overrides are `section.key=value` strings, values parsed as YAML (`score.lr=3e-4`, `model.ns=24`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from discodock.errors import InputError
from discodock.yaml_io import read_yaml_mapping
from discodock.model.config import ModelConfig, config_from_dict


@dataclass
class DataConfig:
    """Where the cached training complexes are and how they are served."""

    cache: str = "cache/train_blind.pt"  # relative paths are relative to the repository root
    mode: str = "blind"  # 'blind': whole protein, frame origin = protein centre; 'pocket': residues near a pocket centre
    pocket_radius: float = 20.0  # Å, pocket mode: residues whose Cα lies within this of the pocket centre
    pocket_noise: float = 1.5  # Å, pocket mode: std per axis of the pocket centre around the crystal ligand centroid
    val_fraction: float = 0.1  # of complexes, whole protein clusters at a time
    val_draws: int = 1  # noisings per validation complex, times stratified (fixed across epochs)
    split_seed: int = 0
    # file of validation complex ids, one per line: replaces the cluster split, which moves whenever the
    # cache gains or loses a complex (a fixed list keeps a model's validation complexes its own)
    val_ids: str | None = None
    batch_size: int = 8
    num_workers: int = 0
    max_residues: int | None = None  # keep only the residues nearest the ligand (caps memory); None = all


@dataclass
class StageConfig:
    """Optimisation of one stage (score, prior or confidence); unused keys are ignored by a stage."""

    enabled: bool = True
    lr: float = 1e-3
    weight_decay: float = 0.0
    max_epochs: int = 1000
    max_minutes: float | None = None  # wall-clock budget of the stage (Lightning max_time)
    max_steps: int = -1
    grad_clip: float = 1.0
    lr_schedule: str = "constant"  # score/confidence stages: 'constant' or 'cosine' (to lr_min_factor x lr at max_steps)
    lr_warmup_steps: int = 0  # linear warm-up from lr / lr_warmup_steps
    lr_min_factor: float = 0.1
    ema_decay: float = 0.999  # score stage: EMA of weights (used for validation and export)
    # score stage: cap the decay at (1 + n) / (10 + n) after n steps (discodock.core.ema). Off by default so the
    # committed recipes train what they trained; without it a run of ~1,000 steps exports ~40 % initial weights
    ema_warmup: bool = False
    gumbel_tau: float = 1.0  # score stage: Gumbel-softmax temperature of the encoder; prior stage: τ of its soft probabilities
    time_distribution: str = "uniform"  # score stage: 'uniform' (DiffDock) or 'beta' (Beta(alpha, 1); DiffDock-S alpha 2)
    time_alpha: float = 1.0
    loss_weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)  # tr, rot, tor
    compile: bool = False  # score stage: torch.compile the tensor products (~1.8x faster CPU steps, ~40 s to compile)
    val_every_n_epochs: int = 1
    val_check_interval: int | None = None  # also validate every this many training steps (None: per epoch only)
    log_every_n_steps: int = 10
    samples_per_complex: int = 8  # confidence stage: poses sampled per training complex
    sampling_steps: int = 20  # confidence stage: reverse-diffusion steps per pose
    sampling_chunk: int = 16  # confidence stage: complexes sampled together
    rmsd_threshold: float = 2.0  # confidence stage: label = RMSD < threshold (Å)
    prior_temperature: float = 1.0  # confidence stage: temperature of the prior's latent draws
    perturbed_per_complex: int = 0  # confidence stage: + poses per complex, the crystal pose noised at t ~ U(0, t_max)
    perturbed_t_max: float = 0.8
    poses_per_group: int = 0  # confidence stage: > 0 batches `batch_size` complexes x this many of their poses
    # confidence stage: + this x a listwise ranking term over each group's sampled poses (with the pocket
    # models' 243 complexes it did not rank validation poses better: benchmarks/confidence_study.py)
    ranking_weight: float = 0.0
    ranking_temperature: float = 1.0  # confidence stage: Å; the ranking target is softmax(-RMSD / temperature)
    freeze_trunk_epochs: int = 5  # prior stage: the trunk (copied from the score model) is frozen this long

    def __post_init__(self) -> None:
        self.loss_weights = tuple(float(w) for w in self.loss_weights)
        if self.time_distribution not in ("uniform", "beta"):
            raise InputError(self.time_distribution, "time_distribution must be 'uniform' or 'beta'")
        if self.lr_schedule not in ("constant", "cosine"):
            raise InputError(self.lr_schedule, "lr_schedule must be 'constant' or 'cosine'")
        if self.ranking_weight > 0 and self.poses_per_group < 2:
            raise InputError("ranking_weight", "a ranking term needs poses_per_group >= 2 (poses of one complex per group)")
        if self.lr_schedule == "cosine" and self.max_steps <= 0:
            raise InputError("lr_schedule: cosine", "needs max_steps > 0 (the step at which the decay ends)")


@dataclass
class TrainConfig:
    name: str = "disco_blind"
    model_file: str | None = None
    seed: int = 0
    out_dir: str = "runs"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    score: StageConfig = field(default_factory=StageConfig)
    prior: StageConfig = field(default_factory=lambda: StageConfig(max_epochs=200))
    confidence: StageConfig = field(default_factory=lambda: StageConfig(max_epochs=200))

    def __post_init__(self) -> None:
        if self.data.mode not in ("blind", "pocket"):
            raise InputError(self.data.mode, "data.mode must be 'blind' or 'pocket'")
        if self.prior.lr_schedule != "constant" or self.prior.lr_warmup_steps:
            raise InputError("prior.lr_schedule", "the prior keeps its frozen-trunk schedule: leave lr_schedule "
                                                  "constant and lr_warmup_steps 0")

    @property
    def run_dir(self) -> Path:
        return resolve_path(self.out_dir) / self.name

    def to_dict(self) -> dict:
        d = asdict(self)
        d["model"] = self.model.to_dict()
        for stage in ("score", "prior", "confidence"):
            d[stage]["loss_weights"] = list(d[stage]["loss_weights"])
        return d


REPO_ROOT = Path(__file__).resolve().parents[2]


def resolve_path(path: str | Path) -> Path:
    """Absolute paths stay; relative ones are taken from the repository root."""
    path = Path(path)
    return path if path.is_absolute() else REPO_ROOT / path


def _coerce_floats(cls, raw: dict, source: object) -> dict:
    """YAML 1.1 reads `3e-4` (no dot) as a string: convert strings given for float fields."""
    out = dict(raw)
    for f in fields(cls):
        if f.name in out and isinstance(out[f.name], str) and str(f.type).startswith("float"):
            try:
                out[f.name] = float(out[f.name])
            except ValueError as err:
                raise InputError(source, f"'{f.name}' must be a number, got {out[f.name]!r}") from err
    return out


def _section(cls, raw: dict | None, source: object, name: str):
    raw = dict(raw or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(source, f"unknown keys in '{name}': {unknown}")
    return cls(**_coerce_floats(cls, raw, source))


def config_from_mapping(raw: dict, source: object = "<dict>") -> TrainConfig:
    """Build a TrainConfig from a nested mapping; unknown keys raise InputError naming the source."""
    top = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(raw) - top)
    if unknown:
        raise InputError(source, f"unknown config keys {unknown}")
    defaults = TrainConfig()
    kwargs = {k: raw[k] for k in ("name", "seed", "out_dir", "model_file") if k in raw}
    model_raw: dict = {}
    if raw.get("model_file"):
        loaded = read_yaml_mapping(resolve_path(raw["model_file"]), "model_file")
        model_raw.update(loaded.get("model", loaded))
    model_raw.update(raw.get("model") or {})
    kwargs["model"] = config_from_dict(_coerce_floats(ModelConfig, model_raw, source), source)
    kwargs["data"] = _section(DataConfig, raw.get("data"), source, "data")
    for stage in ("score", "prior", "confidence"):
        base = asdict(getattr(defaults, stage))
        base.update(raw.get(stage) or {})
        kwargs[stage] = _section(StageConfig, base, source, stage)
    return TrainConfig(**kwargs)


def apply_overrides(raw: dict, overrides: list[str] | None) -> dict:
    """Apply `a.b=value` overrides (value parsed as YAML) to a nested mapping, in place."""
    for item in overrides or []:
        if "=" not in item:
            raise InputError(item, "override must look like section.key=value")
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        node = raw
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InputError(item, f"'{part}' is not a section")
        node[parts[-1]] = yaml.safe_load(value)
    return raw


def load_train_config(path: str | Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """Read a training YAML (None: defaults) and apply overrides."""
    raw: dict = {}
    if path is not None:
        raw = read_yaml_mapping(path, "training config")
    return config_from_mapping(apply_overrides(raw, overrides), path or "<defaults>")


def save_train_config(cfg: TrainConfig, path: str | Path) -> None:
    from discodock.atomic import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(cfg.to_dict(), sort_keys=False))


__all__ = [
    "DataConfig",
    "StageConfig",
    "TrainConfig",
    "apply_overrides",
    "config_from_mapping",
    "load_train_config",
    "resolve_path",
    "save_train_config",
]
