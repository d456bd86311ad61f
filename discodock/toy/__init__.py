"""The 2-D toy of DisCo-Diff: 8 Gaussians on a ring, EDM vs DisCo with the same MLP denoiser."""

from discodock.toy.data import mixture_denoiser, mode_centers, ring_of_gaussians
from discodock.toy.model import ToyDiffusion
from discodock.toy.train import ToyConfig, load_config, train_toy

__all__ = ["ToyConfig", "ToyDiffusion", "load_config", "mixture_denoiser", "mode_centers", "ring_of_gaussians", "train_toy"]
