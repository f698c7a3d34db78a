"""Recurrent layers: vanilla RNN, LSTM and GRU cells and sequences, word embeddings and a
temporal affine layer (the temporal softmax loss is in losses.py).

The conventions of every layer hold: every `*_forward` returns `(out, cache)`, every `*_backward(dout, cache)` returns the gradients of the
forward's inputs in order, inputs are never modified, and outputs keep the input's dtype.

Shapes: N sequences in a batch, T time steps, D input features, H hidden units, V vocabulary size.
The sequence layers are vectorised over the batch; only the loop over time is in Python. Every
matrix product that does not depend on the previous step is done once for all T steps: the input
projection x Wx + b in the forward pass, and dx, dWx, dWh and db in the backward pass.
"""
from collections import namedtuple

import numpy as np

from .._validate import require_dout, require_float, require_ids, require_shape
from .core import sigmoid

__all__ = [
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "word_embedding_forward", "word_embedding_backward", "temporal_affine_forward",
    "temporal_affine_backward",
]


# The cache of lstm_forward. Besides what the backward pass needs, it exposes every cell state,
# time-major: c (T + 1, N, H), with c[0] = c0 and c[t + 1] the state after step t. A language
# model carries c[-1] into the next chunk; plotting c shows what individual memory cells track.
LSTMCache = namedtuple("LSTMCache", "x_tm Wx Wh h c gates tanh_c")


def _check_recurrent(where, x, h, Wx, Wh, b, gates, sequence):
    """Check the inputs of a recurrent layer with `gates` blocks of H columns in Wx, Wh and b."""
    require_float(where, x=x, h=h, Wx=Wx, Wh=Wh, b=b)
    require_shape(where, "x", x, ("N", "T", "D") if sequence else ("N", "D"))
    N, D = x.shape[0], x.shape[-1]
    require_shape(where, "Wx", Wx, (D, None))
    H, width = Wx.shape[1] // gates, Wx.shape[1]
    if width != gates * H or H == 0:
        raise ValueError(f"{where}: Wx must have shape ({D}, {gates}*H) for some H >= 1, "
                         f"got {Wx.shape}")
    require_shape(where, "h0" if sequence else "prev_h", h, (N, H))
    require_shape(where, "Wh", Wh, (H, width))
    require_shape(where, "b", b, (width,))


def _input_projection(x, Wx, b):
    """x Wx + b as one matrix product over every leading axis: x (..., D) -> (..., G)."""
    ### BEGIN SOLUTION
    a = x.reshape(-1, x.shape[-1]) @ Wx
    a += b                                          # in place: no second (..., G) array
    ### END SOLUTION
    return a.reshape(*x.shape[:-1], Wx.shape[1])


def _input_projection_backward(da, x, Wx):
    """Gradients of _input_projection given da (..., G): dx (..., D), dWx (D, G), db (G,)."""
    ### BEGIN SOLUTION
    da2d = da.reshape(-1, da.shape[-1])
    dx = (da2d @ Wx.T).reshape(x.shape)
    dWx = x.reshape(-1, x.shape[-1]).T @ da2d
    db = da2d.sum(axis=0)
    ### END SOLUTION
    return dx, dWx, db


def _matmul_over_time(a, b):
    """Sum of a[i]^T b[i] over all leading indices i, as one matrix product: -> (P, Q).

    a (..., P) and b (..., Q) have the same leading shape.
    """
    return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])


def _swap_batch_and_time(a):
    """A contiguous copy of a with its first two axes swapped: (N, T, ...) <-> (T, N, ...)."""
    # The sequence layers work time-major internally, so that step t is one contiguous block.
    return np.ascontiguousarray(a.swapaxes(0, 1))


def _states_buffer(first, T):
    """A (T + 1, N, H) buffer whose row 0 is `first` (N, H) and row t + 1 the state after step t."""
    states = np.empty((T + 1, *first.shape), dtype=first.dtype)
    states[0] = first
    return states


def _gate(a, k, H):
    """Columns k*H to (k + 1)*H of a (N, G): the pre-activation or value of gate k, as a view."""
    return a[:, k * H:(k + 1) * H]


def _rnn_cell_forward(a, prev_h, Wh, next_h):
    """One tanh step: a (N, H) holds x Wx + b (overwritten); writes next_h = tanh(a + prev_h Wh)."""
    ### BEGIN SOLUTION
    a += prev_h @ Wh
    np.tanh(a, out=next_h)
    ### END SOLUTION


