"""Recurrent layers: known values, steps vs sequences, the masked recurrence and input errors.

The contract every layer keeps (gradients, dtypes, inputs left alone, bad shapes refused) is
checked once for all of them in test_layer_contract.py.
"""
import numpy as np
import pytest

from dlscratch import layers as L
from dlscratch.gradient_check import (eval_numerical_gradient, eval_numerical_gradient_array,
                                      rel_error)

N, T, D, H, V = 3, 4, 5, 6, 7
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def randn(r, *shape, dtype=np.float64, scale=1.0):
    return (scale * r.standard_normal(shape)).astype(dtype)


def recurrent_arrays(cell, sequence, dtype=np.float64, seed=0):
    """[x, h0, Wx, Wh, b] for a cell type; x (N, T, D) for a sequence, (N, D) for a step."""
    r = np.random.default_rng(seed)
    G = GATES[cell] * H
    x = randn(r, N, T, D, dtype=dtype) if sequence else randn(r, N, D, dtype=dtype)
    return [x, randn(r, N, H, dtype=dtype), randn(r, D, G, dtype=dtype, scale=0.5),
            randn(r, H, G, dtype=dtype, scale=0.5), randn(r, G, dtype=dtype, scale=0.5)]


# ------------------------------------------------------------------------------------------------
# Gradient checks (float64)
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", sorted(GATES))
def test_a_step_is_its_cell_after_the_input_projection(cell):
    x, prev_h, Wx, Wh, b = recurrent_arrays(cell, False)
    extra = [np.random.default_rng(2).standard_normal((N, H))] if cell == "lstm" else []
    step = getattr(L, f"{cell}_step_forward")(x, prev_h, *extra, Wx, Wh, b)
    by_cell = getattr(L, f"{cell}_cell_forward")(x @ Wx + b, prev_h, *extra, Wh)
    for a, c in zip(step[:-1], by_cell[:-1]):
        assert np.allclose(a, c, rtol=1e-12, atol=1e-12)


def test_word_embedding_gradient_with_repeated_ids():
    r = np.random.default_rng(0)
    x = np.array([[0, 3, 3, 1], [3, 0, 6, 3]])       # id 3 four times, id 0 twice, 2/4/5 never
    W = r.standard_normal((V, D))
    out, cache = L.word_embedding_forward(x, W)
    dout = r.standard_normal(out.shape)
    dW = L.word_embedding_backward(dout, cache)
    expected = np.zeros_like(W)
    np.add.at(expected, x, dout)
    assert np.allclose(dW, expected, rtol=1e-12, atol=1e-12)
    assert np.allclose(dW[3], dout[0, 1] + dout[0, 2] + dout[1, 0] + dout[1, 3])
    assert np.all(dW[[2, 4, 5]] == 0)
    numeric = eval_numerical_gradient_array(lambda w: L.word_embedding_forward(x, w)[0], W, dout)
    assert rel_error(dW, numeric) < 1e-8


def test_temporal_softmax_loss_gradient_with_mask():
    r = np.random.default_rng(0)
    x = r.standard_normal((N, T, V))
    y = r.integers(V, size=(N, T))
    mask = r.random((N, T)) > 0.4
    _, dx = L.temporal_softmax_loss(x, y, mask)
    numeric = eval_numerical_gradient(lambda v: L.temporal_softmax_loss(v, y, mask)[0], x)
    assert rel_error(dx, numeric) < 1e-7
    assert np.all(dx[~mask] == 0)


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------

def test_rnn_step_known_values():
    x = np.array([[1.0, -1.0]])
    prev_h = np.array([[0.5, 0.0, -0.5]])
    Wx = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    Wh = np.eye(3)
    b = np.array([0.0, 0.5, -1.0])
    next_h, _ = L.rnn_step_forward(x, prev_h, Wx, Wh, b)
    assert np.allclose(next_h, np.tanh([[1.5, -0.5, -0.5]]))


