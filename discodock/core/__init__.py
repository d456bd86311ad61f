"""Domain-agnostic DisCo-Diff: EDM diffusion, discrete latents, AR prior, metrics (no chemistry)."""

from discodock.core.edm import EDMLoss, EDMPrecond, edm_time_steps
from discodock.core.latents import CodebookHead, LatentEmbedding, gumbel_softmax_st, segment_gumbel_softmax_st
from discodock.core.prior import ARPrior, fit_prior
from discodock.core.samplers import edm_sampler

__all__ = [
    "ARPrior",
    "fit_prior",
    "CodebookHead",
    "EDMLoss",
    "EDMPrecond",
    "LatentEmbedding",
    "edm_sampler",
    "edm_time_steps",
    "gumbel_softmax_st",
    "segment_gumbel_softmax_st",
]