def _rnn_cell_backward(dnext_h, next_h, da):
    """Writes into da (N, H) the gradient of the pre-activation, given dnext_h and next_h."""
    ### BEGIN SOLUTION
    np.multiply(next_h, next_h, out=da)
    np.subtract(1, da, out=da)                      # tanh'(a) = 1 − tanh(a)²
    da *= dnext_h
    ### END SOLUTION


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One vanilla RNN step: x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> next_h."""
    _check_recurrent("rnn_step_forward", x, prev_h, Wx, Wh, b, gates=1, sequence=False)
    next_h = np.empty_like(prev_h)
    ### BEGIN SOLUTION
    _rnn_cell_forward(_input_projection(x, Wx, b), prev_h, Wh, next_h)
    ### END SOLUTION
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    """Gradients of rnn_step_forward: dnext_h (N, H) -> dx, dprev_h, dWx, dWh, db."""
    x, prev_h, Wx, Wh, next_h = cache
    require_dout("rnn_step_backward", dnext_h, next_h.shape)
    da = np.empty_like(next_h)
    ### BEGIN SOLUTION
    _rnn_cell_backward(dnext_h, next_h, da)
    dx, dWx, db = _input_projection_backward(da, x, Wx)
    dprev_h = da @ Wh.T
    dWh = prev_h.T @ da
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H)."""
    _check_recurrent("rnn_forward", x, h0, Wx, Wh, b, gates=1, sequence=True)
    T = x.shape[1]
    x_tm = _swap_batch_and_time(x)
    h = _states_buffer(h0, T)
    ### BEGIN SOLUTION
    a = _input_projection(x_tm, Wx, b)              # (T, N, H), x Wx + b for every step at once
    for t in range(T):
        _rnn_cell_forward(a[t], h[t], Wh, h[t + 1])
    ### END SOLUTION
    return _swap_batch_and_time(h[1:]), (x_tm, Wx, Wh, h)


