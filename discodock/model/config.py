"""Typed configuration of the docking networks, loaded from YAML, and the noise schedule σ(t).

One t ∈ [0, 1] drives the three noise levels (DiffDock): σ(t) = σ_min^(1−t) · σ_max^t for
translation (Å), rotation (rad, IGSO(3) ε) and torsions (rad, wrapped normal). `sigmas` is the one
place that maps t to σ; the diffusion and sampling code reuse it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import yaml

from discodock.errors import InputError

Tensor = torch.Tensor

# Fallback vocabularies until the featuriser's are read from a config: 21 residue types
# (chem.protein.RESIDUE_TYPES) and DiffDock-like ligand columns (element, chirality, degree,
# formal charge, implicit valence, H count, radical electrons, hybridisation, aromatic, ring).
DEFAULT_LIGAND_FEATURE_DIMS = (120, 5, 12, 12, 10, 6, 6, 8, 2, 2)
DEFAULT_NUM_RESIDUE_TYPES = 21
LATENT_MODES = ("pointer", "codebook", "none")


@dataclass
class ModelConfig:
    """Sizes, cutoffs and schedules shared by the score model, encoder, prior and confidence model."""

    # score-model trunk
    ns: int = 16  # scalar channels (DiffDock-S: 24)
    nv: int = 4  # vector channels per parity (DiffDock-S: 6)
    num_layers: int = 3  # conv layers, each four convolutions (DiffDock-S: 5)
    sh_lmax: int = 1  # spherical harmonics of edge directions
    distance_embed_dim: int = 16  # Gaussians per edge-length embedding
    time_embed_dim: int = 16  # sinusoidal embedding of t
    edge_hidden: int = 16  # hidden width of the per-edge weight MLPs (DiffDock: 3·ns)
    batch_norm: bool = True  # e3nn equivariant batch norm after each convolution
    dropout: float = 0.0
    # graph
    lig_radius: float = 5.0  # Å, ligand radius edges (plus bond edges)
    rec_knn: int = 24  # receptor kNN ...
    rec_radius: float = 15.0  # ... within this distance (Å)
    cross_cutoff_base: float = 20.0  # Å; cross cutoff = base + scale · σ_tr
    cross_cutoff_sigma_scale: float = 3.0
    cross_max_neighbors: int | None = 12  # keep only the k nearest residues per ligand atom (None: all, as DiffDock)
    center_radius: float = 30.0  # Å, range of the distance embedding of atom -> centroid edges
    # torsion head: + Σ_k α_k sin(kφ) over each bond's dihedrals φ, k = 1..K (0: off, as the first bundles)
    dihedral_harmonics: int = 0
    # latents (DisCo)
    latent_mode: str = "pointer"  # 'pointer' | 'codebook' (m latents of k codes each) | 'none' (the no-latent twin)
    num_latents: int = 2  # m latents (pointers or codes)
    codebook_size: int = 8  # k codes per latent ('codebook' mode only)
    latent_dropout: float = 0.1  # per complex, to the null latent, in training
    # encoder (crystal complex, no time input)
    encoder_ns: int = 16
    encoder_nv: int = 4
    encoder_layers: int = 2
    # residues farther (Å) than this from every crystal ligand atom cannot be chosen; None: all residues
    encoder_rec_cutoff: float | None = 15.0
    # prior and confidence trunks (own weights, same structure, fewer layers)
    prior_layers: int = 2  # codebook prior: layers of its AR transformer (width prior_hidden)
    prior_hidden: int = 32
    confidence_layers: int = 2
    # vocabularies
    ligand_feature_dims: tuple[int, ...] = DEFAULT_LIGAND_FEATURE_DIMS
    num_residue_types: int = DEFAULT_NUM_RESIDUE_TYPES
    # noise schedule σ(t) = σ_min^(1−t) σ_max^t
    tr_sigma_min: float = 0.1
    tr_sigma_max: float = 19.0
    rot_sigma_min: float = 0.03
    rot_sigma_max: float = 1.55
    tor_sigma_min: float = 0.0314
    tor_sigma_max: float = 3.14159265

    def __post_init__(self) -> None:
        self.ligand_feature_dims = tuple(int(d) for d in self.ligand_feature_dims)
        if self.latent_mode not in LATENT_MODES:
            raise InputError(self.latent_mode, f"latent_mode must be one of {LATENT_MODES}")
        if self.latent_mode == "codebook" and (self.codebook_size < 1 or self.prior_hidden % 4):
            problem = "codebook latents need codebook_size >= 1 and prior_hidden divisible by 4 (attention heads)"
            raise InputError(self.latent_mode, problem)
        if self.sh_lmax != 1:
            raise InputError(str(self.sh_lmax), "only sh_lmax = 1 is implemented")

    @property
    def has_latents(self) -> bool:
        """DisCo (pointer or codebook latents, with an encoder and a prior) rather than the no-latent twin."""
        return self.latent_mode != "none"

    @property
    def latent_dim(self) -> int:
        """Latent indicator columns per node, the trunk's latent input: m pointers, m·k codes, or none."""
        return {"pointer": self.num_latents, "codebook": self.num_latents * self.codebook_size}.get(self.latent_mode, 0)

    @property
    def cross_cutoff_max(self) -> float:
        """Largest cross cutoff (at σ_tr,max): range of the cross distance embedding."""
        return self.cross_cutoff_base + self.cross_cutoff_sigma_scale * self.tr_sigma_max

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ligand_feature_dims"] = list(self.ligand_feature_dims)
        return d


