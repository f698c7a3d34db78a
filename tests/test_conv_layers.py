"""Conv, max pooling and spatial norms: gradients on many shapes, naive == fast, known values,
memory layouts and input errors.

The contract every layer keeps (gradients, dtypes, inputs left alone, bad shapes refused) is
checked once for all of them in test_layer_contract.py.
"""

import numpy as np
import pytest

from dlscratch import layers as L
from dlscratch.gradient_check import layer_gradient_errors

# every test of a naive or fast layer is parametrised with this, so its id says which one it runs
NAIVE_OR_FAST = pytest.mark.parametrize("fast", [False, True], ids=["naive", "fast"])


def conv_layer(fast):
    return ((L.conv_forward, L.conv_backward) if fast else
            (L.conv_forward_naive, L.conv_backward_naive))


def pool_layer(fast):
    return ((L.max_pool_forward, L.max_pool_backward) if fast else
            (L.max_pool_forward_naive, L.max_pool_backward_naive))

# (N, C, H, W), (F, HH, WW), stride, pad: non-square kernels and images, strides that do not tile
# the input (the last rows/columns are never reached), pads 0, 1 and 2
CONV_CASES = [
    ((2, 3, 5, 5), (4, 3, 3), 1, 1),
    ((2, 2, 7, 6), (3, 3, 2), 1, 0),
    ((2, 3, 7, 7), (2, 3, 3), 2, 1),
    ((1, 2, 8, 9), (3, 2, 3), 2, 0),
    ((2, 2, 8, 7), (2, 3, 2), 3, 2),
    ((2, 1, 10, 11), (2, 4, 3), 3, 1),
    ((3, 2, 4, 4), (2, 1, 1), 1, 0),
    ((1, 3, 6, 5), (2, 5, 5), 1, 2),
    ((2, 2, 5, 8), (3, 5, 1), 2, 2),
    ((1, 1, 3, 3), (1, 3, 3), 1, 0),
]
# (N, C, H, W), pool_height, pool_width, stride: tiling, non-tiling, overlapping, gapped windows
POOL_CASES = [
    ((2, 3, 8, 8), 2, 2, 2),
    ((2, 2, 7, 9), 2, 2, 2),
    ((2, 2, 9, 9), 3, 3, 2),
    ((1, 3, 8, 7), 3, 2, 1),
    ((2, 2, 10, 11), 2, 3, 3),
    ((2, 2, 6, 6), 3, 3, 3),
    ((1, 2, 7, 8), 1, 1, 2),
    ((2, 1, 5, 6), 5, 6, 1),
]


def conv_arrays(case, dtype=np.float64, seed=0):
    xshape, (F, HH, WW), stride, pad = case
    r = np.random.default_rng(seed)
    x = r.standard_normal(xshape).astype(dtype)
    w = r.standard_normal((F, xshape[1], HH, WW)).astype(dtype)
    b = r.standard_normal(F).astype(dtype)
    return x, w, b, {"stride": stride, "pad": pad}


def distinct_values(shape, seed=0, gap=0.01):
    """An array whose entries all differ by at least `gap`: max pooling has no ties, even at ±h."""
    r = np.random.default_rng(seed)
    return (gap * r.permutation(int(np.prod(shape)))).reshape(shape) - gap * np.prod(shape) / 2


def pool_param(ph, pw, stride):
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def assert_same(a, b, tol=1e-10):
    """a equals b up to tol times b's largest entry (rel_error is fragile for entries near 0)."""
    assert a.shape == b.shape
    scale = max(1.0, float(np.abs(b).max()))
    assert float(np.abs(a - b).max()) <= tol * scale


# ------------------------------------------------------------------------------------------------
# Convolution
# ------------------------------------------------------------------------------------------------

