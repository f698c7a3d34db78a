"""Probes of the convolutional layers: naive and fast convolution and max pooling, spatial norms."""
import numpy as np

from . import named, probe, randn, untouched


# ------------------------------------------------------------------------------------------------
# Helpers (they run in the worker; dlscratch is imported only when a case runs)
# ------------------------------------------------------------------------------------------------

def _conv_layer(fast):
    """(forward, backward) of the fast or the naive convolution."""
    from dlscratch import layers
    if fast:
        return layers.conv_forward, layers.conv_backward
    return layers.conv_forward_naive, layers.conv_backward_naive


def _pool_layer(fast):
    """(forward, backward) of the fast or the naive max pool."""
    from dlscratch import layers
    if fast:
        return layers.max_pool_forward, layers.max_pool_backward
    return layers.max_pool_forward_naive, layers.max_pool_backward_naive


def _conv_out_shape(x_shape, w_shape, stride, pad):
    """(N, F, H', W') of a convolution, rounded down: drawn dout never depends on the submission."""
    (N, _, H, W), (F, _, HH, WW) = x_shape, w_shape
    return N, F, 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride


def _pool_out_shape(x_shape, ph, pw, stride):
    """(N, C, H', W') of a max pool, rounded down."""
    N, C, H, W = x_shape
    return N, C, 1 + (H - ph) // stride, 1 + (W - pw) // stride


def _pool_param(ph, pw, stride):
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def _conv_layout(a):
    """A copy of a (N, C, H, W) stored as (C, H, W, N): the layout the fast convolution returns."""
    return a.transpose(1, 2, 3, 0).copy().transpose(3, 0, 1, 2)


def _conv_arrays(rng, x_shape, F, HH, WW, dtype=np.float64):
    """x, w, b for a convolution of x_shape with F filters of HH x WW."""
    x = randn(rng, *x_shape, dtype=dtype)
    w = randn(rng, F, x_shape[1], HH, WW, dtype=dtype)
    b = randn(rng, F, dtype=dtype)
    return x, w, b


def _conv_run(fast, rng, x_shape, F, HH, WW, stride, pad, dtype=np.float64):
    """out and the gradients dx, dw, db of one convolution for a random dout."""
    forward, backward = _conv_layer(fast)
    x, w, b = _conv_arrays(rng, x_shape, F, HH, WW, dtype)
    out, cache = forward(x, w, b, {"stride": stride, "pad": pad})
    dout = randn(rng, *_conv_out_shape(x.shape, w.shape, stride, pad), dtype=dtype)
    dx, dw, db = backward(dout, cache)
    return {"out": out, "dx": dx, "dw": dw, "db": db}


def _conv_untouched(fast, rng):
    """Whether forward or backward modified x, w, b or dout, for pad 0 and pad 1."""
    forward, backward = _conv_layer(fast)
    outputs = {}
    for pad in (0, 1):
        x, w, b = _conv_arrays(rng, (2, 3, 6, 5), 2, 3, 3)
        dout = randn(rng, *_conv_out_shape(x.shape, w.shape, 1, pad))
        before = [a.copy() for a in (x, w, b, dout)]
        out, cache = forward(x, w, b, {"stride": 1, "pad": pad})
        outputs.update(named(f"pad{pad}", out, backward(dout, cache)))
        for name, copy, array in zip(("x", "w", "b", "dout"), before, (x, w, b, dout)):
            outputs.update(untouched(f"pad{pad}_{name}", copy, array))
    return outputs


