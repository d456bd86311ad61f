"""Docking networks: score model with pointer latents, pose-mode encoder, AR pointer prior, confidence model."""

from discodock.model.confidence import ConfidenceModel
from discodock.model.config import ModelConfig, SigmaSet, cross_cutoff, load_config, save_config, sigmas
from discodock.model.encoder import PoseModeEncoder
from discodock.model.prior import PointerPrior
from discodock.model.score_model import (
    ComplexTrunk,
    LatentNodes,
    ReceptorFeatures,
    ScoreModel,
    latent_drop_mask,
    node_segments,
)

__all__ = [
    "ComplexTrunk",
    "ConfidenceModel",
    "LatentNodes",
    "ModelConfig",
    "PointerPrior",
    "PoseModeEncoder",
    "ReceptorFeatures",
    "ScoreModel",
    "SigmaSet",
    "cross_cutoff",
    "latent_drop_mask",
    "load_config",
    "node_segments",
    "save_config",
    "sigmas",
]