@NAIVE_OR_FAST
def test_conv_known_values(fast):
    forward, backward = conv_layer(fast)
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]], [[[1.0, 1.0], [1.0, 1.0]]]])   # diff and sum
    b = np.array([0.5, 0.0])
    out, cache = forward(x, w, b, {"stride": 2, "pad": 0})
    # x[i, j] - x[i+1, j+1] = -5 everywhere; window sums of the 2x2 tiles
    np.testing.assert_allclose(out[0, 0], [[-4.5, -4.5], [-4.5, -4.5]])
    np.testing.assert_allclose(out[0, 1], [[10, 18], [42, 50]])
    dx, dw, db = backward(np.ones_like(out), cache)
    # every pixel is in exactly one window; each filter sees all of x once per output
    np.testing.assert_allclose(dx[0, 0], np.full((4, 4), 1.0) + np.tile([[1, 0], [0, -1]], (2, 2)))
    np.testing.assert_allclose(dw[1, 0], [[0 + 2 + 8 + 10, 1 + 3 + 9 + 11],
                                          [4 + 6 + 12 + 14, 5 + 7 + 13 + 15]])
    np.testing.assert_allclose(db, [4.0, 4.0])


@NAIVE_OR_FAST
def test_conv_zero_padding_and_cross_correlation(fast):
    forward, _ = conv_layer(fast)
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0                                       # a single bright pixel
    w = np.arange(9, dtype=np.float64).reshape(1, 1, 3, 3)
    out, _ = forward(x, w, np.zeros(1), {"stride": 1, "pad": 1})
    # not flipped: output (i, j) sees the pixel at filter position (2 - i, 2 - j)
    np.testing.assert_array_equal(out[0, 0], w[0, 0, ::-1, ::-1])


@NAIVE_OR_FAST
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_output_shape_is_rounded_down(case, fast):
    x, w, b, conv_param = conv_arrays(case)
    (N, _, H, W), (F, HH, WW), stride, pad = case
    expected = (N, F, 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride)
    assert conv_layer(fast)[0](x, w, b, conv_param)[0].shape == expected


@pytest.mark.parametrize("case", CONV_CASES[:6])
def test_conv_naive_gradients(case):
    x, w, b, conv_param = conv_arrays(case)
    errors = layer_gradient_errors(L.conv_forward_naive, L.conv_backward_naive, [x, w, b], conv_param)
    assert max(errors) < 1e-8, errors


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_fast_gradients(case):
    x, w, b, conv_param = conv_arrays(case)
    errors = layer_gradient_errors(L.conv_forward, L.conv_backward, [x, w, b], conv_param)
    assert max(errors) < 1e-8, errors


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_conv_fast_equals_naive(case, seed):
    x, w, b, conv_param = conv_arrays(case, seed=seed)
    out_naive, cache_naive = L.conv_forward_naive(x, w, b, conv_param)
    out_fast, cache_fast = L.conv_forward(x, w, b, conv_param)
    assert_same(out_fast, out_naive)
    dout = np.random.default_rng(seed + 10).standard_normal(out_naive.shape)
    for fast, naive in zip(L.conv_backward(dout, cache_fast),
                           L.conv_backward_naive(dout, cache_naive)):
        assert_same(fast, naive)


def test_conv_fast_accepts_any_memory_layout():
    # a transposed view, a sliced view and the fast layer's own output layout all give one result
    x, w, b, conv_param = conv_arrays(CONV_CASES[2])
    expected, _ = L.conv_forward_naive(x, w, b, conv_param)
    layouts = [np.asfortranarray(x), x.transpose(1, 2, 3, 0).copy().transpose(3, 0, 1, 2),
               np.repeat(x, 2, axis=3)[..., ::2]]
    for layout in layouts:
        assert_same(L.conv_forward(layout, w, b, conv_param)[0], expected)
    # chain two fast convolutions: the second reads the first one's layout
    w2 = np.random.default_rng(3).standard_normal((3, w.shape[0], 2, 2))
    first, cache1 = L.conv_forward(x, w, b, conv_param)
    second, cache2 = L.conv_forward(first, w2, np.zeros(3), {"stride": 1, "pad": 1})
    naive_second, naive_cache2 = L.conv_forward_naive(np.ascontiguousarray(first), w2, np.zeros(3),
                                                       {"stride": 1, "pad": 1})
    assert_same(second, naive_second)
    dout = np.random.default_rng(4).standard_normal(second.shape)
    for fast, naive in zip(L.conv_backward(dout, cache2),
                           L.conv_backward_naive(dout, naive_cache2)):
        assert_same(fast, naive)


