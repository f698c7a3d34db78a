"""Attention: scaled dot-product attention (notebook 07), its causal and multi-head forms and the
sinusoidal positions of the Transformer (notebook 08).

The conventions of every layer hold: `attention_forward` returns `(out, cache)`, `attention_backward(dout, cache)` returns the gradients
of q, k and v, inputs are never modified, and outputs keep the input's dtype.

Shapes: N sequences, Tq queries and Tk keys per sequence, D features per query and key, Dv per
value. Each query asks "which keys look like me?"; the answer is a probability distribution over
the keys, the attention weights, and the output is the matching average of the values:

    weights = softmax(q kᵀ / √D)  (N, Tq, Tk),   out = weights v  (N, Tq, Dv)

A mask (N, Tk) bool says which keys may be attended (True) and which may not (False, e.g. padding):
a masked key gets a weight of exactly 0. causal=True (self-attention, Tq == Tk) also hides the
future: query i may attend keys j <= i only. Every query needs at least one key it may attend,
else its weights would be 0/0; attention_forward raises a ValueError for such a query.

Multi-head attention (Vaswani et al. 2017) projects its inputs to queries, keys and values, cuts
the D features into num_heads slices and lets each slice attend on its own: the heads are a
reshape around attention_forward (split_heads, merge_heads), not a second attention.

The weights of the forward pass are kept for plotting: `attention_weights(cache)` returns them,
(N, Tq, Tk), and so does the cache's field `weights`.
"""
from collections import namedtuple

import numpy as np

from .._validate import require_arrays, require_dout, require_float, require_shape, require_sizes
from .losses import softmax

__all__ = ["attention_forward", "attention_backward", "attention_weights", "causal_mask",
           "split_heads", "merge_heads", "multihead_attention_forward",
           "multihead_attention_backward", "sinusoidal_positions"]


# What attention_backward needs, plus the weights (N, Tq, Tk) for whoever wants to plot them.
AttentionCache = namedtuple("AttentionCache", "q k v weights scale")
# What multihead_attention_backward needs; weights (N, num_heads, Tq, Tk) for plotting.
MultiheadCache = namedtuple("MultiheadCache", "query key_value W_qkv W_out merged heads_cache "
                                              "num_heads weights")


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


def causal_mask(T):
    """The causal mask of self-attention: (T, T) bool, True where key j may be seen by query i (j <= i)."""
    ### BEGIN SOLUTION
    mask = np.tril(np.ones((T, T), dtype=bool))
    ### END SOLUTION
    return mask


def _allowed_keys(where, mask, causal, N, Tq, Tk):
    """The keys each query may attend, (N or 1, Tq, Tk) bool, or None when every key may be."""
    _check_mask(where, mask, N, Tk)
    if causal and Tq != Tk:
        raise ValueError(f"{where}: causal attention needs as many queries as keys "
                         f"(self-attention), got Tq = {Tq} and Tk = {Tk}")
    allowed = None if mask is None else mask[:, None, :]
    if causal:
        allowed = causal_mask(Tq)[None] if allowed is None else allowed & causal_mask(Tq)
    if causal and mask is not None:      # padding can hide a query's whole past
        blind = np.argwhere(~allowed.any(axis=2))
        if blind.size:
            n, i = blind[0]
            raise ValueError(f"{where}: query {i} of sequence {n} may attend no key: the mask "
                             f"hides every key j <= {i} (pad at the end, not at the start)")
    return allowed


def attention_forward(q, k, v, mask=None, causal=False):
    """softmax(q kᵀ / √D) v: q (N, Tq, D), k (N, Tk, D), v (N, Tk, Dv), mask (N, Tk) -> (N, Tq, Dv).

    mask: None (every key may be attended) or bool, True where a key may be attended.
    causal: query i attends keys j <= i only (needs Tq == Tk); combines with the mask.
    """
    where = "attention_forward"
    sizes = require_arrays(where, q=(q, "N Tq D"), k=(k, "N Tk D"), v=(v, "N Tk Dv"))
    N, D = sizes["N"], sizes["D"]
    # allowed: None (every key may be attended) or bool, broadcastable to (N, Tq, Tk), True where
    # query i may attend key j: the padding mask and, with causal, j <= i
    allowed = _allowed_keys(where, mask, causal, N, q.shape[1], k.shape[1])
    scale = q.dtype.type(1 / np.sqrt(D))        # a scalar of q's dtype keeps float32 float32
    ### BEGIN SOLUTION
    scores = (q @ k.swapaxes(1, 2)) * scale     # (N, Tq, Tk)
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)   # exp(-inf) is exactly 0
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


# ------------------------------------------------------------------------------------------------
# Multi-head attention
# ------------------------------------------------------------------------------------------------

