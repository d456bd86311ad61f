"""Docking networks: score model with pointer or codebook latents, pose-mode encoder, AR priors, confidence model."""

from discodock.model.confidence import ConfidenceModel
from discodock.model.config import ModelConfig, SigmaSet, cross_cutoff, load_config, save_config, sigmas
from discodock.model.encoder import PoseModeEncoder
from discodock.model.prior import CodebookPrior, PointerPrior, build_prior
from discodock.model.score_model import (
    ComplexTrunk,
    LatentNodes,
    ReceptorFeatures,
    ScoreModel,
    latent_drop_mask,
    node_segments,
)

__all__ = [
    "CodebookPrior",
    "ComplexTrunk",
    "ConfidenceModel",
    "LatentNodes",
    "ModelConfig",
    "PointerPrior",
    "PoseModeEncoder",
    "ReceptorFeatures",
    "ScoreModel",
    "SigmaSet",
    "build_prior",
    "cross_cutoff",
    "latent_drop_mask",
    "load_config",
    "node_segments",
    "save_config",
    "sigmas",
]
