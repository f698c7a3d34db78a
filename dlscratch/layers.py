"""Layers as pairs of plain functions.

Every `*_forward` returns `(out, cache)` and every `*_backward(dout, cache)` returns the gradients
with respect to the forward's inputs, in the order they were passed. Inputs are never modified in
place, and every function returns arrays of its input's dtype (float32 or float64).
"""
import numpy as np

from ._validate import require_dout, require_float, require_labels, require_shape

_default_rng = np.random.default_rng()


# ------------------------------------------------------------------------------------------------
# Affine and element-wise non-linearities
# ------------------------------------------------------------------------------------------------

def affine_forward(x, w, b):
    """Compute x.reshape(N, D) @ w + b: x (N, d1, ..., dk), w (D, M), b (M,) -> out (N, M)."""
    require_float("affine_forward", x=x, w=w, b=b)
    D = int(np.prod(x.shape[1:]))
    if w.ndim != 2 or w.shape[0] != D:
        raise ValueError(f"affine_forward: x of shape {x.shape} flattens to (N, D) = "
                         f"({x.shape[0]}, {D}), so w must have shape ({D}, M); got {w.shape}")
    require_shape("affine_forward", "b", b, (w.shape[1],))
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], D) @ w + b
    ### END SOLUTION
    cache = (x, w)
    return out, cache


def affine_backward(dout, cache):
    """Gradients of affine_forward: dout (N, M) -> dx (N, d1, ..., dk), dw (D, M), db (M,)."""
    x, w = cache
    require_dout("affine_backward", dout, (x.shape[0], w.shape[1]))
    ### BEGIN SOLUTION
    x2d = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2d.T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


def relu_forward(x):
    """Compute max(x, 0) element-wise: any shape -> same shape."""
    require_float("relu_forward", x=x)
    ### BEGIN SOLUTION
    out = np.maximum(x, 0)
    ### END SOLUTION
    return out, x


def relu_backward(dout, cache):
    """Gradient of relu_forward: passes dout where the input was positive."""
    x = cache
    require_dout("relu_backward", dout, x.shape)
    ### BEGIN SOLUTION
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), exact and finite for any x."""
    # For very negative x, exp(-x) overflows to inf and 1 / (1 + inf) is exactly 0, the right
    # limit: the overflow is harmless, so its warning is silenced rather than branched around
    # (a branch per element costs more than the exponential itself).
    with np.errstate(over="ignore", under="ignore"):
        return 1 / (1 + np.exp(-x))


def sigmoid_forward(x):
    """Compute the logistic sigmoid element-wise: any shape -> same shape."""
    require_float("sigmoid_forward", x=x)
    ### BEGIN SOLUTION
    out = sigmoid(x)
    ### END SOLUTION
    return out, out


def sigmoid_backward(dout, cache):
    """Gradient of sigmoid_forward, using σ'(x) = σ(x)(1 − σ(x))."""
    out = cache
    require_dout("sigmoid_backward", dout, out.shape)
    ### BEGIN SOLUTION
    dx = dout * out * (1 - out)
    ### END SOLUTION
    return dx


def tanh_forward(x):
    """Compute tanh element-wise: any shape -> same shape."""
    require_float("tanh_forward", x=x)
    ### BEGIN SOLUTION
    out = np.tanh(x)
    ### END SOLUTION
    return out, out


def tanh_backward(dout, cache):
    """Gradient of tanh_forward, using tanh'(x) = 1 − tanh(x)²."""
    out = cache
    require_dout("tanh_backward", dout, out.shape)
    ### BEGIN SOLUTION
    dx = dout * (1 - out * out)
    ### END SOLUTION
    return dx


# ------------------------------------------------------------------------------------------------
# Losses: each returns (loss, dx) with the loss averaged over the N examples
# ------------------------------------------------------------------------------------------------