def test_conv_float32_matches_float64():
    x, w, b, conv_param = conv_arrays(CONV_CASES[0])
    out64, cache64 = L.conv_forward(x, w, b, conv_param)
    out32, cache32 = L.conv_forward(x.astype(np.float32), w.astype(np.float32),
                                     b.astype(np.float32), conv_param)
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)
    dout = np.ones_like(out64)
    for g32, g64 in zip(L.conv_backward(dout.astype(np.float32), cache32),
                        L.conv_backward(dout, cache64)):
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4)


@NAIVE_OR_FAST
def test_conv_rejects_bad_inputs(fast):
    forward = conv_layer(fast)[0]
    x, w, b, conv_param = conv_arrays(CONV_CASES[0])
    name = forward.__name__
    expected = rf"{name}: w must have shape \(F, 3, HH, WW\), got \(4, 2, 3, 3\)"
    with pytest.raises(ValueError, match=expected):
        forward(x, w[:, :2], b, conv_param)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got \(2, 75\)"):
        forward(x.reshape(2, -1), w, b, conv_param)
    with pytest.raises(ValueError, match=r"b must have shape \(4,\), got \(3,\)"):
        forward(x, w, b[:3], conv_param)
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        forward(x, w, b, {"stride": 0, "pad": 1})
    with pytest.raises(ValueError, match="pad must be an integer >= 0, got 1.5"):
        forward(x, w, b, {"stride": 1, "pad": 1.5})
    with pytest.raises(ValueError, match="window height 7 is larger than the .* input height 5"):
        forward(x, np.zeros((4, 3, 7, 3)), b, {"stride": 1, "pad": 0})
    with pytest.raises(TypeError, match="share one dtype"):
        forward(x.astype(np.float32), w, b, conv_param)
    with pytest.raises(TypeError, match="float32 or float64"):
        forward(x.astype(int), w.astype(int), b.astype(int), conv_param)


# ------------------------------------------------------------------------------------------------
# Max pooling
# ------------------------------------------------------------------------------------------------

@NAIVE_OR_FAST
def test_max_pool_known_values(fast):
    x = np.array([[1.0, 2.0, 5.0, 0.0],
                  [3.0, 4.0, 1.0, 1.0],
                  [0.0, 0.0, 2.0, 2.0],
                  [0.0, 9.0, 2.0, 2.0]]).reshape(1, 1, 4, 4)
    forward, backward = pool_layer(fast)
    out, cache = forward(x, pool_param(2, 2, 2))
    np.testing.assert_array_equal(out[0, 0], [[4, 5], [9, 2]])
    dx = backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    # the bottom-right window is all 2s: its gradient goes to its first (top-left) element only
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 20, 0],
                                             [0, 10, 0, 0],
                                             [0, 0, 40, 0],
                                             [0, 30, 0, 0]])


@NAIVE_OR_FAST
def test_overlapping_windows_accumulate_at_a_shared_maximum(fast):
    forward, backward = pool_layer(fast)
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0                                       # the max of all four 2x2 windows
    out, cache = forward(x, pool_param(2, 2, 1))
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 5.0))
    dx = backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    assert dx[0, 0, 1, 1] == 10.0 and np.count_nonzero(dx) == 1


