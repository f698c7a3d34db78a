"""Scaled dot-product attention, the layer that lets a decoder look back at every encoder state.

The conventions of every layer hold: `attention_forward` returns `(out, cache)`, `attention_backward(dout, cache)` returns the gradients
of q, k and v, inputs are never modified, and outputs keep the input's dtype.

Shapes: N sequences, Tq queries and Tk keys per sequence, D features per query and key, Dv per
value. Each query asks "which keys look like me?"; the answer is a probability distribution over
the keys, the attention weights, and the output is the matching average of the values:

    weights = softmax(q kᵀ / √D)  (N, Tq, Tk),   out = weights v  (N, Tq, Dv)

A mask (N, Tk) bool says which keys may be attended (True) and which may not (False, e.g. padding):
a masked key gets a weight of exactly 0. Every sequence needs at least one key it may attend, else
its weights would be 0/0; attention_forward raises a ValueError for such a sequence.

The weights of the forward pass are kept for plotting: `attention_weights(cache)` returns them,
(N, Tq, Tk), and so does the cache's field `weights`.
"""
from collections import namedtuple

import numpy as np

from .._validate import require_arrays, require_dout, require_shape
from .losses import softmax

__all__ = ["attention_forward", "attention_backward", "attention_weights"]


# What attention_backward needs, plus the weights (N, Tq, Tk) for whoever wants to plot them.
AttentionCache = namedtuple("AttentionCache", "q k v weights scale")


def _check_mask(where, mask, N, Tk):
    """Check that mask is None or a bool array (N, Tk) that lets every sequence attend somewhere."""
    if mask is None:
        return
    if not isinstance(mask, np.ndarray) or mask.dtype != bool:
        kind = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
        raise TypeError(f"{where}: mask must be a bool numpy array (True = may attend), got {kind}")
    require_shape(where, "mask", mask, (N, Tk))
    blind = np.flatnonzero(~mask.any(axis=1))
    if blind.size:
        raise ValueError(f"{where}: every sequence needs at least one key it may attend, but the "
                         f"mask is all False for sequence(s) {blind[:10].tolist()}")


def attention_forward(q, k, v, mask=None):
    """softmax(q kᵀ / √D) v: q (N, Tq, D), k (N, Tk, D), v (N, Tk, Dv), mask (N, Tk) -> (N, Tq, Dv).

    mask: None (every key may be attended) or bool, True where a key may be attended.
    """
    where = "attention_forward"
    sizes = require_arrays(where, q=(q, "N Tq D"), k=(k, "N Tk D"), v=(v, "N Tk Dv"))
    N, D = sizes["N"], sizes["D"]
    _check_mask(where, mask, N, k.shape[1])
    scale = q.dtype.type(1 / np.sqrt(D))        # a scalar of q's dtype keeps float32 float32
    ### BEGIN SOLUTION
    scores = (q @ k.swapaxes(1, 2)) * scale     # (N, Tq, Tk)
    if mask is not None:
        scores = np.where(mask[:, None, :], scores, -np.inf)   # exp(-inf) is exactly 0
    weights = softmax(scores, axis=2)
    out = weights @ v
    ### END SOLUTION
    return out, AttentionCache(q, k, v, weights, scale)


def attention_backward(dout, cache):
    """Gradients of attention_forward given dout (N, Tq, Dv): dq, dk, dv shaped like q, k, v.

    A masked key gets no gradient through the weights (its weight is a constant 0).
    """
    q, k, v, weights, scale = cache
    require_dout("attention_backward", dout, (*q.shape[:2], v.shape[2]))
    ### BEGIN SOLUTION
    dv = weights.swapaxes(1, 2) @ dout
    dweights = dout @ v.swapaxes(1, 2)          # (N, Tq, Tk)
    # softmax backward, row by row: ds = w ⊙ (dw − Σ_j w_j dw_j); zero where w is 0 (masked keys)
    dscores = weights * (dweights - np.sum(weights * dweights, axis=2, keepdims=True))
    dscores *= scale
    dq = dscores @ k
    dk = dscores.swapaxes(1, 2) @ q
    ### END SOLUTION
    return dq, dk, dv


def attention_weights(cache):
    """The attention weights (N, Tq, Tk) of the forward pass that made `cache`; rows sum to 1."""
    return cache.weights