def rnn_backward(dh, cache):
    """Gradients of rnn_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    x_tm, Wx, Wh, h = cache
    T = x_tm.shape[0]
    require_dout("rnn_backward", dh, (h.shape[1], T, h.shape[2]))
    da = np.empty_like(h[1:])
    dprev_h = np.zeros_like(h[0])
    ### BEGIN SOLUTION
    Wh_T = np.ascontiguousarray(Wh.T)               # a contiguous transpose multiplies faster
    for t in reversed(range(T)):
        _rnn_cell_backward(dh[:, t] + dprev_h, h[t + 1], da[t])
        dprev_h = da[t] @ Wh_T
    dx_tm, dWx, db = _input_projection_backward(da, x_tm, Wx)
    dWh = _matmul_over_time(h[:-1], da)             # step t multiplied its starting state h[t]
    ### END SOLUTION
    return _swap_batch_and_time(dx_tm), dprev_h, dWx, dWh, db


def _lstm_cell_forward(a, prev_h, prev_c, Wh, next_h, next_c, tanh_c):
    """One LSTM step: a (N, 4H) holds x Wx + b and becomes the gates i, f, o, g (in place).

    Writes next_h, next_c and tanh(next_c), each (N, H).
    """
    H = prev_h.shape[1]
    ### BEGIN SOLUTION
    a += prev_h @ Wh
    a[:, :3 * H] = sigmoid(a[:, :3 * H])
    np.tanh(a[:, 3 * H:], out=a[:, 3 * H:])
    i, f, o, g = (_gate(a, k, H) for k in range(4))
    np.multiply(f, prev_c, out=next_c)
    next_c += i * g
    np.tanh(next_c, out=tanh_c)
    np.multiply(o, tanh_c, out=next_h)
    ### END SOLUTION


def _lstm_cell_backward(dnext_h, dnext_c, gates, prev_c, tanh_c, da):
    """Writes into da (N, 4H) the gradient of the pre-activations; returns dprev_c (N, H)."""
    H = prev_c.shape[1]
    i, f, o, g = (_gate(gates, k, H) for k in range(4))
    da_i, da_f, da_o, da_g = (_gate(da, k, H) for k in range(4))
    ### BEGIN SOLUTION
    # next_c reaches the loss directly (dnext_c) and through next_h = o ⊙ tanh(next_c)
    dc = dnext_h * o * (1 - tanh_c * tanh_c)
    dc += dnext_c
    np.multiply(dc, g * i * (1 - i), out=da_i)      # σ'(a) = σ(a)(1 − σ(a))
    np.multiply(dc, prev_c * f * (1 - f), out=da_f)
    np.multiply(dnext_h, tanh_c * o * (1 - o), out=da_o)
    np.multiply(dc, i * (1 - g * g), out=da_g)      # tanh'(a) = 1 − tanh(a)²
    dprev_c = dc * f
    ### END SOLUTION
    return dprev_c


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step: x (N, D), prev_h and prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,).

    Returns next_h (N, H), next_c (N, H) and the cache.
    """
    _check_recurrent("lstm_step_forward", x, prev_h, Wx, Wh, b, gates=4, sequence=False)
    require_float("lstm_step_forward", x=x, prev_c=prev_c)
    require_shape("lstm_step_forward", "prev_c", prev_c, prev_h.shape)
    next_h, next_c, tanh_c = (np.empty_like(prev_h) for _ in range(3))
    ### BEGIN SOLUTION
    gates = _input_projection(x, Wx, b)
    _lstm_cell_forward(gates, prev_h, prev_c, Wh, next_h, next_c, tanh_c)
    ### END SOLUTION
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, gates, tanh_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Gradients of lstm_step_forward given dnext_h and dnext_c (N, H).

    Returns dx, dprev_h, dprev_c, dWx, dWh, db.
    """
    x, prev_h, prev_c, Wx, Wh, gates, tanh_c = cache
    require_dout("lstm_step_backward", dnext_h, prev_h.shape)
    require_dout("lstm_step_backward", dnext_c, prev_c.shape)
    da = np.empty_like(gates)
    ### BEGIN SOLUTION
    dprev_c = _lstm_cell_backward(dnext_h, dnext_c, gates, prev_c, tanh_c, da)
    dx, dWx, db = _input_projection_backward(da, x, Wx)
    dprev_h = da @ Wh.T
    dWh = prev_h.T @ da
    ### END SOLUTION
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """An LSTM over a whole sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H).

    The first cell state is c0 (N, H), zeros by default. The cache is an LSTMCache; its field c
    holds every cell state, time-major: c[t + 1] (N, H) is the state after step t, c[0] = c0.
    """
    _check_recurrent("lstm_forward", x, h0, Wx, Wh, b, gates=4, sequence=True)
    if c0 is None:
        c0 = np.zeros_like(h0)
    require_float("lstm_forward", x=x, c0=c0)
    require_shape("lstm_forward", "c0", c0, h0.shape)
    T = x.shape[1]
    x_tm = _swap_batch_and_time(x)
    h, c = _states_buffer(h0, T), _states_buffer(c0, T)
    tanh_c = np.empty_like(h[1:])
    ### BEGIN SOLUTION
    gates = _input_projection(x_tm, Wx, b)          # (T, N, 4H), x Wx + b for every step at once
    for t in range(T):
        _lstm_cell_forward(gates[t], h[t], c[t], Wh, h[t + 1], c[t + 1], tanh_c[t])
    ### END SOLUTION
    return _swap_batch_and_time(h[1:]), LSTMCache(x_tm, Wx, Wh, h, c, gates, tanh_c)


def lstm_backward(dh, cache):
    """Gradients of lstm_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    x_tm, Wx, Wh, h, c, gates, tanh_c = cache
    T = x_tm.shape[0]
    require_dout("lstm_backward", dh, (h.shape[1], T, h.shape[2]))
    da = np.empty_like(gates)
    dprev_h, dprev_c = np.zeros_like(h[0]), np.zeros_like(c[0])
    ### BEGIN SOLUTION
    Wh_T = np.ascontiguousarray(Wh.T)               # a contiguous transpose multiplies faster
    for t in reversed(range(T)):
        dprev_c = _lstm_cell_backward(dh[:, t] + dprev_h, dprev_c, gates[t], c[t], tanh_c[t], da[t])
        dprev_h = da[t] @ Wh_T
    dx_tm, dWx, db = _input_projection_backward(da, x_tm, Wx)
    dWh = _matmul_over_time(h[:-1], da)             # step t multiplied its starting state h[t]
    ### END SOLUTION
    return _swap_batch_and_time(dx_tm), dprev_h, dWx, dWh, db


