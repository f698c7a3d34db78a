"""Recurrent layers: vanilla RNN, LSTM and GRU cells and sequences, word embeddings and a
temporal affine layer (the temporal softmax loss is in losses.py).

The conventions of every layer hold: every `*_forward` returns `(out, cache)`, every
`*_backward(dout, cache)` returns the gradients of the forward's inputs in order, inputs are never
modified, and outputs keep the input's dtype.

Shapes: N sequences in a batch, T time steps, D input features, H hidden units, V vocabulary size.
Each recurrence is built on one cell: the cell is what a step does after its input projection
x Wx + b; a step is the projection and the cell; a sequence is the one masked recurrence
(recurrence_forward), shared by every cell and every model: it computes the projections of all T
steps in one matrix product (a temporal affine layer), runs the cells in a loop over time, holds a
padded sequence's state where its mask is False, and in its backward pass gets dx, dWx, dWh and db
in one product each over all steps. Only the loop over time is in Python; everything else is
vectorised over the batch.
"""
from collections import namedtuple

import numpy as np

from .._validate import require_arrays, require_dout, require_float, require_ids, require_shape
from .core import sigmoid

__all__ = [
    "rnn_cell_forward", "rnn_cell_backward", "lstm_cell_forward", "lstm_cell_backward",
    "gru_cell_forward", "gru_cell_backward", "rnn_step_forward", "rnn_step_backward",
    "rnn_forward", "rnn_backward",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward",
    "recurrence_forward", "recurrence_backward",
    "word_embedding_forward", "word_embedding_backward", "temporal_affine_forward",
    "temporal_affine_backward",
]


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
    require_dout("rnn_cell_backward", dnext_h, next_h.shape)
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
    require_dout("lstm_cell_backward", dnext_h, prev_c.shape, name="dnext_h")
    require_dout("lstm_cell_backward", dnext_c, prev_c.shape, name="dnext_c")
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
    require_dout("gru_cell_backward", dnext_h, prev_h.shape)
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
# Sequences: one masked recurrence runs any cell over time; rnn_forward, lstm_forward and
# gru_forward are that recurrence with their cell. Every step's input projection is one product,
# the cells run in a loop over time, and in the backward pass every weight gradient is one
# product over all steps.
# ------------------------------------------------------------------------------------------------

class RecurrenceCache(namedtuple("RecurrenceCache", "cell_type x_tm Wx states cells real")):
    """What recurrence_backward needs, time-major. states holds one (T + 1, N, H) array per state
    component, states[k][0] the initial state and states[k][t + 1] the state after step t; h and
    c name them (c only for an LSTM). real is the mask as (T, N, 1), or None."""

    @property
    def h(self):
        return self.states[0]

    @property
    def c(self):
        return self.states[1]


def _check_recurrence(x, state, Wx, Wh, b, cell_type, mask):
    """Check recurrence_forward's inputs: a known cell, a state tuple of its size, a mask (N, T)."""
    where = "recurrence_forward"
    if cell_type not in RECURRENCES:
        raise ValueError(f"{where}: cell_type must be one of {sorted(RECURRENCES)}, "
                         f"got {cell_type!r}")
    recurrence = RECURRENCES[cell_type]
    if not isinstance(state, tuple) or len(state) != recurrence.states:
        raise ValueError(f"{where}: the state of a {cell_type} is a tuple of {recurrence.states} "
                         f"(N, H) array(s), got {type(state).__name__} of length "
                         f"{len(state) if isinstance(state, (tuple, list)) else '-'}")
    _check_recurrent(where, x, state[0], Wx, Wh, b, recurrence.gates, sequence=True)
    require_arrays(where, h=(state[0], "N H"), **{f"state[{k}]": (s, "N H")
                                                 for k, s in enumerate(state[1:], 1)})
    if mask is not None:
        require_shape(where, "mask", np.asarray(mask), x.shape[:2])


