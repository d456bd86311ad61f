"""The FID proxy: a small CNN trained once on the real images, and the Fréchet distance in its
feature space (Heusel et al. 2017's FID with our own classifier in place of Inception-v3).

    FD = ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2 (Σ_r^½ Σ_g Σ_r^½)^½)

Its class accuracy on class-conditional samples says whether a sample shows the asked-for digit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

Tensor = torch.Tensor

WEIGHTS_DIR = Path(__file__).parent / "weights"
FEATURE_DIM = 64  # Fréchet features: ≪ the ~500 samples per estimate, so Σ is well conditioned


class DigitCNN(nn.Module):
    """conv(32)×2 → pool → conv(64)×2 → adaptive pool 2×2 → 64-d features → 10 logits.

    The adaptive pool makes the same network fit 32×32 MNIST and 8×8 digits.
    """

    def __init__(self, in_ch: int = 1, num_classes: int = 10, width: int = 32):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_ch, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * width, FEATURE_DIM),
        )
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.3), nn.Linear(FEATURE_DIM, num_classes))

    def features(self, x: Tensor) -> Tensor:
        """[B, 1, H, W] in [-1, 1] -> [B, 64] (pre-activation, so every dimension varies)."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def weights_path(dataset: str) -> Path:
    return WEIGHTS_DIR / f"{dataset}_cnn.pt"


def load_classifier(dataset: str, device: torch.device | str = "cpu") -> DigitCNN:
    """The committed classifier for `dataset`, in eval mode."""
    net = DigitCNN()
    net.load_state_dict(torch.load(weights_path(dataset), map_location="cpu", weights_only=True))
    return net.to(device).eval()


@torch.no_grad()
def batched_features(net: DigitCNN, images: Tensor, batch_size: int = 1000) -> tuple[Tensor, Tensor]:
    """(features [N, 64], logits [N, 10]) in float64 on the CPU, computed in batches."""
    device = next(net.parameters()).device
    feats, logits = [], []
    for chunk in images.split(batch_size):
        f = net.features(chunk.to(device).float())
        feats.append(f.double().cpu())
        logits.append(net.head(f).double().cpu())
    return torch.cat(feats), torch.cat(logits)


def feature_stats(features: Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(μ, Σ) of features [N, d], Σ with the unbiased 1/(N−1) normalisation."""
    f = features.double().cpu().numpy()
    return f.mean(axis=0), np.cov(f, rowvar=False)


def _psd_sqrt(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric PSD matrix through its eigen-decomposition (tiny negatives → 0)."""
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet (2-Wasserstein) distance² between N(μ1, Σ1) and N(μ2, Σ2).

    Tr((Σ1 Σ2)^½) is computed as Σ_i sqrt(λ_i) with λ the eigenvalues of the symmetric
    Σ1^½ Σ2 Σ1^½, which avoids the complex round-off of a general matrix square root.
    """
    s1 = _psd_sqrt(cov1)
    cross = np.linalg.eigvalsh(s1 @ cov2 @ s1)
    tr_sqrt = np.sqrt(np.clip(cross, 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_sqrt)


def fid_proxy(features_real: Tensor, features_fake: Tensor) -> float:
    """Fréchet distance between two feature sets [N, d] (our FID proxy)."""
    return frechet_distance(*feature_stats(features_real), *feature_stats(features_fake))


def class_accuracy(logits: Tensor, labels: Tensor) -> float:
    """Fraction of samples the classifier assigns to the class they were generated for."""
    return float((logits.argmax(dim=1).cpu() == labels.cpu()).double().mean())


def random_shift(x: Tensor, max_shift: int, generator: torch.Generator | None = None) -> Tensor:
    """Translate each image by up to ±max_shift pixels (background −1 fills in): cheap augmentation."""
    if max_shift == 0:
        return x
    pad = torch.nn.functional.pad(x, (max_shift,) * 4, value=-1.0)
    h, w = x.shape[-2:]
    out = torch.empty_like(x)
    shifts = torch.randint(0, 2 * max_shift + 1, (x.shape[0], 2), generator=generator)
    for i, (dy, dx) in enumerate(shifts.tolist()):
        out[i] = pad[i, :, dy : dy + h, dx : dx + w]
    return out


def train_classifier(
    images: Tensor,
    labels: Tensor,
    epochs: int = 15,
    batch_size: int = 64,
    lr: float = 2e-3,
    max_shift: int = 2,
    seed: int = 0,
) -> DigitCNN:
    """Adam with a cosine schedule, random shifts as augmentation; CPU, about a minute on MNIST-5k."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = DigitCNN(num_classes=int(labels.max()) + 1)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * ((len(images) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    shift = max_shift if images.shape[-1] > 8 else 1  # 1 px is already 12 % of an 8×8 digit
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(images), generator=g).split(batch_size):
            x = random_shift(images[idx], shift, generator=g)
            loss = nn.functional.cross_entropy(net(x), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return net.eval()


def fit_and_save(dataset: str, data_file: str | None = None, epochs: int = 15) -> float:
    """Train the FID-proxy classifier on the train split, save its weights; returns held-out accuracy."""
    from discodock.images.data import load_dataset, stratified_split

    data = load_dataset(dataset, data_file)
    train_idx, test_idx = stratified_split(data.labels)
    net = train_classifier(data.images[train_idx], data.labels[train_idx], epochs=epochs)
    _, logits = batched_features(net, data.images[test_idx])
    acc = class_accuracy(logits, data.labels[test_idx])
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    tmp = weights_path(dataset).with_suffix(".pt.tmp")
    torch.save(net.state_dict(), tmp)
    tmp.replace(weights_path(dataset))
    return acc


if __name__ == "__main__":
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Train the FID-proxy classifier once and save its weights.")
    parser.add_argument("--dataset", default="mnist5k")
    parser.add_argument("--data-file", default=None)
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.time()
    accuracy = fit_and_save(args.dataset, args.data_file, args.epochs)
    print(f"{args.dataset}: held-out accuracy {accuracy:.4f} ({time.time() - start:.0f} s, 1 thread)")
