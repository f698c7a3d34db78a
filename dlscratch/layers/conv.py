"""Convolution and max pooling on images (N, C, H, W), each naive (loops) and fast (vectorised).

The conventions of every layer hold: `*_forward` returns `(out, cache)`, `*_backward(dout, cache)`
the gradients of the forward's inputs in order, inputs are never modified and the input's dtype is
kept.

The `_naive` versions are the loops students write first. The others compute exactly the same
thing with strided views: the convolution copies every receptive field into one column matrix
("im2col") and does all its arithmetic in one large matrix product, which BLAS runs at full speed.

Memory layout. The fast convolution returns its output as a transposed view of an (F, H', W', N)
array, because that is the order its matrix product produces: the batch axis varies fastest in
memory. The values and the shape are ordinary (N, F, H', W'); only the strides differ. Element-wise
numpy operations (`*_like`, ufuncs) keep that layout, pooling reads it directly, and the next
convolution's im2col then copies runs of W'*N contiguous numbers instead of W', so nothing is
copied to "fix" it. Every layer still accepts any layout, contiguous NCHW included.
"""
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._validate import require_arrays, require_dout

__all__ = [
    "conv_forward_naive", "conv_backward_naive", "conv_forward", "conv_backward",
    "max_pool_forward_naive", "max_pool_backward_naive", "max_pool_forward",
    "max_pool_backward",
]


def _require_settings(where, name, settings, example):
    """A layer's settings must be a dict (conv_param=None would fail later without a word)."""
    if not isinstance(settings, dict):
        raise TypeError(f"{where}: {name} must be a dict such as {example}, got {settings!r}")


def _int_setting(where, settings, key, default, minimum):
    """settings[key] (or default) checked to be an integer >= minimum."""
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{where}: {key} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _output_size(where, what, size, window, stride):
    """Number of window positions along one axis: 1 + (size - window) // stride (rounded down)."""
    if window > size:
        raise ValueError(f"{where}: the window {what} {window} is larger than the (padded) "
                         f"input {what} {size}")
    return 1 + (size - window) // stride


def _conv_geometry(where, x, w, b, conv_param):
    """Validate a convolution's inputs; return (stride, pad, H_out, W_out)."""
    require_arrays(where, x=(x, "N C H W"), w=(w, "F C HH WW"), b=(b, "F"))
    _require_settings(where, "conv_param", conv_param, "{'stride': 1, 'pad': 1}")
    stride = _int_setting(where, conv_param, "stride", 1, minimum=1)
    pad = _int_setting(where, conv_param, "pad", 0, minimum=0)
    H_out = _output_size(where, "height", x.shape[2] + 2 * pad, w.shape[2], stride)
    W_out = _output_size(where, "width", x.shape[3] + 2 * pad, w.shape[3], stride)
    return stride, pad, H_out, W_out


def _pool_geometry(where, x, pool_param):
    """Validate a max pool's input; return (pool_height, pool_width, stride, H_out, W_out)."""
    require_arrays(where, x=(x, "N C H W"))
    _require_settings(where, "pool_param", pool_param,
                      "{'pool_height': 2, 'pool_width': 2, 'stride': 2}")
    ph = _int_setting(where, pool_param, "pool_height", 2, minimum=1)
    pw = _int_setting(where, pool_param, "pool_width", 2, minimum=1)
    stride = _int_setting(where, pool_param, "stride", 2, minimum=1)
    H_out = _output_size(where, "height", x.shape[2], ph, stride)
    W_out = _output_size(where, "width", x.shape[3], pw, stride)
    return ph, pw, stride, H_out, W_out


def _conv_output_shape(x_shape, w_shape, stride, pad):
    """(N, F, H', W') of a convolution of images x_shape with filters w_shape."""
    (N, _, H, W), (F, _, HH, WW) = x_shape, w_shape
    return N, F, 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride


def _pad_images(x, pad):
    """x (N, C, H, W) with `pad` zeros added on every side of each image -> (N, C, H+2p, W+2p)."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def _every(stride, start, count):
    """The slice start, start + stride, ..., start + stride*(count - 1)."""
    return slice(start, start + stride * (count - 1) + 1, stride)


def conv_forward_naive(x, w, b, conv_param):
    """Convolution by loops: x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H', W').

    conv_param: 'stride' and 'pad' (zeros added on each side); H' = 1 + (H + 2 pad - HH) // stride.
    Like every deep-learning library this is a cross-correlation: the filter is not flipped.
    """
    stride, pad, H_out, W_out = _conv_geometry("conv_forward_naive", x, w, b, conv_param)
    N, F, HH, WW = x.shape[0], w.shape[0], w.shape[2], w.shape[3]
    ### BEGIN SOLUTION
    xp = _pad_images(x, pad)
    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    field = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(field * w[f]) + b[f]
    ### END SOLUTION
    return out, (x, w, stride, pad)


def conv_backward_naive(dout, cache):
    """Gradients of conv_forward_naive by loops: dout (N, F, H', W') -> dx, dw, db."""
    x, w, stride, pad = cache
    require_dout("conv_backward_naive", dout, _conv_output_shape(x.shape, w.shape, stride, pad))
    N, F, H_out, W_out = dout.shape
    HH, WW = w.shape[2:]
    H, W = x.shape[2:]
    ### BEGIN SOLUTION
    xp = _pad_images(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    # out[n, f, i, j] = sum(field * w[f]) + b[f]: each factor's gradient is
                    # the other factor
                    dw[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * w[f]
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    db = dout.sum(axis=(0, 2, 3))
    ### END SOLUTION
    return dx, dw, db


def _padded_batch_last(x, pad):
    """x (N, C, H, W) padded with `pad` zeros on each side, as (C, H + 2 pad, W + 2 pad, N).

    The batch axis goes last so that the columns of im2col, and the convolution's output, have the
    batch varying fastest in memory (see the module docstring); for a conv_forward output the
    transpose is free.
    """
    N, C, H, W = x.shape
    xt = x.transpose(1, 2, 3, 0)
    if not pad:
        return xt
    xp = np.zeros((C, H + 2 * pad, W + 2 * pad, N), dtype=x.dtype)
    xp[:, pad:pad + H, pad:pad + W] = xt
    return xp


def conv_forward(x, w, b, conv_param):
    """Fast convolution by im2col and one matrix product; same inputs and output as the naive one.

    x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H', W') in the layout described in the
    module docstring.
    """
    stride, pad, H_out, W_out = _conv_geometry("conv_forward", x, w, b, conv_param)
    N, F, HH, WW = x.shape[0], w.shape[0], w.shape[2], w.shape[3]
    xp = _padded_batch_last(x, pad)                             # (C, H + 2p, W + 2p, N)
    ### BEGIN SOLUTION
    # im2col: a view, no copy, of every receptive field,
    # windows[c, p, q, n, i, j] = xp[c, stride*p + i, stride*q + j, n] ...
    windows = sliding_window_view(xp, (HH, WW), axis=(1, 2))[:, ::stride, ::stride]
    # ... copied once into columns: row (c, i, j) holds what filter weight (c, i, j) multiplies
    cols = windows.transpose(0, 4, 5, 1, 2, 3).reshape(-1, H_out * W_out * N)
    out = w.reshape(F, -1) @ cols                               # (F, H'*W'*N)
    out += b[:, None]
    ### END SOLUTION
    out = out.reshape(F, H_out, W_out, N).transpose(3, 0, 1, 2)
    return out, (x.shape, w, cols, stride, pad)


def conv_backward(dout, cache):
    """Gradients of conv_forward: dout (N, F, H', W') -> dx (N, C, H, W), dw, db."""
    x_shape, w, cols, stride, pad = cache
    require_dout("conv_backward", dout, _conv_output_shape(x_shape, w.shape, stride, pad))
    (N, C, H, W), (F, _, HH, WW) = x_shape, w.shape
    H_out, W_out = dout.shape[2:]
    # (F, H'*W'*N): free when dout has the layout conv_forward produced, one copy otherwise
    dout2d = dout.transpose(1, 2, 3, 0).reshape(F, -1)
    ### BEGIN SOLUTION
    db = dout2d.sum(axis=1)
    dw = (dout2d @ cols.T).reshape(w.shape)                     # reuses the forward's columns
    dcols = (w.reshape(F, -1).T @ dout2d).reshape(C, HH, WW, H_out, W_out, N)
    # col2im: every column entry added back onto the pixel it was copied from, one vectorised
    # addition per kernel offset (i, j); overlapping receptive fields accumulate
    dxp = np.zeros((C, H + 2 * pad, W + 2 * pad, N), dtype=dout.dtype)   # padded, batch last
    for i in range(HH):
        for j in range(WW):
            dxp[:, _every(stride, i, H_out), _every(stride, j, W_out)] += dcols[:, i, j]
    ### END SOLUTION
    dx = dxp[:, pad:pad + H, pad:pad + W].transpose(3, 0, 1, 2)
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    """Max pooling by loops: x (N, C, H, W) -> out (N, C, H', W'), H' = 1 + (H - ph) // stride.

    pool_param: 'pool_height', 'pool_width', 'stride'. Windows may overlap (stride < pool size) and
    need not tile the input (the rows and columns no window reaches are ignored).
    """
    ph, pw, stride, H_out, W_out = _pool_geometry("max_pool_forward_naive", x, pool_param)
    N, C = x.shape[:2]
    ### BEGIN SOLUTION
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    out[n, c, i, j] = window.max()
    ### END SOLUTION
    return out, (x, ph, pw, stride)


def max_pool_backward_naive(dout, cache):
    """Gradient of max_pool_forward_naive: each window's dout goes to its (first) largest input."""
    x, ph, pw, stride = cache
    N, C, H, W = x.shape
    require_dout("max_pool_backward_naive", dout,
                 (N, C, 1 + (H - ph) // stride, 1 + (W - pw) // stride))
    N, C, H_out, W_out = dout.shape
    ### BEGIN SOLUTION
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    # argmax returns the first maximum in row-major order: ties go to one element
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + a, j * stride + b] += dout[n, c, i, j]
    ### END SOLUTION
    return dx


def _same_axis_order(a, b):
    """Whether a and b lay out their axes in the same order in memory (their strides sort alike)."""
    return np.array_equal(np.argsort(a.strides, kind="stable"),
                          np.argsort(b.strides, kind="stable"))


def _copy_like(template, values):
    """A copy of values laid out in memory like template (same shape)."""
    copy = np.empty_like(template, dtype=values.dtype)
    copy[...] = values
    return copy


def _windows(a, ph, pw, stride, H_out, W_out, writeable=False):
    """Every pooling window of a (N, C, H, W) as a view (N, C, H', W', ph, pw): no copy.

    windows[n, c, p, q, i, j] = a[n, c, stride*p + i, stride*q + j]. With writeable=True, writing
    to windows[..., i, j] for one offset (i, j) writes to distinct elements of a.
    """
    N, C = a.shape[:2]
    if stride == ph == pw:
        # the windows tile the image (up to rows/columns no window reaches): a reshape cuts it,
        # which keeps the memory layout of a, where sliding_window_view would not
        tiles = a[:, :, :H_out * ph, :W_out * pw].reshape(N, C, H_out, ph, W_out, pw)
        return tiles.transpose(0, 1, 2, 4, 3, 5)
    windows = sliding_window_view(a, (ph, pw), axis=(2, 3), writeable=writeable)
    return windows[:, :, ::stride, ::stride]


def max_pool_forward(x, pool_param):
    """Fast max pooling by strided views: x (N, C, H, W) -> out (N, C, H', W'), as the naive one."""
    ph, pw, stride, H_out, W_out = _pool_geometry("max_pool_forward", x, pool_param)
    ### BEGIN SOLUTION
    windows = _windows(x, ph, pw, stride, H_out, W_out)
    # the largest entry of every window, one vectorised comparison per offset (i, j) in the window
    out = windows[..., 0, 0].copy(order="K")
    for i in range(ph):
        for j in range(pw):
            if i or j:
                np.maximum(out, windows[..., i, j], out=out)
    ### END SOLUTION
    return out, (x, out, ph, pw, stride)


def max_pool_backward(dout, cache):
    """Gradient of max_pool_forward: each window's dout goes to its first maximum -> dx."""
    x, out, ph, pw, stride = cache
    require_dout("max_pool_backward", dout, out.shape)
    H_out, W_out = out.shape[2:]
    if not _same_axis_order(dout, out):
        # give dout the memory layout of out (one copy), so that the element-wise operations
        # below never mix layouts, which would make each of them several times slower
        dout = _copy_like(out, dout)
    ### BEGIN SOLUTION
    dx = np.zeros_like(x)
    x_windows = _windows(x, ph, pw, stride, H_out, W_out)
    dx_windows = _windows(dx, ph, pw, stride, H_out, W_out, writeable=True)
    # windows whose maximum is still to be found; *_like keeps out's memory layout, so the
    # element-wise operations below run over matching strides
    unclaimed = np.ones_like(out, dtype=bool)
    overlapping = stride < ph or stride < pw
    for i in range(ph):                           # offsets in row-major order: the first max wins
        for j in range(pw):
            hit = x_windows[..., i, j] == out
            hit &= unclaimed
            unclaimed &= ~hit
            if overlapping:                       # windows share inputs: accumulate
                dx_windows[..., i, j] += dout * hit
            else:                                 # each input is in one window at most
                np.multiply(dout, hit, out=dx_windows[..., i, j])
    ### END SOLUTION
    return dx