def test_lstm_step_with_zero_weights():
    # every gate pre-activation is 0: i = f = o = 1/2, g = 0, so c = c/2 and h = tanh(c/2)/2
    x, prev_h = np.ones((2, 3)), np.ones((2, 4))
    prev_c = np.array([[1.0, -2.0, 0.5, 0.0], [4.0, 0.0, -1.0, 2.0]])
    zeros = np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(16)
    next_h, next_c, _ = L.lstm_step_forward(x, prev_h, prev_c, *zeros)
    assert np.allclose(next_c, prev_c / 2)
    assert np.allclose(next_h, np.tanh(prev_c / 2) / 2)


def test_lstm_gate_order_is_i_f_o_g():
    # a large bias on one gate block at a time; x, h, the weights and c0 are zero
    H1 = 1
    for gate, (expected_c, expected_h) in {
            "i": (0.0, 0.0),                             # g = 0: nothing is written
            "f": (0.0, 0.0),
            "o": (0.0, 0.0),
            "g": (0.5 * np.tanh(20), 0.5 * np.tanh(0.5 * np.tanh(20)))}.items():
        b = np.zeros(4 * H1)
        b["ifog".index(gate)] = 20.0
        h, c, _ = L.lstm_step_forward(np.zeros((1, 1)), np.zeros((1, H1)), np.zeros((1, H1)),
                                      np.zeros((1, 4)), np.zeros((H1, 4)), b)
        assert np.allclose(c, expected_c) and np.allclose(h, expected_h), gate
    # an open input gate and g = 1 write 1 into c; o then decides how much shows in h
    b = np.array([20.0, 0.0, -20.0, 20.0])              # i open, o shut, g = 1
    h, c, _ = L.lstm_step_forward(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)),
                                  np.zeros((1, 4)), np.zeros((1, 4)), b)
    assert np.allclose(c, 1.0) and np.allclose(h, 0.0, atol=1e-8)


def test_gru_step_known_values():
    # zero weights: r = z = 1/2 and n = tanh(b_n); next_h = n/2 + prev_h/2
    prev_h = np.array([[1.0, -2.0]])
    b = np.array([0.0, 0.0, 0.0, 0.0, 0.3, -0.7])
    next_h, _ = L.gru_step_forward(np.ones((1, 3)), prev_h, np.zeros((3, 6)), np.zeros((2, 6)), b)
    assert np.allclose(next_h, np.tanh([[0.3, -0.7]]) / 2 + prev_h / 2)


def test_gru_reset_gate_multiplies_prev_h_before_Wh():
    # r = σ(-20) ≈ 0 shuts the previous state out of n, whatever Wh_n is;
    # z = σ(-20) ≈ 0 makes next_h = n
    prev_h = np.array([[0.8]])
    b = np.array([-20.0, -20.0, 0.1])
    Wh = np.array([[0.0, 0.0, 5.0]])
    next_h, _ = L.gru_step_forward(np.zeros((1, 1)), prev_h, np.zeros((1, 3)), Wh, b)
    assert np.allclose(next_h, np.tanh(0.1), atol=1e-7)
    b[0] = 20.0                                          # r = 1: n = tanh(5 * 0.8 + 0.1)
    next_h, _ = L.gru_step_forward(np.zeros((1, 1)), prev_h, np.zeros((1, 3)), Wh, b)
    assert np.allclose(next_h, np.tanh(4.1), atol=1e-7)


