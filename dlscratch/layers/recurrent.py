"""Recurrent layers: vanilla RNN, LSTM and GRU cells and sequences, word embeddings and a
temporal affine layer (the temporal softmax loss is in losses.py).

The conventions of every layer hold: every `*_forward` returns `(out, cache)`, every
`*_backward(dout, cache)` returns the gradients of the forward's inputs in order, inputs are never modified, and outputs keep the input's dtype.

Shapes: N sequences in a batch, T time steps, D input features, H hidden units, V vocabulary size.
Each recurrence is written three times over one cell: the cell is what a step does after its input
projection x Wx + b; a step is the projection and the cell; a sequence computes the projections of
all T steps in one matrix product (a temporal affine layer), runs the cells in a loop over time,
and in its backward pass gets dx, dWx, dWh and db in one product each over all steps. Only the
loop over time is in Python; everything else is vectorised over the batch.
"""
from collections import namedtuple

import numpy as np

from .._validate import require_arrays, require_dout, require_float, require_ids, require_shape
from .core import sigmoid

__all__ = [
    "rnn_cell_forward", "rnn_cell_backward", "lstm_cell_forward", "lstm_cell_backward",
    "gru_cell_forward", "gru_cell_backward", "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "word_embedding_forward", "word_embedding_backward", "temporal_affine_forward",
    "temporal_affine_backward",
]


# The cache of lstm_forward. Besides what the backward pass needs, it exposes every cell state,
# time-major: c (T + 1, N, H), with c[0] = c0 and c[t + 1] the state after step t. A language
# model carries c[-1] into the next chunk; plotting c shows what individual memory cells track.
LSTMCache = namedtuple("LSTMCache", "x_tm Wx h c cells")
# What a GRU cell keeps for its backward pass; reset_h = r ⊙ prev_h is what Wh_n multiplied.
GRUCellCache = namedtuple("GRUCellCache", "Wh prev_h r z n reset_h")


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


def _swap_batch_and_time(a):
    """A contiguous copy of a with its first two axes swapped: (N, T, ...) <-> (T, N, ...)."""
    # The sequence layers work time-major internally, so that step t is one contiguous block.
    return np.ascontiguousarray(a.swapaxes(0, 1))


def _states_buffer(first, T):
    """A (T + 1, N, H) buffer whose row 0 is `first` (N, H) and row t + 1 the state after step t."""
    states = np.empty((T + 1, *first.shape), dtype=first.dtype)
    states[0] = first
    return states


def _rows(a):
    """a (..., K) as a matrix (-1, K): every step of every sequence one row, for one product."""
    return a.reshape(-1, a.shape[-1])


# ------------------------------------------------------------------------------------------------
# The cells. A cell is what one step does after its input projection xw = x Wx + b: a step is
# cell(x Wx + b, prev_h, Wh), and a sequence computes every step's xw at once, then runs the cells.
# Each cell's backward returns the gradient dxw of its input projection and of its state(s); the
# weights' gradients follow from dxw by matrix products, per step or once for a whole sequence.
# ------------------------------------------------------------------------------------------------

def rnn_cell_forward(xw, prev_h, Wh):
    """next_h = tanh(xw + prev_h Wh): xw (N, H), prev_h (N, H), Wh (H, H) -> next_h, cache."""
    ### BEGIN SOLUTION
    next_h = np.tanh(xw + prev_h @ Wh)
    ### END SOLUTION
    return next_h, (Wh, next_h)


def rnn_cell_backward(dnext_h, cache):
    """Gradients of rnn_cell_forward: dnext_h (N, H) -> dxw (N, H), dprev_h (N, H)."""
    Wh, next_h = cache
    ### BEGIN SOLUTION
    dxw = dnext_h * (1 - next_h * next_h)           # tanh'(a) = 1 − tanh(a)²
    dprev_h = dxw @ Wh.T
    ### END SOLUTION
    return dxw, dprev_h