def _conv_known_values(fast):
    """Fixed inputs: a difference and a sum filter, and a single bright pixel with zero padding."""
    forward, backward = _conv_layer(fast)
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]], [[[1.0, 1.0], [1.0, 1.0]]]])
    b = np.array([0.5, 0.0])
    out, cache = forward(x, w, b, {"stride": 2, "pad": 0})
    dx, dw, db = backward(np.ones((1, 2, 2, 2)), cache)
    pixel = np.zeros((1, 1, 3, 3))
    pixel[0, 0, 1, 1] = 1.0
    flipped, _ = forward(pixel, np.arange(9, dtype=np.float64).reshape(1, 1, 3, 3), np.zeros(1),
                         {"stride": 1, "pad": 1})
    return {"out": out, "dx": dx, "dw": dw, "db": db, "pixel_out": flipped}


def _pool_run(fast, rng, x_shape, ph, pw, stride, dtype=np.float64, prefix=""):
    """out and dx of one max pool of random normal inputs, for a random dout."""
    forward, backward = _pool_layer(fast)
    x = randn(rng, *x_shape, dtype=dtype)
    out, cache = forward(x, _pool_param(ph, pw, stride))
    dx = backward(randn(rng, *_pool_out_shape(x_shape, ph, pw, stride), dtype=dtype), cache)
    return {f"{prefix}out": out, f"{prefix}dx": dx}


def _pool_ties(fast, rng):
    """Inputs of only three values (many ties): each window's gradient goes to its first maximum."""
    forward, backward = _pool_layer(fast)
    outputs = {}
    for name, (ph, pw, stride) in {"tiling": (2, 2, 2), "overlapping": (3, 3, 2),
                                   "stride_1": (2, 2, 1)}.items():
        x = rng.integers(0, 3, size=(2, 2, 7, 7)).astype(np.float64)
        out, cache = forward(x, _pool_param(ph, pw, stride))
        dout = randn(rng, *_pool_out_shape(x.shape, ph, pw, stride))
        outputs.update({f"{name}_out": out, f"{name}_dx": backward(dout, cache)})
    return outputs


def _pool_untouched(fast, rng):
    """Whether forward or backward modified x or dout, for tiling and for overlapping windows."""
    forward, backward = _pool_layer(fast)
    outputs = {}
    for name, (ph, pw, stride) in {"tiling": (2, 2, 2), "overlapping": (3, 3, 2)}.items():
        x = randn(rng, 2, 3, 7, 7)
        dout = randn(rng, *_pool_out_shape(x.shape, ph, pw, stride))
        x_before, dout_before = x.copy(), dout.copy()
        out, cache = forward(x, _pool_param(ph, pw, stride))
        outputs.update(named(name, out, backward(dout, cache)))
        outputs.update({**untouched(f"{name}_x", x_before, x),
                        **untouched(f"{name}_dout", dout_before, dout)})
    return outputs


# ------------------------------------------------------------------------------------------------
# conv_naive
# ------------------------------------------------------------------------------------------------

@probe("conv_naive")
def conv_naive_stride_1_pad_1_float64(rng):
    """Naive convolution, 3x3 filters, stride 1, pad 1: out, dx, dw, db."""
    return _conv_run(False, rng, (2, 3, 5, 5), 4, 3, 3, stride=1, pad=1)


@probe("conv_naive")
def conv_naive_stride_2_pad_1_rounded_down_float64(rng):
    """Naive convolution, 3x2 filters on 8x7 images, stride 2, pad 1: H' and W' rounded down."""
    return _conv_run(False, rng, (2, 2, 8, 7), 3, 3, 2, stride=2, pad=1)


@probe("conv_naive")
def conv_naive_stride_2_pad_2_tall_filter_float64(rng):
    """Naive convolution, 5x1 filters, stride 2, pad 2 (W' rounded down): out, dx, dw, db."""
    return _conv_run(False, rng, (2, 2, 5, 8), 3, 5, 1, stride=2, pad=2)


@probe("conv_naive")
def conv_naive_float32_keeps_dtype(rng):
    """Naive convolution in float32, stride 2, pad 1: out and gradients stay float32."""
    return _conv_run(False, rng, (2, 3, 7, 7), 2, 3, 3, stride=2, pad=1, dtype=np.float32)


