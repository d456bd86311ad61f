"""Lightning under either of its package names: `pytorch_lightning` (this project's pin) or the
unified `lightning` package (some training machines have only that one)."""

from __future__ import annotations

try:
    import pytorch_lightning as pl
except ImportError:  # pragma: no cover - depends on the machine
    import lightning.pytorch as pl

__all__ = ["pl"]
