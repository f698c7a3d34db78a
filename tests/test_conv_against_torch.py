"""Convolution, max pooling, spatial batch norm, group norm and the residual block against PyTorch's
autograd."""
import numpy as np
import pytest

from torch_reference import F, assert_close, n, needs_torch, t, torch, torch_grads

pytestmark = needs_torch

from dlscratch import layers as L  # noqa: E402



# (x shape, w shape, stride, pad): non-square kernels, strides that do not tile the input
CONV_CASES = [
    ((4, 3, 8, 8), (5, 3, 3, 3), 1, 1),
    ((2, 3, 9, 7), (4, 3, 3, 2), 2, 0),
    ((2, 2, 11, 10), (3, 2, 4, 3), 3, 2),
    ((3, 4, 6, 6), (2, 4, 5, 5), 1, 2),
    ((2, 1, 7, 9), (3, 1, 1, 3), 2, 1),
]


@pytest.mark.parametrize("fast", [False, True], ids=["naive", "fast"])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_matches_conv2d(case, fast):
    xshape, wshape, stride, pad = case
    r = np.random.default_rng(0)
    x, w, b = r.standard_normal(xshape), r.standard_normal(wshape), r.standard_normal(wshape[0])
    forward, backward = ((L.conv_forward, L.conv_backward) if fast else
                         (L.conv_forward_naive, L.conv_backward_naive))
    out, cache = forward(x, w, b, {"stride": stride, "pad": pad})
    tx, tw, tb = t(x), t(w), t(b)
    tout = F.conv2d(tx, tw, tb, stride=stride, padding=pad)
    assert_close(out, n(tout))
    dout = r.standard_normal(out.shape)
    for ours, theirs in zip(backward(dout, cache), torch_grads(tout, dout, tx, tw, tb)):
        assert_close(ours, theirs)


def test_conv_float32_matches_conv2d():
    r = np.random.default_rng(1)
    x = r.standard_normal((8, 3, 16, 16)).astype(np.float32)
    w = (0.2 * r.standard_normal((16, 3, 3, 3))).astype(np.float32)
    b = r.standard_normal(16).astype(np.float32)
    out, cache = L.conv_forward(x, w, b, {"stride": 1, "pad": 1})
    tx, tw, tb = t(x), t(w), t(b)
    tout = F.conv2d(tx, tw, tb, padding=1)
    assert out.dtype == np.float32
    assert_close(out, n(tout), tol=1e-5)
    dout = r.standard_normal(out.shape).astype(np.float32)
    for ours, theirs in zip(L.conv_backward(dout, cache), torch_grads(tout, dout, tx, tw, tb)):
        assert ours.dtype == np.float32
        assert_close(ours, theirs, tol=1e-5)


# (x shape, (pool_height, pool_width), stride): tiling, non-tiling, overlapping, gapped
POOL_CASES = [
    ((2, 3, 8, 8), (2, 2), 2),
    ((2, 3, 9, 7), (2, 2), 2),
    ((2, 2, 9, 9), (3, 3), 2),
    ((2, 2, 8, 10), (3, 2), 1),
    ((2, 2, 11, 10), (2, 3), 3),
]


@pytest.mark.parametrize("fast", [False, True], ids=["naive", "fast"])
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool_matches_max_pool2d(case, ties, fast):
    xshape, kernel, stride = case
    r = np.random.default_rng(2)
    # with many ties both route each window's gradient to its first maximum in row-major order
    x = r.integers(0, 3, size=xshape).astype(np.float64) if ties else r.standard_normal(xshape)
    forward, backward = ((L.max_pool_forward, L.max_pool_backward) if fast else
                         (L.max_pool_forward_naive, L.max_pool_backward_naive))
    param = {"pool_height": kernel[0], "pool_width": kernel[1], "stride": stride}
    out, cache = forward(x, param)
    tx = t(x)
    tout = F.max_pool2d(tx, kernel, stride=stride)
    np.testing.assert_array_equal(out, n(tout))
    dout = r.standard_normal(out.shape)
    assert_close(backward(dout, cache), torch_grads(tout, dout, tx)[0])