@probe("conv_naive")
def conv_naive_known_values_and_cross_correlation(rng):
    """Naive convolution of fixed inputs; the filter is not flipped (cross-correlation)."""
    return _conv_known_values(False)


@probe("conv_naive")
def conv_naive_does_not_modify_inputs(rng):
    """Naive forward and backward leave x, w, b and dout unchanged (pad 0 and pad 1)."""
    return _conv_untouched(False, rng)


# ------------------------------------------------------------------------------------------------
# max_pool_naive
# ------------------------------------------------------------------------------------------------

@probe("max_pool_naive")
def max_pool_naive_2x2_stride_2_rounded_down_float64(rng):
    """Naive max pool 2x2, stride 2 on 7x9 images (last row and column unused): out, dx."""
    return _pool_run(False, rng, (2, 3, 7, 9), 2, 2, 2)


@probe("max_pool_naive")
def max_pool_naive_3x3_stride_2_overlapping_float64(rng):
    """Naive max pool 3x3, stride 2: overlapping windows accumulate at a shared maximum."""
    return _pool_run(False, rng, (2, 2, 9, 8), 3, 3, 2)


@probe("max_pool_naive")
def max_pool_naive_3x2_stride_1_and_2x3_stride_3_float64(rng):
    """Naive max pool with non-square windows: 3x2 stride 1 (overlapping), 2x3 stride 3 (gaps)."""
    return {**_pool_run(False, rng, (1, 3, 8, 7), 3, 2, 1, prefix="overlap_"),
            **_pool_run(False, rng, (2, 2, 10, 11), 2, 3, 3, prefix="gaps_")}


@probe("max_pool_naive")
def max_pool_naive_ties_go_to_the_first_maximum(rng):
    """Naive max pool of inputs with many ties: dout goes to each window's first maximum only."""
    return _pool_ties(False, rng)


@probe("max_pool_naive")
def max_pool_naive_float32_keeps_dtype(rng):
    """Naive max pool in float32 (2x2 stride 2 and 3x3 stride 2): out and dx stay float32."""
    return {**_pool_run(False, rng, (2, 3, 6, 6), 2, 2, 2, dtype=np.float32, prefix="tiling_"),
            **_pool_run(False, rng, (2, 2, 7, 7), 3, 3, 2, dtype=np.float32, prefix="overlap_")}


@probe("max_pool_naive")
def max_pool_naive_does_not_modify_inputs(rng):
    """Naive max pool forward and backward leave x and dout unchanged."""
    return _pool_untouched(False, rng)


# ------------------------------------------------------------------------------------------------
# conv_fast
# ------------------------------------------------------------------------------------------------

@probe("conv_fast")
def conv_fast_stride_1_pad_1_float64(rng):
    """Fast convolution, 3x3 filters, stride 1, pad 1: out, dx, dw, db."""
    return _conv_run(True, rng, (3, 3, 6, 6), 4, 3, 3, stride=1, pad=1)


@probe("conv_fast")
def conv_fast_stride_2_pad_1_rounded_down_float64(rng):
    """Fast convolution, 3x2 filters on 8x7 images, stride 2, pad 1: H' and W' rounded down."""
    return _conv_run(True, rng, (2, 2, 8, 7), 3, 3, 2, stride=2, pad=1)


@probe("conv_fast")
def conv_fast_stride_3_pad_2_and_1x1_filters_float64(rng):
    """Fast convolution, 4x3 filters, stride 3, pad 2 (rounded down); and 1x1 filters, pad 0."""
    big = _conv_run(True, rng, (2, 2, 10, 11), 3, 4, 3, stride=3, pad=2)
    small = _conv_run(True, rng, (3, 2, 4, 5), 2, 1, 1, stride=1, pad=0)
    return {**{f"s3_{k}": v for k, v in big.items()}, **{f"k1_{k}": v for k, v in small.items()}}