@pytest.mark.parametrize("cell", sorted(GATES))
def test_sequence_forward_equals_a_loop_of_steps(cell):
    x, h0, Wx, Wh, b = recurrent_arrays(cell, True)
    h, _ = getattr(L, f"{cell}_forward")(x, h0, Wx, Wh, b)
    step = getattr(L, f"{cell}_step_forward")
    prev_h, prev_c = h0, np.zeros_like(h0)
    for t in range(T):
        if cell == "lstm":
            prev_h, prev_c, _ = step(x[:, t], prev_h, prev_c, Wx, Wh, b)
        else:
            prev_h, _ = step(x[:, t], prev_h, Wx, Wh, b)
        assert np.allclose(h[:, t], prev_h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", sorted(GATES))
def test_sequence_backward_equals_a_loop_of_steps(cell):
    x, h0, Wx, Wh, b = recurrent_arrays(cell, True)
    h, cache = getattr(L, f"{cell}_forward")(x, h0, Wx, Wh, b)
    dh = np.random.default_rng(2).standard_normal(h.shape)
    dx, dh0, dWx, dWh, db = getattr(L, f"{cell}_backward")(dh, cache)
    step_fwd, step_bwd = getattr(L, f"{cell}_step_forward"), getattr(L, f"{cell}_step_backward")
    caches, prev_h, prev_c = [], h0, np.zeros_like(h0)
    for t in range(T):
        if cell == "lstm":
            prev_h, prev_c, step_cache = step_fwd(x[:, t], prev_h, prev_c, Wx, Wh, b)
        else:
            prev_h, step_cache = step_fwd(x[:, t], prev_h, Wx, Wh, b)
        caches.append(step_cache)
    totals = [np.zeros_like(a) for a in (Wx, Wh, b)]
    dprev_h, dprev_c = np.zeros_like(h0), np.zeros_like(h0)
    for t in reversed(range(T)):
        if cell == "lstm":
            dx_t, dprev_h, dprev_c, *dparams = step_bwd(dh[:, t] + dprev_h, dprev_c, caches[t])
        else:
            dx_t, dprev_h, *dparams = step_bwd(dh[:, t] + dprev_h, caches[t])
        assert np.allclose(dx[:, t], dx_t, rtol=1e-10, atol=1e-12)
        totals = [total + d for total, d in zip(totals, dparams)]
    assert np.allclose(dh0, dprev_h, rtol=1e-10, atol=1e-12)
    for got, expected in zip((dWx, dWh, db), totals):
        assert np.allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_lstm_forward_c0_and_cell_states_in_cache():
    x, h0, Wx, Wh, b = recurrent_arrays("lstm", True)
    c0 = np.full((N, H), 0.3)
    h, cache = L.lstm_forward(x, h0, Wx, Wh, b, c0=c0)
    assert cache.c.shape == (T + 1, N, H) and np.array_equal(cache.c[0], c0)
    prev_h, prev_c = h0, c0
    for t in range(T):
        prev_h, prev_c, _ = L.lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
    assert np.allclose(cache.c[-1], prev_c) and np.allclose(h[:, -1], prev_h)
    h_zero_c0, _ = L.lstm_forward(x, h0, Wx, Wh, b)
    assert not np.allclose(h, h_zero_c0)


# ------------------------------------------------------------------------------------------------
# The one masked recurrence under every sequence layer and model
# ------------------------------------------------------------------------------------------------

MASK = np.array([[True, True, False, False], [True] * 4, [True, False, False, False]])


def recurrence_state(cell, h0, seed=3):
    """The state tuple of a cell: (h0,), or (h0, c0) with a random c0 for an LSTM."""
    return (h0, randn(np.random.default_rng(seed), N, H)) if cell == "lstm" else (h0,)


@pytest.mark.parametrize("cell", sorted(GATES))
def test_masked_recurrence_ends_each_row_in_its_last_real_state(cell):
    x, h0, Wx, Wh, b = recurrent_arrays(cell, True)
    state = recurrence_state(cell, h0)
    h, final, _ = L.recurrence_forward(x, state, Wx, Wh, b, cell, mask=MASK)
    for n, length in enumerate(MASK.sum(axis=1)):
        alone, alone_final, _ = L.recurrence_forward(x[n:n + 1, :length],
                                                     tuple(s[n:n + 1] for s in state),
                                                     Wx, Wh, b, cell)
        for got, expected in zip(final, alone_final):
            assert np.allclose(got[n], expected[0], rtol=1e-12, atol=1e-12)
        assert np.allclose(h[n, :length], alone[0], rtol=1e-12, atol=1e-12)
        assert np.allclose(h[n, length:], alone[0, -1], rtol=1e-12, atol=1e-12)   # held
    # the backward pass: a held position passes no gradient into its input (its gradients are
    # checked against centred differences in test_layer_contract.py)
    _, _, cache = L.recurrence_forward(x, state, Wx, Wh, b, cell, mask=MASK)
    dx = L.recurrence_backward(np.ones_like(h), None, cache)[0]
    assert not dx[~MASK].any() and dx[MASK].all()


def test_masked_recurrence_refuses_bad_inputs():
    x, h0, Wx, Wh, b = recurrent_arrays("lstm", True)
    with pytest.raises(ValueError, match="cell_type must be one of"):
        L.recurrence_forward(x, (h0,), Wx, Wh, b, "transformer")
    with pytest.raises(ValueError, match=r"state of a lstm is a tuple of 2"):
        L.recurrence_forward(x, (h0,), Wx, Wh, b, "lstm")
    with pytest.raises(ValueError, match=r"mask must have shape \(3, 4\)"):
        L.recurrence_forward(x, (h0, h0), Wx, Wh, b, "lstm", mask=MASK[:, :2])
    _, _, cache = L.recurrence_forward(x, (h0, h0), Wx, Wh, b, "lstm")
    with pytest.raises(ValueError, match=r"dfinal\[1\] must have"):
        L.recurrence_backward(np.zeros((N, T, H)), (h0, h0[:1]), cache)


def test_word_embedding_forward_values():
    W = np.arange(V * 2, dtype=np.float64).reshape(V, 2)
    out, _ = L.word_embedding_forward(np.array([[0, 6], [2, 2]]), W)
    assert np.array_equal(out, [[[0, 1], [12, 13]], [[4, 5], [4, 5]]])


def test_temporal_affine_matches_affine_at_every_step():
    r = np.random.default_rng(1)
    x, w, b = randn(r, N, T, D), randn(r, D, V), randn(r, V)
    out, _ = L.temporal_affine_forward(x, w, b)
    for t in range(T):
        assert np.allclose(out[:, t], L.affine_forward(x[:, t], w, b)[0])


def test_temporal_softmax_loss_of_equal_scores_is_T_log_V():
    y = np.random.default_rng(0).integers(V, size=(N, T))
    loss, _ = L.temporal_softmax_loss(np.zeros((N, T, V)), y, np.ones((N, T), dtype=bool))
    assert loss == pytest.approx(T * np.log(V))     # summed over time, averaged over N


def test_temporal_softmax_loss_mask_leaves_steps_out():
    r = np.random.default_rng(0)
    x, y = r.standard_normal((N, T, V)), r.integers(V, size=(N, T))
    mask = np.ones((N, T), dtype=bool)
    mask[0, 2:] = False
    mask[2, 0] = False
    loss, dx = L.temporal_softmax_loss(x, y, mask)
    log_probs = x - np.log(np.exp(x).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(log_probs, y[..., None], axis=2)[..., 0]
    assert loss == pytest.approx(-(picked * mask).sum() / N)
    assert np.all(dx[~mask] == 0) and np.all(dx[mask] != 0)
    # changing the scores at masked steps changes nothing
    x2 = x.copy()
    x2[~mask] = 100.0
    assert L.temporal_softmax_loss(x2, y, mask)[0] == pytest.approx(loss)
    # no mask: every step counts; an all-False mask: nothing does
    assert L.temporal_softmax_loss(x, y)[0] == pytest.approx(-picked.sum() / N)
    none, dnone = L.temporal_softmax_loss(x, y, np.zeros((N, T), dtype=bool))
    assert none == 0.0 and not dnone.any()


# ------------------------------------------------------------------------------------------------
# dtypes and inputs left alone
# ------------------------------------------------------------------------------------------------

def test_temporal_softmax_loss_keeps_dtype(dtype):
    x = np.zeros((N, T, V), dtype=dtype)
    loss, dx = L.temporal_softmax_loss(x, np.zeros((N, T), dtype=np.int64),
                                       np.ones((N, T), dtype=bool))
    assert isinstance(loss, float) and dx.dtype == dtype


# ------------------------------------------------------------------------------------------------
# Bad inputs
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", sorted(GATES))
def test_bad_recurrent_shapes(cell):
    forward = getattr(L, f"{cell}_forward")
    x, h0, Wx, Wh, b = recurrent_arrays(cell, True)
    with pytest.raises(ValueError, match=r"h0 must have shape \(3, 6\)"):
        forward(x, h0[:, :-1], Wx, Wh, b)
    with pytest.raises(ValueError, match="Wh"):
        forward(x, h0, Wx, Wh[:-1], b)
    with pytest.raises(ValueError, match="b must have shape"):
        forward(x, h0, Wx, Wh, b[:-1])
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\)"):
        forward(x[:, 0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="Wx"):
        forward(x[..., :-1], h0, Wx, Wh, b)
    if GATES[cell] > 1:
        with pytest.raises(ValueError, match=f"{GATES[cell]}\\*H"):
            forward(x, h0, Wx[:, :-1], Wh[:, :-1], b[:-1])


def test_bad_lstm_c0_shape():
    x, h0, Wx, Wh, b = recurrent_arrays("lstm", True)
    with pytest.raises(ValueError, match="c0"):
        L.lstm_forward(x, h0, Wx, Wh, b, c0=np.zeros((N, H + 1)))
    with pytest.raises(ValueError, match="prev_c"):
        L.lstm_step_forward(x[:, 0], h0, np.zeros((N + 1, H)), Wx, Wh, b)


@pytest.mark.parametrize("cell", sorted(GATES))
def test_integer_and_mixed_dtype_inputs_are_type_errors(cell):
    x, h0, Wx, Wh, b = recurrent_arrays(cell, True)
    forward = getattr(L, f"{cell}_forward")
    with pytest.raises(TypeError, match="float"):
        forward(x.astype(np.int64), h0, Wx, Wh, b)
    with pytest.raises(TypeError, match="float32|float64"):
        forward(x.astype(np.float32), h0, Wx, Wh, b)


def test_bad_word_embedding_ids():
    W = np.ones((V, D))
    with pytest.raises(ValueError, match=r"\[0, 7\)"):
        L.word_embedding_forward(np.array([[0, 7]]), W)
    with pytest.raises(ValueError):
        L.word_embedding_forward(np.array([[-1, 0]]), W)
    with pytest.raises(TypeError, match="integer"):
        L.word_embedding_forward(np.array([[0.0, 1.0]]), W)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T\)"):
        L.word_embedding_forward(np.array([0, 1]), W)
    with pytest.raises(TypeError, match="float"):
        L.word_embedding_forward(np.array([[0, 1]]), np.ones((V, D), dtype=np.int64))


def test_bad_temporal_affine_shapes():
    with pytest.raises(ValueError, match=r"w must have shape \(5, M\)"):
        L.temporal_affine_forward(np.ones((N, T, 5)), np.ones((4, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        L.temporal_affine_forward(np.ones((N, T, 5)), np.ones((5, 3)), np.ones(2))


def test_bad_temporal_softmax_loss_inputs():
    x = np.zeros((N, T, V))
    y = np.zeros((N, T), dtype=np.int64)
    mask = np.ones((N, T), dtype=bool)
    with pytest.raises(ValueError, match=r"\[0, 7\)"):
        L.temporal_softmax_loss(x, y + V, mask)
    with pytest.raises(ValueError, match=r"y must have shape \(3, 4\)"):
        L.temporal_softmax_loss(x, y[:, :-1], mask)
    with pytest.raises(TypeError, match="bool"):
        L.temporal_softmax_loss(x, y, mask.astype(int))
    with pytest.raises(ValueError, match="mask must have shape"):
        L.temporal_softmax_loss(x, y, mask[:-1])
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, V\)"):
        L.temporal_softmax_loss(x[0], y, mask)


def test_lstm_step_backward_refuses_a_cell_gradient_of_another_shape():
    x, prev_h, Wx, Wh, b = recurrent_arrays("lstm", False)
    next_h, next_c, cache = L.lstm_step_forward(x, prev_h, np.zeros_like(prev_h), Wx, Wh, b)
    with pytest.raises(ValueError, match="lstm_step_backward: dout must have the forward output's shape"):
        L.lstm_step_backward(next_h, next_c[:, :-1], cache)