def _gru_cell_forward(a, prev_h, Wh_rz, Wh_n, next_h, reset_h):
    """One GRU step: a (N, 3H) holds x Wx + b and becomes the gates r, z, n (in place).

    Wh_rz (H, 2H) and Wh_n (H, H) are the column blocks of Wh. Writes next_h and r ⊙ prev_h.
    """
    H = prev_h.shape[1]
    ### BEGIN SOLUTION
    rz, n = a[:, :2 * H], a[:, 2 * H:]
    rz += prev_h @ Wh_rz
    rz[...] = sigmoid(rz)
    r, z = _gate(a, 0, H), _gate(a, 1, H)
    np.multiply(r, prev_h, out=reset_h)
    n += reset_h @ Wh_n
    np.tanh(n, out=n)
    np.subtract(prev_h, n, out=next_h)              # next_h = n + z ⊙ (prev_h − n)
    next_h *= z                                     #        = (1 − z) ⊙ n + z ⊙ prev_h
    next_h += n
    ### END SOLUTION


def _gru_cell_backward(dnext_h, gates, prev_h, Wh_rz_T, Wh_n_T, da):
    """Writes into da (N, 3H) the gradient of the pre-activations; returns dprev_h (N, H).

    Wh_rz_T (2H, H) and Wh_n_T (H, H) are the transposed column blocks of Wh.
    """
    H = prev_h.shape[1]
    r, z, n = (_gate(gates, k, H) for k in range(3))
    da_r, da_z, da_n = (_gate(da, k, H) for k in range(3))
    ### BEGIN SOLUTION
    np.multiply(dnext_h * (1 - z), 1 - n * n, out=da_n)
    dreset_h = da_n @ Wh_n_T
    np.multiply(dreset_h * prev_h, r * (1 - r), out=da_r)
    np.multiply(dnext_h * (prev_h - n), z * (1 - z), out=da_z)
    # prev_h reaches next_h three ways: directly through z ⊙ prev_h, through r ⊙ prev_h, and
    # through the pre-activations of r and z
    dprev_h = dnext_h * z
    dprev_h += dreset_h * r
    dprev_h += da[:, :2 * H] @ Wh_rz_T
    ### END SOLUTION
    return dprev_h


def _gru_dWh(prev_h, reset_h, da):
    """dWh (H, 3H) of the GRU from prev_h, r ⊙ prev_h (..., H) and the pre-activation grads da.

    The r and z columns of Wh multiply prev_h, the n columns multiply r ⊙ prev_h.
    """
    H = prev_h.shape[-1]
    ### BEGIN SOLUTION
    return np.concatenate([_matmul_over_time(prev_h, da[..., :2 * H]),
                           _matmul_over_time(reset_h, da[..., 2 * H:])], axis=1)
    ### END SOLUTION


def _split_gru_Wh(Wh, transpose=False):
    """The column blocks (Wh_rz, Wh_n) of Wh (H, 3H) as contiguous arrays, transposed if asked."""
    H = Wh.shape[0]
    blocks = (Wh[:, :2 * H], Wh[:, 2 * H:])
    return tuple(np.ascontiguousarray(w.T if transpose else w) for w in blocks)


def gru_step_forward(x, prev_h, Wx, Wh, b):
    """One GRU step: x (N, D), prev_h (N, H), Wx (D, 3H), Wh (H, 3H), b (3H,) -> next_h (N, H)."""
    _check_recurrent("gru_step_forward", x, prev_h, Wx, Wh, b, gates=3, sequence=False)
    next_h, reset_h = np.empty_like(prev_h), np.empty_like(prev_h)
    ### BEGIN SOLUTION
    gates = _input_projection(x, Wx, b)
    _gru_cell_forward(gates, prev_h, *_split_gru_Wh(Wh), next_h, reset_h)
    ### END SOLUTION
    return next_h, (x, prev_h, Wx, Wh, gates, reset_h)