@probe("conv_fast")
def conv_fast_float32_keeps_dtype(rng):
    """Fast convolution in float32, stride 1, pad 1 and stride 2, pad 0: everything float32."""
    first = _conv_run(True, rng, (2, 3, 5, 5), 4, 3, 3, stride=1, pad=1, dtype=np.float32)
    second = _conv_run(True, rng, (2, 2, 7, 6), 3, 3, 2, stride=2, pad=0, dtype=np.float32)
    return {**{f"p1_{k}": v for k, v in first.items()}, **{f"p0_{k}": v for k, v in second.items()}}


@probe("conv_fast")
def conv_fast_accepts_any_memory_layout(rng):
    """Fast convolution of Fortran-ordered, sliced and (C, H, W, N)-stored inputs, and of its own
    output (two chained convolutions, non-contiguous dout)."""
    from dlscratch import layers
    x, w, b = _conv_arrays(rng, (2, 3, 7, 7), 2, 3, 3)
    conv_param = {"stride": 2, "pad": 1}
    dout = randn(rng, *_conv_out_shape(x.shape, w.shape, 2, 1))
    outputs = {}
    layouts = {"fortran": (np.asfortranarray(x), np.asfortranarray(w), np.asfortranarray(dout)),
               "sliced": (np.repeat(x, 2, axis=3)[..., ::2], w.transpose(0, 1, 3, 2).copy()
                          .transpose(0, 1, 3, 2), np.repeat(dout, 2, axis=0)[::2]),
               "nlast": (_conv_layout(x), w, _conv_layout(dout))}
    for name, (x_l, w_l, dout_l) in layouts.items():
        out, cache = layers.conv_forward(x_l, w_l, b, conv_param)
        dx, dw, db = layers.conv_backward(dout_l, cache)
        outputs.update({f"{name}_out": out, f"{name}_dx": dx, f"{name}_dw": dw, f"{name}_db": db})
    # the second convolution reads the first one's output, in whatever layout it has; pad 0 too
    first, cache1 = layers.conv_forward(x, w, b, conv_param)
    w2, b2 = randn(rng, 3, 2, 2, 2), randn(rng, 3)
    for pad in (0, 1):
        second, cache2 = layers.conv_forward(first, w2, b2, {"stride": 1, "pad": pad})
        dsecond = randn(rng, *_conv_out_shape(first.shape, w2.shape, 1, pad))
        dfirst, dw2, db2 = layers.conv_backward(dsecond, cache2)
        dx, dw, db = layers.conv_backward(dfirst, cache1)
        outputs.update({f"chain{pad}_out": second, f"chain{pad}_dfirst": dfirst,
                        f"chain{pad}_dw2": dw2, f"chain{pad}_db2": db2,
                        f"chain{pad}_dx": dx, f"chain{pad}_dw": dw, f"chain{pad}_db": db})
    return outputs


@probe("conv_fast")
def conv_fast_known_values_and_cross_correlation(rng):
    """Fast convolution of fixed inputs; the filter is not flipped (cross-correlation)."""
    return _conv_known_values(True)


@probe("conv_fast")
def conv_fast_does_not_modify_inputs(rng):
    """Fast forward and backward leave x, w, b and dout unchanged (pad 0 and pad 1)."""
    return _conv_untouched(True, rng)


# ------------------------------------------------------------------------------------------------
# max_pool_fast
# ------------------------------------------------------------------------------------------------

@probe("max_pool_fast")
def max_pool_fast_2x2_stride_2_rounded_down_float64(rng):
    """Fast max pool 2x2, stride 2 on 8x8 and on 7x9 images (rows/columns unused): out, dx."""
    return {**_pool_run(True, rng, (2, 3, 8, 8), 2, 2, 2, prefix="even_"),
            **_pool_run(True, rng, (2, 3, 7, 9), 2, 2, 2, prefix="odd_")}