def recurrence_forward(x, state, Wx, Wh, b, cell_type, mask=None):
    """A cell run over x (N, T, D) from state, a tuple (h,) or (h, c) of (N, H) arrays.

    mask (N, T) bool, None meaning every position is real: where it is False (padding) a sequence's
    state is held unchanged, so its final state is the one after its last real token.
    Returns every hidden state h (N, T, H), the final state (a tuple like state) and the cache.
    """
    _check_recurrence(x, state, Wx, Wh, b, cell_type, mask)
    cell = RECURRENCES[cell_type].cell
    T = x.shape[1]
    x_tm = _swap_batch_and_time(x)                  # (T, N, D): x_tm[t] is step t
    states = tuple(_states_buffer(s, T) for s in state)
    real = None if mask is None else _swap_batch_and_time(np.asarray(mask, bool))[..., None]
    cells = [None] * T
    ### BEGIN SOLUTION
    xw, _ = temporal_affine_forward(x_tm, Wx, b)    # x Wx + b of every step at once
    for t in range(T):
        new_state, cells[t] = cell(xw[t], tuple(s[t] for s in states), Wh)
        for s, new in zip(states, new_state):
            s[t + 1] = new if real is None else np.where(real[t], new, s[t])
    ### END SOLUTION
    final = tuple(s[-1].copy() for s in states)
    return (_swap_batch_and_time(states[0][1:]), final,
            RecurrenceCache(cell_type, x_tm, Wx, states, cells, real))


def recurrence_backward(dh, dfinal, cache):
    """Gradients of recurrence_forward given dh (N, T, H) and the final state's gradient dfinal
    (a tuple like the state, or None for zeros).

    Returns dx (N, T, D), the initial state's gradient (a tuple), dWx, dWh, db.
    """
    recurrence = RECURRENCES[cache.cell_type]
    x_tm, Wx, states, cells, real = cache[1:]
    T, N, H = x_tm.shape[0], *states[0].shape[1:]
    require_dout("recurrence_backward", dh, (N, T, H))
    if dfinal is not None:
        for k, d in enumerate(dfinal):
            require_dout("recurrence_backward", d, (N, H), name=f"dfinal[{k}]")
    dxw = np.empty((T, N, Wx.shape[1]), dtype=dh.dtype)          # d(x Wx + b) of every step
    dstate = tuple(np.zeros_like(s[0]) for s in states) if dfinal is None else dfinal
    ### BEGIN SOLUTION
    for t in reversed(range(T)):
        dstate = (dstate[0] + dh[:, t], *dstate[1:])
        if real is None:
            dxw[t], dstate = recurrence.cell_backward(dstate, cells[t])
        else:
            # a held state passes its gradient straight through to the previous step
            dnew = tuple(np.where(real[t], d, 0) for d in dstate)
            dxw[t], dprev = recurrence.cell_backward(dnew, cells[t])
            dstate = tuple(dp + np.where(real[t], 0, d) for dp, d in zip(dprev, dstate))
    dx_tm, dWx, db = temporal_affine_backward(dxw, (x_tm, Wx))
    dWh = recurrence.dWh(states[0][:-1], cells, dxw)   # step t multiplied Wh by h[t]
    ### END SOLUTION
    return _swap_batch_and_time(dx_tm), dstate, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H)."""
    _check_recurrent("rnn_forward", x, h0, Wx, Wh, b, gates=1, sequence=True)
    h, _, cache = recurrence_forward(x, (h0,), Wx, Wh, b, "rnn")
    return h, cache


def rnn_backward(dh, cache):
    """Gradients of rnn_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    return _sequence_backward("rnn_backward", dh, cache)


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """An LSTM over a whole sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H).

    The first cell state is c0 (N, H), zeros by default. The cache is a RecurrenceCache; its
    field c holds every cell state, time-major: c[t + 1] (N, H) is the state after step t, c[0] = c0.
    """
    _check_recurrent("lstm_forward", x, h0, Wx, Wh, b, gates=4, sequence=True)
    if c0 is None:
        c0 = np.zeros_like(h0)
    require_arrays("lstm_forward", x=(x, "N T D"), h0=(h0, "N H"), c0=(c0, "N H"))
    h, _, cache = recurrence_forward(x, (h0, c0), Wx, Wh, b, "lstm")
    return h, cache