def lstm_cell_forward(xw, prev_h, prev_c, Wh):
    """One LSTM cell: xw (N, 4H), prev_h and prev_c (N, H), Wh (H, 4H) -> next_h, next_c, cache.

    Gates in the order i, f, o, g: i, f, o = σ(a), g = tanh(a) for a = xw + prev_h Wh;
    next_c = f ⊙ prev_c + i ⊙ g and next_h = o ⊙ tanh(next_c).
    """
    H = prev_h.shape[1]
    ### BEGIN SOLUTION
    a = xw + prev_h @ Wh
    ifo = sigmoid(a[:, :3 * H])
    i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    ### END SOLUTION
    return next_h, next_c, (Wh, prev_c, i, f, o, g, tanh_c)


def lstm_cell_backward(dnext_h, dnext_c, cache):
    """Gradients of lstm_cell_forward: dnext_h, dnext_c (N, H) -> dxw (N, 4H), dprev_h, dprev_c."""
    Wh, prev_c, i, f, o, g, tanh_c = cache
    ### BEGIN SOLUTION
    # next_c reaches the loss directly (dnext_c) and through next_h = o ⊙ tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tanh_c * tanh_c)
    dxw = np.concatenate([dc * g * i * (1 - i),      # σ'(a) = σ(a)(1 − σ(a))
                          dc * prev_c * f * (1 - f),
                          dnext_h * tanh_c * o * (1 - o),
                          dc * i * (1 - g * g)], axis=1)
    dprev_h = dxw @ Wh.T
    dprev_c = dc * f
    ### END SOLUTION
    return dxw, dprev_h, dprev_c