@probe("max_pool_fast")
def max_pool_fast_3x3_stride_2_overlapping_float64(rng):
    """Fast max pool 3x3, stride 2: overlapping windows accumulate at a shared maximum."""
    return _pool_run(True, rng, (2, 2, 9, 8), 3, 3, 2)


@probe("max_pool_fast")
def max_pool_fast_non_square_windows_float64(rng):
    """Fast max pool 3x2 stride 1 (overlapping), 2x3 stride 3 (gaps), 3x3 stride 3, 1x1 stride 2."""
    return {**_pool_run(True, rng, (1, 3, 8, 7), 3, 2, 1, prefix="overlap_"),
            **_pool_run(True, rng, (2, 2, 10, 11), 2, 3, 3, prefix="gaps_"),
            **_pool_run(True, rng, (2, 2, 6, 7), 3, 3, 3, prefix="tile3_"),
            **_pool_run(True, rng, (1, 2, 7, 8), 1, 1, 2, prefix="point_")}


@probe("max_pool_fast")
def max_pool_fast_ties_go_to_the_first_maximum(rng):
    """Fast max pool of inputs with many ties: dout goes to each window's first maximum only."""
    return _pool_ties(True, rng)


@probe("max_pool_fast")
def max_pool_fast_reads_the_convolutions_output_layout(rng):
    """Fast max pool of an input stored as (C, H, W, N) (the fast conv's output) and of a
    Fortran-ordered one, with contiguous and matching-layout dout."""
    from dlscratch import layers
    outputs = {}
    for name, (ph, pw, stride) in {"tiling": (2, 2, 2), "overlapping": (3, 3, 2)}.items():
        x = randn(rng, 2, 4, 8, 8)
        dout = randn(rng, *_pool_out_shape(x.shape, ph, pw, stride))
        for layout, x_l, dout_l in (("nlast", _conv_layout(x), dout),
                                    ("nlast_both", _conv_layout(x), _conv_layout(dout)),
                                    ("fortran", np.asfortranarray(x), dout)):
            out, cache = layers.max_pool_forward(x_l, _pool_param(ph, pw, stride))
            dx = layers.max_pool_backward(dout_l, cache)
            outputs.update({f"{name}_{layout}_out": out, f"{name}_{layout}_dx": dx})
    return outputs


@probe("max_pool_fast")
def max_pool_fast_float32_keeps_dtype(rng):
    """Fast max pool in float32 (2x2 stride 2 and 3x3 stride 2): out and dx stay float32."""
    return {**_pool_run(True, rng, (2, 3, 6, 6), 2, 2, 2, dtype=np.float32, prefix="tiling_"),
            **_pool_run(True, rng, (2, 2, 7, 7), 3, 3, 2, dtype=np.float32, prefix="overlap_")}


@probe("max_pool_fast")
def max_pool_fast_does_not_modify_inputs(rng):
    """Fast max pool forward and backward leave x and dout unchanged."""
    return _pool_untouched(True, rng)


# ------------------------------------------------------------------------------------------------
# spatial_norm
# ------------------------------------------------------------------------------------------------

def _norm_arrays(rng, shape, dtype=np.float64):
    """x (shifted and scaled), gamma near 1, beta for a spatial normalisation of shape."""
    C = shape[1]
    x = (2 * rng.standard_normal(shape) + 1).astype(dtype)
    gamma = (0.3 * rng.standard_normal(C) + 1).astype(dtype)
    beta = rng.standard_normal(C).astype(dtype)
    return x, gamma, beta


def _batchnorm_run(rng, x, gamma, beta, bn_param, prefix=""):
    """out, dx, dgamma, dbeta and the running statistics of a spatial batchnorm."""
    from dlscratch import layers
    out, cache = layers.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = layers.spatial_batchnorm_backward(randn(rng, *x.shape, dtype=x.dtype),
                                                               cache)
    return {f"{prefix}out": out, f"{prefix}dx": dx, f"{prefix}dgamma": dgamma,
            f"{prefix}dbeta": dbeta, f"{prefix}running_mean": bn_param["running_mean"],
            f"{prefix}running_var": bn_param["running_var"]}


