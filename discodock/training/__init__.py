"""Training of the docking models (PyTorch Lightning): cache, data modules, the three stages.

Heavy imports (Lightning, RDKit) stay inside the submodules; `train_main` is the entry point.
"""

from __future__ import annotations


def train_main(config_path, overrides=None, **kwargs):
    """Train score model, prior and confidence model of one config (see `discodock.training.train`)."""
    from discodock.training.train import train_main as _train_main

    return _train_main(config_path, overrides, **kwargs)


__all__ = ["train_main"]