@dataclass
class SigmaSet:
    """σ_tr, σ_rot, σ_tor, each [G]."""

    tr: Tensor
    rot: Tensor
    tor: Tensor


def _interpolate(t: Tensor, lo: float, hi: float) -> Tensor:
    return lo ** (1.0 - t) * hi**t


def sigmas(t: Tensor, cfg: ModelConfig) -> SigmaSet:
    """σ(t) = σ_min^(1−t) · σ_max^t for each of translation, rotation and torsion; t [G] in [0, 1]."""
    return SigmaSet(
        tr=_interpolate(t, cfg.tr_sigma_min, cfg.tr_sigma_max),
        rot=_interpolate(t, cfg.rot_sigma_min, cfg.rot_sigma_max),
        tor=_interpolate(t, cfg.tor_sigma_min, cfg.tor_sigma_max),
    )


def cross_cutoff(sigma_tr: Tensor, cfg: ModelConfig) -> Tensor:
    """Ligand–receptor edge cutoff per complex: base + scale · σ_tr (DiffDock: 20 Å + 3 σ_tr)."""
    return cfg.cross_cutoff_base + cfg.cross_cutoff_sigma_scale * sigma_tr


def config_from_dict(raw: dict, source: object = "<dict>") -> ModelConfig:
    """Build a ModelConfig; unknown keys raise InputError naming the source."""
    known = {f.name for f in fields(ModelConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(source, f"unknown model config keys {unknown}")
    return ModelConfig(**raw)


def load_config(path: str | Path) -> ModelConfig:
    """Read a ModelConfig from YAML (a mapping; either top level or under a `model:` key)."""
    from discodock.yaml_io import read_yaml_mapping

    raw = read_yaml_mapping(path, "model config")
    raw = raw.get("model", raw)
    return config_from_dict(raw, path)


def save_config(cfg: ModelConfig, path: str | Path) -> None:
    """Write the config as YAML (saved beside every checkpoint)."""
    from discodock.atomic import atomic_write_text

    atomic_write_text(path, yaml.safe_dump({"model": cfg.to_dict()}, sort_keys=False))


__all__ = ["ModelConfig", "SigmaSet", "config_from_dict", "cross_cutoff", "load_config", "save_config", "sigmas"]