@NAIVE_OR_FAST
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool_output_shape_is_rounded_down(case, fast):
    xshape, ph, pw, stride = case
    x = distinct_values(xshape)
    expected = xshape[:2] + (1 + (xshape[2] - ph) // stride, 1 + (xshape[3] - pw) // stride)
    assert pool_layer(fast)[0](x, pool_param(ph, pw, stride))[0].shape == expected


@NAIVE_OR_FAST
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool_gradients(case, fast):
    xshape, ph, pw, stride = case
    forward, backward = pool_layer(fast)
    errors = layer_gradient_errors(forward, backward, [distinct_values(xshape)],
                                   pool_param(ph, pw, stride))
    assert max(errors) < 1e-9, errors


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_fast_equals_naive(case, ties):
    xshape, ph, pw, stride = case
    r = np.random.default_rng(5)
    # with ties (values rounded to few levels) both must route each window to its first maximum
    x = r.integers(0, 3, size=xshape).astype(np.float64) if ties else r.standard_normal(xshape)
    out_naive, cache_naive = L.max_pool_forward_naive(x, pool_param(ph, pw, stride))
    out_fast, cache_fast = L.max_pool_forward(x, pool_param(ph, pw, stride))
    np.testing.assert_array_equal(out_fast, out_naive)
    dout = r.standard_normal(out_naive.shape)
    dx_fast = L.max_pool_backward(dout, cache_fast)
    assert_same(dx_fast, L.max_pool_backward_naive(dout, cache_naive))
    # every window hands its gradient to exactly one input
    np.testing.assert_allclose(dx_fast.sum(), dout.sum())


def test_max_pool_reads_the_convolutions_output_layout():
    x, w, b, conv_param = conv_arrays(((2, 3, 8, 8), (4, 3, 3), 1, 1))
    a, _ = L.conv_forward(x, w, b, conv_param)
    for p in (pool_param(2, 2, 2), pool_param(3, 3, 2)):
        out, cache = L.max_pool_forward(a, p)
        out_naive, cache_naive = L.max_pool_forward_naive(np.ascontiguousarray(a), p)
        np.testing.assert_array_equal(out, out_naive)
        dout = np.random.default_rng(0).standard_normal(out.shape)
        assert_same(L.max_pool_backward(dout, cache),
                    L.max_pool_backward_naive(dout, cache_naive))


@NAIVE_OR_FAST
def test_max_pool_rejects_bad_inputs(fast):
    forward = pool_layer(fast)[0]
    x = np.zeros((2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got \(3, 4, 4\)"):
        forward(x[0], pool_param(2, 2, 2))
    with pytest.raises(ValueError, match="window width 5 is larger than the .* input width 4"):
        forward(x, pool_param(2, 5, 1))
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        forward(x, pool_param(2, 2, 0))
    with pytest.raises(TypeError, match="float32 or float64"):
        forward(x.astype(np.int64), pool_param(2, 2, 2))


# ------------------------------------------------------------------------------------------------
# Spatial batch and group normalisation
# ------------------------------------------------------------------------------------------------

def norm_arrays(shape=(3, 4, 3, 2), dtype=np.float64, seed=0):
    r = np.random.default_rng(seed)
    C = shape[1]
    x = (2 * r.standard_normal(shape) + 1).astype(dtype)
    gamma = (r.standard_normal(C) * 0.3 + 1).astype(dtype)
    beta = r.standard_normal(C).astype(dtype)
    return x, gamma, beta


def test_spatial_batchnorm_standardises_each_channel():
    x, _, _ = norm_arrays((10, 3, 4, 5))
    x = x * np.array([1.0, 5.0, 0.1])[:, None, None] + np.array([0.0, 3.0, -7.0])[:, None, None]
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([0.0, -1.0, 4.0])
    bn_param = {"mode": "train", "eps": 1e-12}
    out, _ = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), gamma, rtol=1e-9)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * x.var(axis=(0, 2, 3)))
    # test mode uses the running statistics, not the batch's
    bn_param["mode"] = "test"
    out_test, _ = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    expected = (gamma[:, None, None] * (x - bn_param["running_mean"][:, None, None])
                / np.sqrt(bn_param["running_var"][:, None, None] + 1e-12) + beta[:, None, None])
    np.testing.assert_allclose(out_test, expected)