def softmax_loss(x, y):
    """Cross-entropy of softmax(x) against labels: x (N, C) scores, y (N,) -> (loss, dx (N, C))."""
    require_float("softmax_loss", x=x)
    require_shape("softmax_loss", "x", x, ("N", "C"))
    require_labels("softmax_loss", y, x.shape[0], x.shape[1])
    N = x.shape[0]
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=1, keepdims=True)   # the softmax is unchanged; exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
    ### END SOLUTION
    return float(loss), dx


def svm_loss(x, y):
    """Multiclass hinge loss with margin 1: x (N, C) scores, y (N,) -> (loss, dx (N, C))."""
    require_float("svm_loss", x=x)
    require_shape("svm_loss", "x", x, ("N", "C"))
    require_labels("svm_loss", y, x.shape[0], x.shape[1])
    N = x.shape[0]
    ### BEGIN SOLUTION
    correct = x[np.arange(N), y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N
    active = (margins > 0).astype(x.dtype)
    active[np.arange(N), y] = -active.sum(axis=1)
    dx = active / N
    ### END SOLUTION
    return float(loss), dx


# ------------------------------------------------------------------------------------------------
# Normalisation
# ------------------------------------------------------------------------------------------------

def _normalize(x, axis, eps):
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


def _normalize_backward(dxhat, xhat, std, axis):
    """Gradient through _normalize: dxhat -> dx, given the forward's xhat and std."""
    # With xhat = (x - mean) / std, the mean and the variance both depend on every x along axis:
    # dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std.
    ### BEGIN SOLUTION
    dx = (dxhat - dxhat.mean(axis=axis, keepdims=True)
          - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)) / std
    ### END SOLUTION
    return dx


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation over the batch axis: x (N, D), gamma/beta (D,) -> out (N, D).

    bn_param: 'mode' ('train' or 'test'), 'eps' (1e-5), 'momentum' (0.9), and the running mean and
    (biased) variance, which are created on first use and updated in the dict during training.
    """
    require_float("batchnorm_forward", x=x, gamma=gamma, beta=beta)
    require_shape("batchnorm_forward", "x", x, ("N", "D"))
    require_shape("batchnorm_forward", "gamma", gamma, (x.shape[1],))
    require_shape("batchnorm_forward", "beta", beta, (x.shape[1],))
    mode = _mode("batchnorm_forward", bn_param)
    eps = float(bn_param.get("eps", 1e-5))        # python floats never change an array's dtype
    momentum = float(bn_param.get("momentum", 0.9))
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    ### BEGIN SOLUTION
    if mode == "train":
        xhat, batch_mean, batch_var, std = _normalize(x, axis=0, eps=eps)
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
    """Gradients of batchnorm_forward: dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,)."""
    mode, xhat, gamma, std = cache
    require_dout("batchnorm_backward", dout, xhat.shape)
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    if mode == "train":
        dx = _normalize_backward(dxhat, xhat, std, axis=0)
    else:  # the running statistics are constants
        dx = dxhat / std
    ### END SOLUTION
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalisation over the feature axis: x (N, D), gamma/beta (D,) -> out (N, D)."""
    require_float("layernorm_forward", x=x, gamma=gamma, beta=beta)
    require_shape("layernorm_forward", "x", x, ("N", "D"))
    require_shape("layernorm_forward", "gamma", gamma, (x.shape[1],))
    require_shape("layernorm_forward", "beta", beta, (x.shape[1],))
    eps = float((ln_param or {}).get("eps", 1e-5))
    ### BEGIN SOLUTION
    xhat, _, _, std = _normalize(x, axis=1, eps=eps)
    out = gamma * xhat + beta
    ### END SOLUTION
    return out, (xhat, gamma, std)


def layernorm_backward(dout, cache):
    """Gradients of layernorm_forward: dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,)."""
    xhat, gamma, std = cache
    require_dout("layernorm_backward", dout, xhat.shape)
    ### BEGIN SOLUTION
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = _normalize_backward(dout * gamma, xhat, std, axis=1)
    ### END SOLUTION
    return dx, dgamma, dbeta


