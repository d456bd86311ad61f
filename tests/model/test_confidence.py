"""Confidence model: one invariant logit per complex."""

import torch
from .conftest import moved, synthetic_batch
from e3nn import o3

from discodock.model import ConfidenceModel, ModelConfig


def test_confidence_logits_shape_and_invariance():
    torch.manual_seed(0)
    model = ConfidenceModel(ModelConfig()).double().eval()
    batch = synthetic_batch([(12, 30, 2), (9, 24, 1)], dtype=torch.float64)
    rot, shift = o3.rand_matrix(dtype=torch.float64), torch.tensor([-2.0, 5.0, 1.0], dtype=torch.float64)
    with torch.no_grad():
        ref = model(batch)
        out = model(moved(batch, rot, shift))
        cached = model(batch, receptor=model.receptor_features(batch))
    assert ref.shape == (2,)
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(cached, ref)
    # a different pose of the same ligand gives a different logit
    shifted = moved(batch, torch.eye(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    shifted.lig_pos = batch.lig_pos + torch.tensor([3.0, 0.0, 0.0], dtype=torch.float64)
    with torch.no_grad():
        assert (model(shifted) - ref).abs().max() > 1e-5