def _groupnorm_run(rng, x, gamma, beta, G, gn_param, prefix=""):
    """out, dx, dgamma, dbeta of a spatial groupnorm with G groups."""
    from dlscratch import layers
    out, cache = layers.spatial_groupnorm_forward(x, gamma, beta, G, gn_param)
    dx, dgamma, dbeta = layers.spatial_groupnorm_backward(randn(rng, *x.shape, dtype=x.dtype),
                                                               cache)
    return {f"{prefix}out": out, f"{prefix}dx": dx, f"{prefix}dgamma": dgamma,
            f"{prefix}dbeta": dbeta}


@probe("spatial_norm")
def spatial_batchnorm_train_float64(rng):
    """Spatial batchnorm in train mode, two steps: out, dx, dgamma, dbeta, running statistics."""
    bn_param = {"mode": "train", "momentum": 0.8}
    first = _batchnorm_run(rng, *_norm_arrays(rng, (3, 4, 3, 5)), bn_param, prefix="step1_")
    second = _batchnorm_run(rng, *_norm_arrays(rng, (2, 4, 5, 3)), bn_param, prefix="step2_")
    return {**first, **second}


@probe("spatial_norm")
def spatial_batchnorm_test_mode_float64(rng):
    """Spatial batchnorm in test mode uses the given running statistics: out and gradients."""
    bn_param = {"mode": "test", "eps": 1e-3, "running_mean": randn(rng, 4),
                "running_var": 0.5 + rng.random(4)}
    return _batchnorm_run(rng, *_norm_arrays(rng, (3, 4, 3, 2)), bn_param)


@probe("spatial_norm")
def spatial_groupnorm_G_2_float64(rng):
    """Spatial groupnorm, 2 groups of 3 channels (eps 1e-5 and eps 0.01): out, dx, dgamma, dbeta."""
    x, gamma, beta = _norm_arrays(rng, (2, 6, 3, 4))
    x[:, 3:] = 10 * x[:, 3:] + 5                     # the second group lives elsewhere
    return {**_groupnorm_run(rng, x, gamma, beta, 2, {}, prefix="default_"),
            **_groupnorm_run(rng, x, gamma, beta, 2, {"eps": 0.01}, prefix="eps_")}


@probe("spatial_norm")
def spatial_groupnorm_G_1_and_G_equal_C_float64(rng):
    """Spatial groupnorm with one group (layer norm) and one group per channel (instance norm)."""
    x, gamma, beta = _norm_arrays(rng, (3, 4, 3, 2))
    return {**_groupnorm_run(rng, x, gamma, beta, 1, {}, prefix="G1_"),
            **_groupnorm_run(rng, x, gamma, beta, 4, {}, prefix="G4_")}


@probe("spatial_norm")
def spatial_norms_float32_keep_dtype(rng):
    """Spatial batchnorm (train) and groupnorm (G = 2) in float32: everything stays float32."""
    x, gamma, beta = _norm_arrays(rng, (3, 4, 3, 2), dtype=np.float32)
    return {**_batchnorm_run(rng, x, gamma, beta, {"mode": "train"}, prefix="bn_"),
            **_groupnorm_run(rng, x, gamma, beta, 2, {}, prefix="gn_")}


