"""Embeddings and the tensor-product convolution."""

import torch
from e3nn import o3

from discodock.model.layers import (
    GaussianSmearing,
    TensorProductConv,
    compile_tensor_products,
    is_irreps_prefix,
    sinusoidal_embedding,
)


def test_sinusoidal_embedding_shape_and_distinct_times():
    emb = sinusoidal_embedding(torch.tensor([0.0, 0.5, 1.0]), 15)
    assert emb.shape == (3, 15)
    assert (emb[1] - emb[2]).abs().max() > 0.1
    torch.testing.assert_close(emb[0, :7], torch.zeros(7))  # sin(0)


def test_gaussian_smearing_peaks_at_centres():
    smear = GaussianSmearing(0.0, 5.0, 6)
    out = smear(torch.tensor([0.0, 3.0]))
    assert out.shape == (2, 6)
    assert out.argmax(-1).tolist() == [0, 3]


def test_irreps_prefix():
    assert is_irreps_prefix("4x0e + 1x1o", "4x0e + 3x1o + 2x1e")
    assert not is_irreps_prefix("4x0e + 1x1o", "5x0e + 3x1o")
    assert not is_irreps_prefix("4x0e + 1x1e", "4x0e + 3x1o")


def test_tensor_product_conv_is_equivariant():
    torch.manual_seed(0)
    irreps_in, irreps_out, sh_irreps = o3.Irreps("4x0e + 2x1o"), o3.Irreps("4x0e + 2x1o + 2x1e"), o3.Irreps.spherical_harmonics(1)
    conv = TensorProductConv(irreps_in, sh_irreps, irreps_out, edge_dim=5, residual=True).double().eval()
    pos = torch.randn(7, 3, dtype=torch.float64)
    x = irreps_in.randn(7, -1, dtype=torch.float64)
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 0], [1, 2, 3, 4, 5, 6, 0, 3]])
    attr = torch.randn(8, 5, dtype=torch.float64)

    def run(x, pos):
        sh = o3.spherical_harmonics(sh_irreps, pos[edge_index[0]] - pos[edge_index[1]], normalize=True, normalization="component")
        return conv(x, edge_index, attr, sh)

    rot = o3.rand_matrix(dtype=torch.float64)
    out_rotated_input = run(x @ irreps_in.D_from_matrix(rot).T, pos @ rot.T)
    torch.testing.assert_close(out_rotated_input, run(x, pos) @ irreps_out.D_from_matrix(rot).T, atol=1e-5, rtol=1e-5)  # e3nn keeps float32 Clebsch–Gordan constants


def test_compiled_tensor_products_match_eager_values_and_gradients():
    torch.manual_seed(0)
    irreps_in, irreps_out, sh_irreps = o3.Irreps("4x0e + 2x1o"), o3.Irreps("4x0e + 2x1o + 2x1e"), o3.Irreps.spherical_harmonics(1)
    eager = TensorProductConv(irreps_in, sh_irreps, irreps_out, edge_dim=5, batch_norm=False)
    compiled = TensorProductConv(irreps_in, sh_irreps, irreps_out, edge_dim=5, batch_norm=False)
    compiled.load_state_dict(eager.state_dict())
    assert compile_tensor_products(compiled) == 1
    assert compiled.state_dict().keys() == eager.state_dict().keys()  # checkpoints stay interchangeable
    for num_edges in (9, 14):  # a second edge count must not break the dynamic-shape graph
        x = irreps_in.randn(6, -1)
        edge_index = torch.randint(0, 6, (2, num_edges))
        attr = torch.randn(num_edges, 5)
        sh = o3.spherical_harmonics(sh_irreps, torch.randn(num_edges, 3), normalize=True, normalization="component")
        outs, grads = [], []
        for conv in (eager, compiled):
            conv.zero_grad()
            out = conv(x, edge_index, attr, sh)
            out.pow(2).sum().backward()
            outs.append(out)
            grads.append(torch.cat([p.grad.flatten() for p in conv.parameters()]))
        torch.testing.assert_close(outs[1], outs[0], atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(grads[1], grads[0], atol=1e-5, rtol=1e-4)