def split_heads(x, num_heads):
    """Cut the features into heads: x (N, T, D) -> (N * num_heads, T, D / num_heads).

    Head h of sequence n is row n * num_heads + h and holds features h*Dh .. (h+1)*Dh - 1.
    """
    N, T, D = x.shape
    ### BEGIN SOLUTION
    heads = x.reshape(N, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)
    out = heads.reshape(N * num_heads, T, D // num_heads)
    ### END SOLUTION
    return out


def merge_heads(x, num_heads):
    """The inverse of split_heads: x (N * num_heads, T, Dh) -> (N, T, num_heads * Dh)."""
    NH, T, Dh = x.shape
    ### BEGIN SOLUTION
    heads = x.reshape(NH // num_heads, num_heads, T, Dh).transpose(0, 2, 1, 3)
    out = heads.reshape(NH // num_heads, T, num_heads * Dh)
    ### END SOLUTION
    return out


def _check_multihead(where, query, key_value, W_qkv, b_qkv, W_out, b_out, num_heads):
    """Check the shapes of multihead_attention_forward's inputs; returns D."""
    sizes = require_arrays(where, query=(query, "N Tq D"), key_value=(key_value, "N Tk D"),
                           W_out=(W_out, "D D"), b_out=(b_out, "D"))
    D = sizes["D"]
    require_shape(where, "W_qkv", W_qkv, (D, 3 * D))
    require_shape(where, "b_qkv", b_qkv, (3 * D,))
    require_float(where, query=query, W_qkv=W_qkv, b_qkv=b_qkv)
    require_sizes(where, num_heads=num_heads)
    if D % num_heads:
        raise ValueError(f"{where}: num_heads must divide the feature size D = {D}, "
                         f"got {num_heads}")
    return D


def multihead_attention_forward(query, key_value, W_qkv, b_qkv, W_out, b_out, num_heads,
                                mask=None, causal=False):
    """Multi-head attention: query (N, Tq, D) attends key_value (N, Tk, D) -> out (N, Tq, D).

    W_qkv (D, 3D) holds the columns [q | k | v]: q = query W_q + b_q, k and v from key_value.
    Each head attends in its D / num_heads slice; the heads are concatenated and projected by
    W_out (D, D), b_out (D,). For self-attention pass the same array as query and key_value.
    mask (N, Tk) and causal as for attention_forward.
    """
    where = "multihead_attention_forward"
    D = _check_multihead(where, query, key_value, W_qkv, b_qkv, W_out, b_out, num_heads)
    N, Tq, _ = query.shape
    # check the mask here, so that a bad one is reported per sequence, not per head
    _allowed_keys(where, mask, causal, N, Tq, key_value.shape[1])
    if query is key_value:                   # self-attention: one product makes q, k and v
        q, k, v = np.split(query @ W_qkv + b_qkv, 3, axis=2)
    else:
        q = query @ W_qkv[:, :D] + b_qkv[:D]
        k, v = np.split(key_value @ W_qkv[:, D:] + b_qkv[D:], 2, axis=2)
    head_mask = None if mask is None else np.repeat(mask, num_heads, axis=0)
    heads, heads_cache = attention_forward(split_heads(q, num_heads), split_heads(k, num_heads),
                                           split_heads(v, num_heads), head_mask, causal)
    merged = merge_heads(heads, num_heads)                     # (N, Tq, D)
    out = merged @ W_out + b_out
    weights = heads_cache.weights.reshape(N, num_heads, Tq, -1)
    return out, MultiheadCache(query, key_value, W_qkv, W_out, merged, heads_cache, num_heads,
                               weights)


def multihead_attention_backward(dout, cache):
    """Gradients of multihead_attention_forward given dout (N, Tq, D): dquery, dkey_value, dW_qkv,
    db_qkv, dW_out, db_out. For self-attention the input's gradient is dquery + dkey_value."""
    query, key_value, W_qkv, W_out, merged, heads_cache, num_heads, _ = cache
    require_dout("multihead_attention_backward", dout, query.shape)
    D = query.shape[2]
    rows = dout.reshape(-1, D)
    dW_out = merged.reshape(-1, D).T @ rows
    db_out = rows.sum(axis=0)
    dheads = split_heads(dout @ W_out.T, num_heads)
    dq, dk, dv = (merge_heads(g, num_heads) for g in attention_backward(dheads, heads_cache))
    dkv = np.concatenate([dk, dv], axis=2)                     # (N, Tk, 2D)
    dW_qkv = np.concatenate([query.reshape(-1, D).T @ dq.reshape(-1, D),
                             key_value.reshape(-1, D).T @ dkv.reshape(-1, 2 * D)], axis=1)
    db_qkv = np.concatenate([dq.sum(axis=(0, 1)), dkv.sum(axis=(0, 1))])
    dquery = dq @ W_qkv[:, :D].T
    dkey_value = dkv @ W_qkv[:, D:].T
    return dquery, dkey_value, dW_qkv, db_qkv, dW_out, db_out


def sinusoidal_positions(T, D, dtype=np.float64):
    """The fixed positions of Vaswani et al.: (T, D) with PE[t, 2i] = sin(t / 10000^(2i/D)) and
    PE[t, 2i+1] = cos(t / 10000^(2i/D))."""
    require_sizes("sinusoidal_positions", T=T, D=D)
    angles = np.arange(T)[:, None] / 10000 ** (np.arange(0, D, 2) / D)   # (T, ceil(D/2))
    pe = np.empty((T, D))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, :D // 2])
    return pe.astype(dtype)