@probe("spatial_norm")
def spatial_norms_read_the_convolutions_output_layout(rng):
    """Spatial batchnorm and groupnorm of x and dout stored as (C, H, W, N) (fast conv layout)."""
    from dlscratch import layers
    x, gamma, beta = _norm_arrays(rng, (3, 4, 3, 5))
    x_l = _conv_layout(x)
    bn_param = {"mode": "train"}
    out, cache = layers.spatial_batchnorm_forward(x_l, gamma, beta, bn_param)
    dx, dgamma, dbeta = layers.spatial_batchnorm_backward(_conv_layout(randn(rng, *x.shape)),
                                                               cache)
    outputs = {"bn_out": out, "bn_dx": dx, "bn_dgamma": dgamma, "bn_dbeta": dbeta,
               "bn_running_mean": bn_param["running_mean"],
               "bn_running_var": bn_param["running_var"]}
    out, cache = layers.spatial_groupnorm_forward(x_l, gamma, beta, 2, {})
    dx, dgamma, dbeta = layers.spatial_groupnorm_backward(_conv_layout(randn(rng, *x.shape)),
                                                               cache)
    outputs.update({"gn_out": out, "gn_dx": dx, "gn_dgamma": dgamma, "gn_dbeta": dbeta})
    return outputs


@probe("spatial_norm")
def spatial_norms_do_not_modify_inputs(rng):
    """Spatial batchnorm and groupnorm, forward and backward, leave x, gamma, beta, dout alone."""
    from dlscratch import layers
    outputs = {}
    norms = {"bn": (layers.spatial_batchnorm_forward, layers.spatial_batchnorm_backward,
                     lambda: ({"mode": "train"},)),
              "gn": (layers.spatial_groupnorm_forward, layers.spatial_groupnorm_backward,
                     lambda: (2, {}))}
    for name, (forward, backward, extras) in norms.items():
        x, gamma, beta = _norm_arrays(rng, (3, 4, 3, 2))
        dout = randn(rng, *x.shape)
        arrays = {"x": x, "gamma": gamma, "beta": beta, "dout": dout}
        before = {key: a.copy() for key, a in arrays.items()}
        out, cache = forward(x, gamma, beta, *extras())
        outputs.update(named(name, out, backward(dout, cache)))
        for key, a in arrays.items():
            outputs.update(untouched(f"{name}_{key}", before[key], a))
    return outputs


# ------------------------------------------------------------------------------------------------
# Speed: the fast layers must be fast. Each of these cases runs alone with a CPU budget that the
# vectorised layers meet some 50 times over and a loop over the output's positions cannot; being
# the point of the exercise, it is worth as much as the exercise's other cases together.
# ------------------------------------------------------------------------------------------------

def _summary(name, a):
    """Sums over each image and one corner of an (N, C, H, W) array: enough to tell it apart."""
    return {f"{name}_sums": a.sum(axis=(2, 3)), f"{name}_corner": a[:, :, :3, :3]}


@probe("conv_fast", cpu_seconds=1.0, weight=7)
def conv_fast_is_fast_on_64_images_of_32x32(rng):
    """A 3x3 convolution of (64, 8, 32, 32) to 16 channels, forward and backward, in one CPU
    second on the reference machine (about 0.15 s vectorised, 10 s in loops)."""
    forward, backward = _conv_layer(True)
    x, w, b = _conv_arrays(rng, (64, 8, 32, 32), 16, 3, 3, np.float32)
    out, cache = forward(x, w, b, {"stride": 1, "pad": 1})
    dx, dw, db = backward(randn(rng, *out.shape, dtype=np.float32), cache)
    return {**_summary("out", out), **_summary("dx", dx), "dw": dw, "db": db}


@probe("max_pool_fast", cpu_seconds=1.0, weight=7)
def max_pool_fast_is_fast_on_128_images_of_32x32(rng):
    """A 2x2 max pool of (128, 32, 32, 32), forward and backward, in one CPU second on the
    reference machine (about 0.05 s vectorised, 6 s in loops)."""
    forward, backward = _pool_layer(True)
    x = randn(rng, 128, 32, 32, 32, dtype=np.float32)
    out, cache = forward(x, _pool_param(2, 2, 2))
    dx = backward(randn(rng, *out.shape, dtype=np.float32), cache)
    return {**_summary("out", out), **_summary("dx", dx)}