def test_spatial_batchnorm_matches_batch_norm():
    r = np.random.default_rng(3)
    x = 3 * r.standard_normal((6, 4, 5, 3)) + 2
    gamma, beta = r.standard_normal(4) + 1, r.standard_normal(4)
    bn_param = {"mode": "train", "momentum": 0.9, "eps": 1e-5}
    out, cache = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    running_mean = torch.zeros(4, dtype=torch.float64)
    running_var = torch.zeros(4, dtype=torch.float64)
    tx, tg, tb = t(x), t(gamma), t(beta)
    # torch's momentum is the weight of the new batch: 1 - ours
    tout = F.batch_norm(tx, running_mean, running_var, tg, tb, training=True, momentum=0.1,
                        eps=1e-5)
    assert_close(out, n(tout))
    dout = r.standard_normal(out.shape)
    for ours, theirs in zip(L.spatial_batchnorm_backward(dout, cache),
                            torch_grads(tout, dout, tx, tg, tb)):
        assert_close(ours, theirs)
    assert_close(bn_param["running_mean"], running_mean.numpy())
    # torch keeps the unbiased variance (divided by m - 1), the contract the biased one (by m)
    m = x.size // x.shape[1]
    assert_close(bn_param["running_var"], running_var.numpy() * (m - 1) / m)

    bn_param["mode"] = "test"
    out_test, cache_test = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    tx = t(x)
    tout = F.batch_norm(tx, torch.tensor(bn_param["running_mean"]),
                        torch.tensor(bn_param["running_var"]), torch.tensor(gamma),
                        torch.tensor(beta), training=False, eps=1e-5)
    assert_close(out_test, n(tout))
    assert_close(L.spatial_batchnorm_backward(dout, cache_test)[0], torch_grads(tout, dout, tx)[0])


@pytest.mark.parametrize("G", [1, 2, 3, 6])
def test_spatial_groupnorm_matches_group_norm(G):
    r = np.random.default_rng(4)
    x = 2 * r.standard_normal((3, 6, 4, 5)) - 1
    gamma, beta = r.standard_normal(6) + 1, r.standard_normal(6)
    out, cache = L.spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
    tx, tg, tb = t(x), t(gamma), t(beta)
    tout = F.group_norm(tx, G, tg, tb, eps=1e-5)
    assert_close(out, n(tout))
    dout = r.standard_normal(out.shape)
    for ours, theirs in zip(L.spatial_groupnorm_backward(dout, cache),
                            torch_grads(tout, dout, tx, tg, tb)):
        assert_close(ours, theirs)


@pytest.mark.parametrize("norm", ["batchnorm", "groupnorm"])
def test_residual_block_matches_torch(norm):
    """relu(x + norm(conv(relu(norm(conv(x)))))) with torch's conv2d, batch_norm / group_norm."""
    r = np.random.default_rng(5)
    x = r.standard_normal((3, 4, 6, 5))
    weights = [r.standard_normal((4, 4, 3, 3)) / 6, r.standard_normal(4),
               r.standard_normal(4) + 1, r.standard_normal(4)]
    weights += [r.standard_normal((4, 4, 3, 3)) / 6, r.standard_normal(4),
                r.standard_normal(4) + 1, r.standard_normal(4)]
    settings = (lambda: {"mode": "train"}) if norm == "batchnorm" else (lambda: {"G": 2})
    out, cache = L.residual_block_forward(x, *weights, {"stride": 1, "pad": 1}, settings(),
                                          settings(), norm)

    def torch_norm(a, gamma, beta):
        if norm == "batchnorm":
            return F.batch_norm(a, None, None, gamma, beta, training=True, eps=1e-5)
        return F.group_norm(a, 2, gamma, beta, eps=1e-5)

    tx, *tw = [t(a) for a in (x, *weights)]
    w1, b1, g1, be1, w2, b2, g2, be2 = tw
    h = torch.relu(torch_norm(F.conv2d(tx, w1, b1, padding=1), g1, be1))
    tout = torch.relu(tx + torch_norm(F.conv2d(h, w2, b2, padding=1), g2, be2))
    assert_close(out, n(tout))
    dout = r.standard_normal(out.shape)
    for ours, theirs in zip(L.residual_block_backward(dout, cache), torch_grads(tout, dout, tx, *tw)):
        assert_close(ours, theirs)
