"""Normalisation layers: batch norm and layer norm on (N, D) features, and their spatial forms
on (N, C, H, W) images: spatial batch norm (per channel) and group norm (per group of channels).

All of them standardise with `standardize` (mean 0, variance 1 along some axes) and then scale and
shift by the learned gamma and beta; `standardize_backward` is the one gradient they share.
"""
import numbers

import numpy as np

from .._validate import require_arrays, require_dout, require_float, require_mode

__all__ = [
    "standardize", "standardize_backward",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "layernorm_forward", "layernorm_backward",
    "spatial_batchnorm_forward", "spatial_batchnorm_backward", "spatial_groupnorm_forward",
    "spatial_groupnorm_backward",
]


def standardize(x, axis, eps):
    """Standardise x along `axis` with its own mean and biased variance.

    Returns (xhat, mean, var, std), the statistics keeping their reduced axis as size 1.
    """
    ### BEGIN SOLUTION
    mean = x.mean(axis=axis, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axis, keepdims=True)
    std = np.sqrt(var + eps)
    xhat = centered / std
    ### END SOLUTION
    return xhat, mean, var, std


def standardize_backward(dxhat, xhat, std, axis):
    """Gradient of standardize: dxhat -> dx, given the forward's xhat and std."""
    ### BEGIN SOLUTION
    # With xhat = (x - mean) / std, the mean and the variance both depend on every x along axis:
    # dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std.
    dx = (dxhat - dxhat.mean(axis=axis, keepdims=True)
          - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)) / std
    ### END SOLUTION
    return dx


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation over the batch axis: x (N, D), gamma/beta (D,) -> out (N, D).

    bn_param: 'mode' ('train' or 'test'), 'eps' (1e-5), 'momentum' (0.9), and the running mean and
    (biased) variance, which are created on first use and updated in the dict during training.
    """
    require_arrays("batchnorm_forward", x=(x, "N D"), gamma=(gamma, "D"), beta=(beta, "D"))
    mode = require_mode("batchnorm_forward", bn_param)
    eps = float(bn_param.get("eps", 1e-5))        # python floats never change an array's dtype
    momentum = float(bn_param.get("momentum", 0.9))
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    ### BEGIN SOLUTION
    if mode == "train":
        xhat, batch_mean, batch_var, std = standardize(x, axis=0, eps=eps)
        running_mean = momentum * running_mean + (1 - momentum) * batch_mean[0]
        running_var = momentum * running_var + (1 - momentum) * batch_var[0]
    else:
        std = np.sqrt(running_var + eps)
        xhat = (x - running_mean) / std
    out = gamma * xhat + beta
    ### END SOLUTION
    bn_param["running_mean"] = running_mean.astype(x.dtype, copy=False)
    bn_param["running_var"] = running_var.astype(x.dtype, copy=False)
    return out, (mode, xhat, gamma, std)


def batchnorm_backward(dout, cache):
    """Gradients of batchnorm_forward, node by node back through its graph:
    dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,)."""
    mode, xhat, gamma, std = cache
    require_dout("batchnorm_backward", dout, xhat.shape)
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    if mode == "train":
        N = dout.shape[0]
        centered = xhat * std                             # x - mu, recovered from the cache
        dcentered = dxhat / std                           # xhat = centered / std
        dstd = -(dxhat * centered).sum(axis=0) / (std * std)
        dvar = dstd / (2 * std)                           # std = sqrt(var + eps)
        dcentered = dcentered + 2 * centered * dvar / N   # var = mean(centered ** 2)
        dx = dcentered - dcentered.mean(axis=0)           # centered = x - mean(x)
    else:  # the running statistics are constants
        dx = dxhat / std
    ### END SOLUTION
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """The gradients of batchnorm_backward from their simplified closed form:
    dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,)."""
    mode, xhat, gamma, std = cache
    require_dout("batchnorm_backward_alt", dout, xhat.shape)
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    if mode == "train":
        N = dout.shape[0]
        dx = gamma / (N * std) * (N * dout - dbeta - xhat * dgamma)
    else:
        dx = dout * gamma / std
    ### END SOLUTION
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalisation over the last (feature) axis: x (..., D), gamma/beta (D,) -> out (..., D).

    Each vector of D features is standardised on its own: a (N, D) batch of examples, or a
    (N, T, D) batch of sequences, where every position of every sequence is one row.
    """
    where = "layernorm_forward"
    require_float(where, x=x, gamma=gamma, beta=beta)
    require_arrays(where, gamma=(gamma, "D"), beta=(beta, "D"))
    if x.ndim < 2 or x.shape[-1] != gamma.shape[0]:
        raise ValueError(f"{where}: x must have shape (N, D) or (..., D) with D = {gamma.shape[0]} "
                         f"(gamma's size), got {x.shape}")
    eps = float((ln_param or {}).get("eps", 1e-5))
    shape = x.shape
    x = x.reshape(-1, shape[-1])                   # one row per vector: (M, D)
    ### BEGIN SOLUTION
    xhat, _, _, std = standardize(x, axis=1, eps=eps)
    out = gamma * xhat + beta
    ### END SOLUTION
    return out.reshape(shape), (xhat, gamma, std, shape)