def gru_cell_forward(xw, prev_h, Wh):
    """One GRU cell: xw (N, 3H), prev_h (N, H), Wh (H, 3H) -> next_h (N, H), cache.

    Gates in the order r, z, n: r, z = σ(xw + prev_h Wh) in their columns,
    n = tanh(xw_n + (r ⊙ prev_h) Wh_n) and next_h = (1 − z) ⊙ n + z ⊙ prev_h.
    """
    H = prev_h.shape[1]
    ### BEGIN SOLUTION
    rz = sigmoid(xw[:, :2 * H] + prev_h @ Wh[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    reset_h = r * prev_h
    n = np.tanh(xw[:, 2 * H:] + reset_h @ Wh[:, 2 * H:])
    next_h = (1 - z) * n + z * prev_h
    ### END SOLUTION
    return next_h, GRUCellCache(Wh, prev_h, r, z, n, reset_h)


def gru_cell_backward(dnext_h, cache):
    """Gradients of gru_cell_forward: dnext_h (N, H) -> dxw (N, 3H), dprev_h (N, H)."""
    Wh, prev_h, r, z, n, reset_h = cache
    H = prev_h.shape[1]
    ### BEGIN SOLUTION
    dn = dnext_h * (1 - z) * (1 - n * n)
    dreset_h = dn @ Wh[:, 2 * H:].T
    dr = dreset_h * prev_h * r * (1 - r)
    dz = dnext_h * (prev_h - n) * z * (1 - z)
    dxw = np.concatenate([dr, dz, dn], axis=1)
    # prev_h reaches next_h three ways: through z ⊙ prev_h, through r ⊙ prev_h, and through the
    # pre-activations of r and z
    dprev_h = dnext_h * z + dreset_h * r + dxw[:, :2 * H] @ Wh[:, :2 * H].T
    ### END SOLUTION
    return dxw, dprev_h


def _gru_dWh(prev_h, reset_h, dxw):
    """dWh (H, 3H) of the GRU from prev_h, r ⊙ prev_h (..., H) and dxw (..., 3H), over every step.

    The r and z columns of Wh multiply prev_h, the n columns multiply r ⊙ prev_h.
    """
    H = prev_h.shape[-1]
    return np.concatenate([_rows(prev_h).T @ _rows(dxw[..., :2 * H]),
                           _rows(reset_h).T @ _rows(dxw[..., 2 * H:])], axis=1)


# ------------------------------------------------------------------------------------------------
# Steps: the input projection, then the cell
# ------------------------------------------------------------------------------------------------

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One vanilla RNN step: x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> next_h."""
    _check_recurrent("rnn_step_forward", x, prev_h, Wx, Wh, b, gates=1, sequence=False)
    ### BEGIN SOLUTION
    next_h, cell = rnn_cell_forward(x @ Wx + b, prev_h, Wh)
    ### END SOLUTION
    return next_h, (x, prev_h, Wx, next_h, cell)


def rnn_step_backward(dnext_h, cache):
    """Gradients of rnn_step_forward: dnext_h (N, H) -> dx, dprev_h, dWx, dWh, db."""
    x, prev_h, Wx, next_h, cell = cache
    require_dout("rnn_step_backward", dnext_h, next_h.shape)
    ### BEGIN SOLUTION
    dxw, dprev_h = rnn_cell_backward(dnext_h, cell)
    dx, dWx, db = dxw @ Wx.T, x.T @ dxw, dxw.sum(axis=0)
    dWh = prev_h.T @ dxw
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step: x (N, D), prev_h and prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,).

    Returns next_h (N, H), next_c (N, H) and the cache.
    """
    _check_recurrent("lstm_step_forward", x, prev_h, Wx, Wh, b, gates=4, sequence=False)
    require_arrays("lstm_step_forward", x=(x, "N D"), prev_h=(prev_h, "N H"), prev_c=(prev_c, "N H"))
    ### BEGIN SOLUTION
    next_h, next_c, cell = lstm_cell_forward(x @ Wx + b, prev_h, prev_c, Wh)
    ### END SOLUTION
    return next_h, next_c, (x, prev_h, Wx, cell)


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Gradients of lstm_step_forward given dnext_h and dnext_c (N, H).

    Returns dx, dprev_h, dprev_c, dWx, dWh, db.
    """
    x, prev_h, Wx, cell = cache
    require_dout("lstm_step_backward", dnext_h, prev_h.shape)
    require_dout("lstm_step_backward", dnext_c, prev_h.shape)
    ### BEGIN SOLUTION
    dxw, dprev_h, dprev_c = lstm_cell_backward(dnext_h, dnext_c, cell)
    dx, dWx, db = dxw @ Wx.T, x.T @ dxw, dxw.sum(axis=0)
    dWh = prev_h.T @ dxw
    ### END SOLUTION
    return dx, dprev_h, dprev_c, dWx, dWh, db


def gru_step_forward(x, prev_h, Wx, Wh, b):
    """One GRU step: x (N, D), prev_h (N, H), Wx (D, 3H), Wh (H, 3H), b (3H,) -> next_h (N, H)."""
    _check_recurrent("gru_step_forward", x, prev_h, Wx, Wh, b, gates=3, sequence=False)
    ### BEGIN SOLUTION
    next_h, cell = gru_cell_forward(x @ Wx + b, prev_h, Wh)
    ### END SOLUTION
    return next_h, (x, Wx, cell)


def gru_step_backward(dnext_h, cache):
    """Gradients of gru_step_forward: dnext_h (N, H) -> dx, dprev_h, dWx, dWh, db."""
    x, Wx, cell = cache
    require_dout("gru_step_backward", dnext_h, cell.prev_h.shape)
    ### BEGIN SOLUTION
    dxw, dprev_h = gru_cell_backward(dnext_h, cell)
    dx, dWx, db = dxw @ Wx.T, x.T @ dxw, dxw.sum(axis=0)
    dWh = _gru_dWh(cell.prev_h, cell.reset_h, dxw)
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db


# ------------------------------------------------------------------------------------------------
# Sequences: every step's input projection in one product, the cells in a loop over time, and
# in the backward pass every weight gradient in one product over all steps
# ------------------------------------------------------------------------------------------------

def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H)."""
    _check_recurrent("rnn_forward", x, h0, Wx, Wh, b, gates=1, sequence=True)
    T = x.shape[1]
    x_tm = _swap_batch_and_time(x)                  # (T, N, D): x_tm[t] is step t
    h = _states_buffer(h0, T)                       # h[t + 1]: the state after step t
    cells = [None] * T
    ### BEGIN SOLUTION
    xw, _ = temporal_affine_forward(x_tm, Wx, b)    # x Wx + b of every step at once
    for t in range(T):
        h[t + 1], cells[t] = rnn_cell_forward(xw[t], h[t], Wh)
    ### END SOLUTION
    return _swap_batch_and_time(h[1:]), (x_tm, Wx, h, cells)


def rnn_backward(dh, cache):
    """Gradients of rnn_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    x_tm, Wx, h, cells = cache
    T = x_tm.shape[0]
    require_dout("rnn_backward", dh, (h.shape[1], T, h.shape[2]))
    dxw = np.empty_like(h[1:])
    dprev_h = np.zeros_like(h[0])
    ### BEGIN SOLUTION
    for t in reversed(range(T)):
        dxw[t], dprev_h = rnn_cell_backward(dh[:, t] + dprev_h, cells[t])
    dx_tm, dWx, db = temporal_affine_backward(dxw, (x_tm, Wx))
    dWh = _rows(h[:-1]).T @ _rows(dxw)              # step t multiplied Wh by h[t]
    ### END SOLUTION
    return _swap_batch_and_time(dx_tm), dprev_h, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """An LSTM over a whole sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H).

    The first cell state is c0 (N, H), zeros by default. The cache is an LSTMCache; its field c
    holds every cell state, time-major: c[t + 1] (N, H) is the state after step t, c[0] = c0.
    """
    _check_recurrent("lstm_forward", x, h0, Wx, Wh, b, gates=4, sequence=True)
    if c0 is None:
        c0 = np.zeros_like(h0)
    require_arrays("lstm_forward", x=(x, "N T D"), h0=(h0, "N H"), c0=(c0, "N H"))
    T = x.shape[1]
    x_tm = _swap_batch_and_time(x)                  # (T, N, D): x_tm[t] is step t
    h, c = _states_buffer(h0, T), _states_buffer(c0, T)
    cells = [None] * T
    ### BEGIN SOLUTION
    xw, _ = temporal_affine_forward(x_tm, Wx, b)    # x Wx + b of every step at once
    for t in range(T):
        h[t + 1], c[t + 1], cells[t] = lstm_cell_forward(xw[t], h[t], c[t], Wh)
    ### END SOLUTION
    return _swap_batch_and_time(h[1:]), LSTMCache(x_tm, Wx, h, c, cells)


def lstm_backward(dh, cache):
    """Gradients of lstm_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    x_tm, Wx, h, c, cells = cache
    T = x_tm.shape[0]
    require_dout("lstm_backward", dh, (h.shape[1], T, h.shape[2]))
    dxw = np.empty((T, h.shape[1], Wx.shape[1]), dtype=h.dtype)
    dprev_h, dprev_c = np.zeros_like(h[0]), np.zeros_like(c[0])
    ### BEGIN SOLUTION
    for t in reversed(range(T)):
        dxw[t], dprev_h, dprev_c = lstm_cell_backward(dh[:, t] + dprev_h, dprev_c, cells[t])
    dx_tm, dWx, db = temporal_affine_backward(dxw, (x_tm, Wx))
    dWh = _rows(h[:-1]).T @ _rows(dxw)              # step t multiplied Wh by h[t]
    ### END SOLUTION
    return _swap_batch_and_time(dx_tm), dprev_h, dWx, dWh, db


def gru_forward(x, h0, Wx, Wh, b):
    """A GRU over a whole sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H)."""
    _check_recurrent("gru_forward", x, h0, Wx, Wh, b, gates=3, sequence=True)
    T = x.shape[1]
    x_tm = _swap_batch_and_time(x)                  # (T, N, D): x_tm[t] is step t
    h = _states_buffer(h0, T)
    cells = [None] * T
    ### BEGIN SOLUTION
    xw, _ = temporal_affine_forward(x_tm, Wx, b)    # x Wx + b of every step at once
    for t in range(T):
        h[t + 1], cells[t] = gru_cell_forward(xw[t], h[t], Wh)
    ### END SOLUTION
    return _swap_batch_and_time(h[1:]), (x_tm, Wx, h, cells)


def gru_backward(dh, cache):
    """Gradients of gru_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, 3H), dWh (H, 3H), db (3H,).
    """
    x_tm, Wx, h, cells = cache
    T = x_tm.shape[0]
    require_dout("gru_backward", dh, (h.shape[1], T, h.shape[2]))
    dxw = np.empty((T, h.shape[1], Wx.shape[1]), dtype=h.dtype)
    dprev_h = np.zeros_like(h[0])
    ### BEGIN SOLUTION
    for t in reversed(range(T)):
        dxw[t], dprev_h = gru_cell_backward(dh[:, t] + dprev_h, cells[t])
    dx_tm, dWx, db = temporal_affine_backward(dxw, (x_tm, Wx))
    reset_h = np.stack([cell.reset_h for cell in cells])   # r ⊙ h[t] of every step
    dWh = _gru_dWh(h[:-1], reset_h, dxw)
    ### END SOLUTION
    return _swap_batch_and_time(dx_tm), dprev_h, dWx, dWh, db


def word_embedding_forward(x, W):
    """Look up a vector per id: x (N, T) integer ids in [0, V), W (V, D) -> out (N, T, D)."""
    require_arrays("word_embedding_forward", W=(W, "V D"))
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
    dW = np.zeros((V, D), dtype=dout.dtype)
    np.add.at(dW, x, dout)                          # unbuffered: a repeated id adds every row
    ### END SOLUTION
    return dW


def temporal_affine_forward(x, w, b):
    """The same affine map at every time step: x (N, T, D), w (D, M), b (M,) -> out (N, T, M)."""
    require_arrays("temporal_affine_forward", x=(x, "N T D"), w=(w, "D M"), b=(b, "M"))
    ### BEGIN SOLUTION
    out = (_rows(x) @ w + b).reshape(*x.shape[:-1], w.shape[1])   # one product for every step
    ### END SOLUTION
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    """Gradients of temporal_affine_forward: dout (N, T, M) -> dx (N, T, D), dw (D, M), db (M,)."""
    x, w = cache
    require_dout("temporal_affine_backward", dout, (*x.shape[:-1], w.shape[1]))
    ### BEGIN SOLUTION
    dx = (_rows(dout) @ w.T).reshape(x.shape)
    dw = _rows(x).T @ _rows(dout)
    db = _rows(dout).sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


# ------------------------------------------------------------------------------------------------
# The table the models read their recurrence from
# ------------------------------------------------------------------------------------------------

def _lstm_state_step(x, state, Wx, Wh, b):
    """lstm_step_forward on a state tuple: x (N, D), state (h, c) -> (next_h, next_c), cache."""
    next_h, next_c, cache = lstm_step_forward(x, *state, Wx, Wh, b)
    return (next_h, next_c), cache


def _lstm_state_step_backward(dstate, cache):
    """Gradients of _lstm_state_step given (dh, dc): dx, (dprev_h, dprev_c), (dWx, dWh, db)."""
    dx, dprev_h, dprev_c, *dweights = lstm_step_backward(*dstate, cache)
    return dx, (dprev_h, dprev_c), dweights


def _hidden_state_step(step_forward, step_backward):
    """(step, step backward) on a state tuple (h,), for a cell whose whole state is h."""
    def step(x, state, Wx, Wh, b):
        next_h, cache = step_forward(x, state[0], Wx, Wh, b)
        return (next_h,), cache

    def backward(dstate, cache):
        dx, dprev_h, *dweights = step_backward(dstate[0], cache)
        return dx, (dprev_h,), dweights
    return step, backward


# gates: blocks of H columns in Wx, Wh and b; states: arrays in the state ((h,) or (h, c));
# forward/backward: the sequence layer; step/step_backward: one step on a state tuple
Recurrence = namedtuple("Recurrence", "gates states forward backward step step_backward")
RECURRENCES = {
    "rnn": Recurrence(1, 1, rnn_forward, rnn_backward,
                      *_hidden_state_step(rnn_step_forward, rnn_step_backward)),
    "lstm": Recurrence(4, 2, lstm_forward, lstm_backward, _lstm_state_step,
                       _lstm_state_step_backward),
    "gru": Recurrence(3, 1, gru_forward, gru_backward,
                      *_hidden_state_step(gru_step_forward, gru_step_backward)),
}