def lstm_backward(dh, cache):
    """Gradients of lstm_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    return _sequence_backward("lstm_backward", dh, cache)


def gru_forward(x, h0, Wx, Wh, b):
    """A GRU over a whole sequence: x (N, T, D), h0 (N, H) -> every hidden state h (N, T, H)."""
    _check_recurrent("gru_forward", x, h0, Wx, Wh, b, gates=3, sequence=True)
    h, _, cache = recurrence_forward(x, (h0,), Wx, Wh, b, "gru")
    return h, cache


def gru_backward(dh, cache):
    """Gradients of gru_forward given dh (N, T, H), the upstream gradient of every hidden state.

    Returns dx (N, T, D), dh0 (N, H), dWx (D, 3H), dWh (H, 3H), db (3H,).
    """
    return _sequence_backward("gru_backward", dh, cache)


def _sequence_backward(where, dh, cache):
    """recurrence_backward from a zero final gradient: dx, dh0, dWx, dWh, db (the c0 one dropped)."""
    _, N, H = cache.h.shape
    require_dout(where, dh, (N, cache.x_tm.shape[0], H))
    dx, dstate, dWx, dWh, db = recurrence_backward(dh, None, cache)
    return dx, dstate[0], dWx, dWh, db


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
# The table the recurrence and the models read a cell from
# ------------------------------------------------------------------------------------------------

def _hidden_state_cell(cell_forward, cell_backward):
    """(cell, cell backward) on a state tuple (h,), for a cell whose whole state is h."""
    def cell(xw, state, Wh):
        next_h, cache = cell_forward(xw, state[0], Wh)
        return (next_h,), cache

    def backward(dstate, cache):
        dxw, dprev_h = cell_backward(dstate[0], cache)
        return dxw, (dprev_h,)
    return cell, backward


def _lstm_state_cell(xw, state, Wh):
    """lstm_cell_forward on a state tuple (h, c) -> (next_h, next_c), cache."""
    next_h, next_c, cache = lstm_cell_forward(xw, *state, Wh)
    return (next_h, next_c), cache


def _lstm_state_cell_backward(dstate, cache):
    """Gradients of _lstm_state_cell given (dh, dc): dxw, (dprev_h, dprev_c)."""
    dxw, dprev_h, dprev_c = lstm_cell_backward(*dstate, cache)
    return dxw, (dprev_h, dprev_c)


def _plain_dWh(prev_h, cells, dxw):
    """dWh of a cell whose every gate multiplies prev_h (T, N, H) by Wh: one product over all steps."""
    return _rows(prev_h).T @ _rows(dxw)


def _gru_sequence_dWh(prev_h, cells, dxw):
    """dWh of the GRU over all steps: its n columns multiplied r ⊙ prev_h, kept in each cell's cache."""
    return _gru_dWh(prev_h, np.stack([cell.reset_h for cell in cells]), dxw)


# gates: blocks of H columns in Wx, Wh and b; states: arrays in the state ((h,) or (h, c));
# cell/cell_backward: one cell on a state tuple; dWh(prev_h, cells, dxw): Wh's gradient over all steps
Recurrence = namedtuple("Recurrence", "gates states cell cell_backward dWh")
RECURRENCES = {
    "rnn": Recurrence(1, 1, *_hidden_state_cell(rnn_cell_forward, rnn_cell_backward), _plain_dWh),
    "lstm": Recurrence(4, 2, _lstm_state_cell, _lstm_state_cell_backward, _plain_dWh),
    "gru": Recurrence(3, 1, *_hidden_state_cell(gru_cell_forward, gru_cell_backward),
                      _gru_sequence_dWh),
}