# ------------------------------------------------------------------------------------------------
# Dropout
# ------------------------------------------------------------------------------------------------

def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each unit with probability p and scale it by 1/p; any shape.

    dropout_param: 'p' (probability of KEEPING a unit), 'mode' ('train' or 'test') and an optional
    'seed' that makes the mask reproducible. At test time the layer is the identity.
    """
    require_float("dropout_forward", x=x)
    if not isinstance(dropout_param, dict) or "p" not in dropout_param:
        raise ValueError("dropout_forward: dropout_param must be a dict with 'p', the probability "
                         "of keeping a unit, and 'mode' ('train' or 'test'); got "
                         f"{dropout_param!r}")
    p = float(dropout_param["p"])
    if not 0 < p <= 1:
        raise ValueError(f"dropout_forward: p is the probability of keeping a unit and must lie "
                         f"in (0, 1], got {p}")
    mode = _mode("dropout_forward", dropout_param)
    mask = None
    if mode == "train":
        seed = dropout_param.get("seed")
        rng = _default_rng if seed is None else np.random.default_rng(seed)
        ### BEGIN SOLUTION
        mask = (rng.random(x.shape, dtype=x.dtype) < p).astype(x.dtype) / p
        out = x * mask
        ### END SOLUTION
    else:
        out = x.copy()
    return out, mask


def dropout_backward(dout, cache):
    """Gradient of dropout_forward: the kept units pass dout scaled by 1/p, the others pass 0."""
    mask = cache
    if mask is None:  # test mode: the identity
        return dout.copy()
    require_dout("dropout_backward", dout, mask.shape)
    ### BEGIN SOLUTION
    dx = dout * mask
    ### END SOLUTION
    return dx


def _mode(where, param):
    """Read and check the 'mode' entry of a bn/dropout parameter dict."""
    mode = param.get("mode", "train")
    if mode not in ("train", "test"):
        raise ValueError(f"{where}: mode must be 'train' or 'test', got {mode!r}")
    return mode


# ------------------------------------------------------------------------------------------------
# Sandwich layers: the blocks the fully-connected net is built from
# ------------------------------------------------------------------------------------------------

def affine_relu_forward(x, w, b):
    """affine -> relu: x (N, ...) -> out (N, M)."""
    a, affine_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (affine_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """Gradients of affine_relu_forward: dout (N, M) -> dx, dw, db."""
    affine_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), affine_cache)


_NORMALIZERS = {
    "batchnorm": (batchnorm_forward, batchnorm_backward),
    "layernorm": (layernorm_forward, layernorm_backward),
}


def affine_norm_relu_forward(x, w, b, gamma, beta, norm_param, normalization):
    """affine -> batchnorm or layernorm -> relu: x (N, ...) -> out (N, M)."""
    if normalization not in _NORMALIZERS:
        raise ValueError(f"normalization must be one of {sorted(_NORMALIZERS)}, "
                         f"got {normalization!r}")
    norm_forward = _NORMALIZERS[normalization][0]
    a, affine_cache = affine_forward(x, w, b)
    n, norm_cache = norm_forward(a, gamma, beta, norm_param)
    out, relu_cache = relu_forward(n)
    return out, (normalization, affine_cache, norm_cache, relu_cache)


def affine_norm_relu_backward(dout, cache):
    """Gradients of affine_norm_relu_forward: dout (N, M) -> dx, dw, db, dgamma, dbeta."""
    normalization, affine_cache, norm_cache, relu_cache = cache
    norm_backward = _NORMALIZERS[normalization][1]
    dn = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = norm_backward(dn, norm_cache)
    dx, dw, db = affine_backward(da, affine_cache)
    return dx, dw, db, dgamma, dbeta


from .rnn_layers import *  # noqa: E402,F401,F403  (recurrent layers live in their own file)
from .conv_layers import *  # noqa: E402,F401,F403  (conv layers live in their own file)
from .attention_layers import *  # noqa: E402,F401,F403  (attention lives in its own file)
