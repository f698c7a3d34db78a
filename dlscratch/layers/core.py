"""The affine layer and the element-wise non-linearities ReLU, sigmoid, tanh and GELU.

Every `*_forward` returns `(out, cache)` and every `*_backward(dout, cache)` returns the gradients
with respect to the forward's inputs, in the order they were passed. Inputs are never modified in
place, and every function returns arrays of its input's dtype (float32 or float64).
"""
import numpy as np

from .._validate import require_dout, require_float, require_shape

__all__ = [
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "sigmoid",
    "sigmoid_forward", "sigmoid_backward", "tanh_forward", "tanh_backward", "gelu_forward",
    "gelu_backward",
]


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


# GELU's tanh approximation (Hendrycks & Gimpel 2016), the form GPT-2 uses: the constants of
# 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
GELU_SCALE = np.sqrt(2 / np.pi)
GELU_CUBIC = 0.044715


def gelu_forward(x):
    """GELU, tanh form, element-wise: 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))); any shape."""
    require_float("gelu_forward", x=x)
    scale, cubic = x.dtype.type(GELU_SCALE), x.dtype.type(GELU_CUBIC)
    # u = √(2/π)·(x + c·x³) = √(2/π)·x·(1 + c·x²), built in one array: GELU runs on the widest
    # activations of a Transformer (4D per position), where every temporary array costs a pass
    u = np.asarray(x * x)
    u *= cubic
    u += 1
    u *= x
    u *= scale
    t = np.tanh(u, out=u)
    out = t + 1                                   # 0.5·x·(1 + t)
    out *= x
    out *= 0.5
    return out, (x, t)


def gelu_backward(dout, cache):
    """Gradient of gelu_forward: 0.5(1 + t) + 0.5·x·(1 − t²)·√(2/π)(1 + 3·0.044715x²), t the tanh."""
    x, t = cache
    require_dout("gelu_backward", dout, x.shape)
    scale, cubic = x.dtype.type(GELU_SCALE), x.dtype.type(GELU_CUBIC)
    # the formula term by term, in two arrays (see gelu_forward)
    dx = np.asarray(x * x)                        # du/dx = √(2/π)·(1 + 3c·x²) ...
    dx *= 3 * cubic
    dx += 1
    dx *= scale
    dx *= x                                       # ... times 0.5·x ...
    dx *= 0.5
    term = np.asarray(t * t)                      # ... times (1 − t²)
    np.subtract(1, term, out=term)
    dx *= term
    np.multiply(t, 0.5, out=term)                 # + 0.5·(1 + t)
    dx += term
    dx += 0.5
    dx *= dout
    return dx