def gru_step_backward(dnext_h, cache):
    """Gradients of gru_step_forward: dnext_h (N, H) -> dx, dprev_h, dWx, dWh, db."""
    x, prev_h, Wx, Wh, gates, reset_h = cache
    require_dout("gru_step_backward", dnext_h, prev_h.shape)
    da = np.empty_like(gates)
    ### BEGIN SOLUTION
    dprev_h = _gru_cell_backward(dnext_h, gates, prev_h, *_split_gru_Wh(Wh, transpose=True), da)
    dx, dWx, db = _input_projection_backward(da, x, Wx)
    dWh = _gru_dWh(prev_h, reset_h, da)
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db


def gru_forward(x, h0, Wx, Wh, b):
    """A GRU over a whole sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H)."""
    _check_recurrent("gru_forward", x, h0, Wx, Wh, b, gates=3, sequence=True)
    T = x.shape[1]
    x_tm = _swap_batch_and_time(x)
    h = _states_buffer(h0, T)
    reset_h = np.empty_like(h[1:])
    ### BEGIN SOLUTION
    gates = _input_projection(x_tm, Wx, b)          # (T, N, 3H), x Wx + b for every step at once
    Wh_rz, Wh_n = _split_gru_Wh(Wh)
    for t in range(T):
        _gru_cell_forward(gates[t], h[t], Wh_rz, Wh_n, h[t + 1], reset_h[t])
    ### END SOLUTION
    return _swap_batch_and_time(h[1:]), (x_tm, Wx, Wh, h, gates, reset_h)


def gru_backward(dh, cache):
    """Gradients of gru_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, 3H), dWh (H, 3H), db (3H,).
    """
    x_tm, Wx, Wh, h, gates, reset_h = cache
    T = x_tm.shape[0]
    require_dout("gru_backward", dh, (h.shape[1], T, h.shape[2]))
    da = np.empty_like(gates)
    dprev_h = np.zeros_like(h[0])
    ### BEGIN SOLUTION
    Wh_rz_T, Wh_n_T = _split_gru_Wh(Wh, transpose=True)
    for t in reversed(range(T)):
        dprev_h = _gru_cell_backward(dh[:, t] + dprev_h, gates[t], h[t], Wh_rz_T, Wh_n_T, da[t])
    dx_tm, dWx, db = _input_projection_backward(da, x_tm, Wx)
    dWh = _gru_dWh(h[:-1], reset_h, da)             # step t started from h[t]
    ### END SOLUTION
    return _swap_batch_and_time(dx_tm), dprev_h, dWx, dWh, db


def word_embedding_forward(x, W):
    """Look up a vector per id: x (N, T) integer ids in [0, V), W (V, D) -> out (N, T, D)."""
    require_float("word_embedding_forward", W=W)
    require_shape("word_embedding_forward", "W", W, ("V", "D"))
    require_ids("word_embedding_forward", "x", x, ("N", "T"), W.shape[0])
    ### BEGIN SOLUTION
    out = W[x]
    ### END SOLUTION
    return out, (x, W.shape)


def word_embedding_backward(dout, cache):
    """Gradient of word_embedding_forward: dout (N, T, D) -> dW (V, D); repeated ids add up."""
    x, (V, D) = cache
    require_dout("word_embedding_backward", dout, (*x.shape, D))
    ### BEGIN SOLUTION
    # Sort the ids once, then sum each id's run of rows with one reduceat: the same result as
    # np.add.at(dW, x, dout), much faster.
    ids = x.ravel()
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    dW = np.zeros((V, D), dtype=dout.dtype)
    if ids.size:
        dW[sorted_ids[starts]] = np.add.reduceat(dout.reshape(-1, D)[order], starts, axis=0)
    ### END SOLUTION
    return dW


def temporal_affine_forward(x, w, b):
    """The same affine map at every time step: x (N, T, D), w (D, M), b (M,) -> out (N, T, M)."""
    require_float("temporal_affine_forward", x=x, w=w, b=b)
    require_shape("temporal_affine_forward", "x", x, ("N", "T", "D"))
    require_shape("temporal_affine_forward", "w", w, (x.shape[2], "M"))
    require_shape("temporal_affine_forward", "b", b, (w.shape[1],))
    out = _input_projection(x, w, b)
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    """Gradients of temporal_affine_forward: dout (N, T, M) -> dx (N, T, D), dw (D, M), db (M,)."""
    x, w = cache
    require_dout("temporal_affine_backward", dout, (*x.shape[:-1], w.shape[1]))
    return _input_projection_backward(dout, x, w)