@pytest.mark.parametrize("mode", ["train", "test"])
def test_spatial_batchnorm_gradients(mode):
    x, gamma, beta = norm_arrays()

    def make():
        if mode == "train":
            return {"mode": "train"}
        return {"mode": "test", "running_mean": np.linspace(-1, 1, 4),
                "running_var": np.linspace(0.5, 2, 4)}

    # fresh parameters on every call, so running averages never leak between evaluations
    errors = layer_gradient_errors(lambda *a: L.spatial_batchnorm_forward(*a, make()),
                                   L.spatial_batchnorm_backward, [x, gamma, beta])
    assert max(errors) < 1e-7, errors


@pytest.mark.parametrize("G", [1, 2, 4])
def test_spatial_groupnorm_gradients(G):
    x, gamma, beta = norm_arrays()
    errors = layer_gradient_errors(lambda *a: L.spatial_groupnorm_forward(*a, G, {}),
                                   L.spatial_groupnorm_backward, [x, gamma, beta])
    assert max(errors) < 1e-7, errors


def test_spatial_groupnorm_standardises_each_group_of_each_example():
    x, _, _ = norm_arrays((2, 6, 3, 4))
    x[:, 3:] = 10 * x[:, 3:] + 5                                 # the second group lives elsewhere
    out, _ = L.spatial_groupnorm_forward(x, np.ones(6), np.zeros(6), 2, {"eps": 0.0})
    groups = out.reshape(2, 2, -1)
    np.testing.assert_allclose(groups.mean(axis=2), 0, atol=1e-12)
    np.testing.assert_allclose(groups.std(axis=2), 1, rtol=1e-12)
    # one group is layer norm over (C, H, W)
    ln, _ = L.layernorm_forward(x.reshape(2, -1), np.ones(72), np.zeros(72), {})
    np.testing.assert_allclose(L.spatial_groupnorm_forward(x, np.ones(6), np.zeros(6), 1, {})[0],
                               ln.reshape(x.shape), atol=1e-12)


def test_spatial_norms_reject_bad_inputs():
    x, gamma, beta = norm_arrays()
    expected = r"spatial_batchnorm_forward: gamma must have shape \(4,\), got \(3,\)"
    with pytest.raises(ValueError, match=expected):
        L.spatial_batchnorm_forward(x, gamma[:3], beta, {"mode": "train"})
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\)"):
        L.spatial_batchnorm_forward(x[0], gamma, beta, {"mode": "train"})
    with pytest.raises(ValueError, match=r"spatial_groupnorm_forward: beta must have shape \(4,\)"):
        L.spatial_groupnorm_forward(x, gamma, beta[:2], 2, {})
    with pytest.raises(ValueError, match="G must be a positive divisor of the number of channels "
                                         "C = 4, got 3"):
        L.spatial_groupnorm_forward(x, gamma, beta, 3, {})


# ------------------------------------------------------------------------------------------------
# Sandwich layers
# ------------------------------------------------------------------------------------------------

def test_conv_norm_relu_rejects_unknown_normalization_and_missing_groups():
    x, w, b = np.zeros((1, 2, 4, 4)), np.zeros((4, 2, 3, 3)), np.zeros(4)
    with pytest.raises(ValueError, match="normalization must be one of"):
        L.conv_norm_relu_forward(x, w, b, np.ones(4), np.zeros(4), {"stride": 1, "pad": 1}, {},
                                  "layernorm")
    with pytest.raises(ValueError, match=r"norm_param\['G'\]"):
        L.conv_norm_relu_forward(x, w, b, np.ones(4), np.zeros(4), {"stride": 1, "pad": 1}, {},
                                  "groupnorm")


@NAIVE_OR_FAST
def test_settings_that_are_not_a_dict_are_refused(fast):
    x, w, b, _ = conv_arrays(CONV_CASES[0])
    with pytest.raises(TypeError, match=r"conv_param must be a dict such as \{'stride': 1, 'pad': 1\}, got None"):
        conv_layer(fast)[0](x, w, b, None)
    with pytest.raises(TypeError, match="pool_param must be a dict such as .*, got 2"):
        pool_layer(fast)[0](x, 2)