def layernorm_backward(dout, cache):
    """Gradients of layernorm_forward: dout (..., D) -> dx (..., D), dgamma (D,), dbeta (D,)."""
    xhat, gamma, std, shape = cache
    require_dout("layernorm_backward", dout, shape)
    dout = dout.reshape(xhat.shape)                # the rows the forward pass normalised
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = standardize_backward(dout * gamma, xhat, std, axis=1)
    ### END SOLUTION
    return dx.reshape(shape), dgamma, dbeta


def _channels_last_rows(a):
    """(N, C, H, W) -> (N*H*W, C): one row of C features per pixel."""
    return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])


def _channels_first_images(rows, shape):
    """Inverse of _channels_last_rows: (N*H*W, C) -> (N, C, H, W) for shape (N, C, H, W)."""
    N, C, H, W = shape
    return rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation per channel over N, H and W: x (N, C, H, W), gamma/beta (C,) -> out.

    bn_param as for batchnorm_forward; the running statistics have shape (C,).
    """
    require_arrays("spatial_batchnorm_forward", x=(x, "N C H W"), gamma=(gamma, "C"), beta=(beta, "C"))
    ### BEGIN SOLUTION
    # every pixel of every image is one example of C features: ordinary batchnorm does the rest
    out_rows, bn_cache = batchnorm_forward(_channels_last_rows(x), gamma, beta, bn_param)
    out = _channels_first_images(out_rows, x.shape)
    ### END SOLUTION
    return out, (x.shape, bn_cache)


def spatial_batchnorm_backward(dout, cache):
    """Gradients of spatial_batchnorm_forward: dout (N, C, H, W) -> dx, dgamma (C,), dbeta (C,)."""
    x_shape, bn_cache = cache
    require_dout("spatial_batchnorm_backward", dout, x_shape)
    ### BEGIN SOLUTION
    dx_rows, dgamma, dbeta = batchnorm_backward(_channels_last_rows(dout), bn_cache)
    dx = _channels_first_images(dx_rows, x_shape)
    ### END SOLUTION
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Group normalisation: x (N, C, H, W), gamma/beta (C,) -> out (N, C, H, W).

    The C channels are split into G consecutive groups of C // G; each example standardises each
    group over its channels and pixels (G = 1 is layer norm, G = C instance norm). gn_param: 'eps'.
    """
    require_arrays("spatial_groupnorm_forward", x=(x, "N C H W"), gamma=(gamma, "C"), beta=(beta, "C"))
    C = x.shape[1]
    if isinstance(G, bool) or not isinstance(G, numbers.Integral) or G < 1 or C % G:
        raise ValueError(f"spatial_groupnorm_forward: G must be a positive divisor of the number "
                         f"of channels C = {C}, got {G!r}")
    eps = float((gn_param or {}).get("eps", 1e-5))
    N = x.shape[0]
    ### BEGIN SOLUTION
    xhat, _, _, std = standardize(x.reshape(N, G, -1), axis=2, eps=eps)
    xhat = xhat.reshape(x.shape)
    out = gamma[:, None, None] * xhat + beta[:, None, None]
    ### END SOLUTION
    return out, (G, xhat, gamma, std)


def spatial_groupnorm_backward(dout, cache):
    """Gradients of spatial_groupnorm_forward: dout (N, C, H, W) -> dx, dgamma (C,), dbeta (C,)."""
    G, xhat, gamma, std = cache
    require_dout("spatial_groupnorm_backward", dout, xhat.shape)
    N = xhat.shape[0]
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * xhat).sum(axis=(0, 2, 3))
    dxhat = (dout * gamma[:, None, None]).reshape(N, G, -1)
    dx = standardize_backward(dxhat, xhat.reshape(N, G, -1), std, axis=2).reshape(xhat.shape)
    ### END SOLUTION
    return dx, dgamma, dbeta
