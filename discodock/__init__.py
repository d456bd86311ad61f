"""discodock: molecular docking with DisCo-Diff (diffusion with discrete pose-mode latents)."""

from discodock.errors import InputError

__version__ = "0.1.0"
__all__ = ["InputError", "__version__"]
