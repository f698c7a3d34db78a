"""Recurrent layers: gradients, known values, steps vs sequences, dtypes and input errors."""
import re

import numpy as np
import pytest

from dlscratch import layers as L
from dlscratch.gradient_check import (eval_numerical_gradient, eval_numerical_gradient_array,
                                      layer_gradient_errors, rel_error)

DTYPES = [np.float32, np.float64]
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


def layer_cases(dtype, seed=0):
    """name -> (forward, backward, arrays): forward(*arrays) -> (out, cache), backward(dout, cache)
    returns one gradient per array."""
    r = np.random.default_rng(seed + 1)
    cases = {}
    for cell in GATES:
        fwd, bwd = getattr(L, f"{cell}_forward"), getattr(L, f"{cell}_backward")
        cases[cell] = (fwd, bwd, recurrent_arrays(cell, True, dtype, seed))
        if cell != "lstm":   # the LSTM step has two outputs; it gets a test of its own
            fwd, bwd = getattr(L, f"{cell}_step_forward"), getattr(L, f"{cell}_step_backward")
            cases[f"{cell}_step"] = (fwd, bwd, recurrent_arrays(cell, False, dtype, seed))
    cases["temporal_affine"] = (L.temporal_affine_forward, L.temporal_affine_backward,
                                [randn(r, N, T, D, dtype=dtype), randn(r, D, V, dtype=dtype),
                                 randn(r, V, dtype=dtype)])
    return cases


def check_layer_gradients(forward, backward, arrays, tol):
    errors = layer_gradient_errors(forward, backward, arrays, seed=7)
    assert len(errors) == len(arrays) and max(errors) < tol, errors


# ------------------------------------------------------------------------------------------------
# Gradient checks (float64)
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(layer_cases(np.float64)))
def test_layer_gradients(name):
    forward, backward, arrays = layer_cases(np.float64)[name]
    # a few gradient entries of the sequence layers are ~1e-7, where the finite differences'
    # rounding alone reaches relative errors of ~1e-6
    check_layer_gradients(forward, backward, arrays, tol=1e-5)


@pytest.mark.parametrize("cell", sorted(GATES))
def test_cell_gradients_of_its_projection_and_state(cell):
    """A cell's backward gives the gradients of its input projection xw and of its state(s)."""
    r = np.random.default_rng(5)
    xw, prev_h, prev_c = randn(r, N, GATES[cell] * H), randn(r, N, H), randn(r, N, H)
    Wh = randn(r, H, GATES[cell] * H, scale=0.5)
    inputs = [xw, prev_h] + ([prev_c] if cell == "lstm" else [])
    forward, backward = getattr(L, f"{cell}_cell_forward"), getattr(L, f"{cell}_cell_backward")
    *states, cache = forward(*inputs, Wh)
    douts = [r.standard_normal(state.shape) for state in states]
    analytic = backward(*douts, cache)
    assert len(analytic) == len(inputs)

    def f(_):
        return sum(np.sum(state * dout) for state, dout in zip(forward(*inputs, Wh)[:-1], douts))
    for i, array in enumerate(inputs):
        # as in test_layer_gradients: a few entries are ~1e-6, where rounding alone reaches ~1e-6
        error = rel_error(analytic[i], eval_numerical_gradient(f, array))
        assert error < 1e-5, f"{cell}_cell gradient {i} has relative error {error:.2e}"


@pytest.mark.parametrize("cell", sorted(GATES))
def test_a_step_is_its_cell_after_the_input_projection(cell):
    x, prev_h, Wx, Wh, b = recurrent_arrays(cell, False)
    extra = [np.random.default_rng(2).standard_normal((N, H))] if cell == "lstm" else []
    step = getattr(L, f"{cell}_step_forward")(x, prev_h, *extra, Wx, Wh, b)
    by_cell = getattr(L, f"{cell}_cell_forward")(x @ Wx + b, prev_h, *extra, Wh)
    for a, c in zip(step[:-1], by_cell[:-1]):
        assert np.allclose(a, c, rtol=1e-12, atol=1e-12)


def test_lstm_step_gradients():
    arrays = recurrent_arrays("lstm", False)
    prev_c = np.random.default_rng(3).standard_normal((N, H))
    x, prev_h, Wx, Wh, b = arrays
    inputs = [x, prev_h, prev_c, Wx, Wh, b]
    next_h, next_c, cache = L.lstm_step_forward(*inputs)
    r = np.random.default_rng(4)
    dnext_h, dnext_c = r.standard_normal(next_h.shape), r.standard_normal(next_c.shape)
    analytic = L.lstm_step_backward(dnext_h, dnext_c, cache)
    assert len(analytic) == 6
    for i, array in enumerate(inputs):
        def f(_):
            h, c, _ = L.lstm_step_forward(*inputs)
            return np.sum(h * dnext_h + c * dnext_c)
        error = rel_error(analytic[i], eval_numerical_gradient(f, array))
        assert error < 1e-7, f"lstm_step gradient {i} has relative error {error:.2e}"


def test_lstm_gradients_with_an_initial_cell_state():
    x, h0, Wx, Wh, b = recurrent_arrays("lstm", True, seed=5)
    c0 = np.random.default_rng(6).standard_normal((N, H))
    check_layer_gradients(lambda *a: L.lstm_forward(*a, c0=c0), L.lstm_backward,
                          [x, h0, Wx, Wh, b], tol=1e-7)


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


def test_word_embedding_forward_values():
    W = np.arange(V * 2, dtype=np.float64).reshape(V, 2)
    out, _ = L.word_embedding_forward(np.array([[0, 6], [2, 2]]), W)
    assert np.array_equal(out, [[[0, 1], [12, 13]], [[4, 5], [4, 5]]])


def test_temporal_affine_matches_affine_at_every_step():
    forward, _, (x, w, b) = layer_cases(np.float64)["temporal_affine"]
    out, _ = forward(x, w, b)
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

def all_forward_calls(dtype):
    """name -> (forward, arrays) for every layer, including the LSTM step and the embedding."""
    calls = {name: (fwd, arrays) for name, (fwd, _, arrays) in layer_cases(dtype).items()}
    x, h, Wx, Wh, b = recurrent_arrays("lstm", False, dtype)
    calls["lstm_step"] = (L.lstm_step_forward, [x, h, h * 0.5, Wx, Wh, b])
    calls["word_embedding"] = (L.word_embedding_forward,
                               [np.array([[1, 2], [2, 0]]), np.ones((3, 4), dtype=dtype)])
    return calls


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(all_forward_calls(np.float64)))
def test_layer_keeps_dtype(name, dtype):
    forward, arrays = all_forward_calls(dtype)[name]
    *outs, cache = forward(*arrays)
    for out in outs:
        assert out.dtype == dtype
    if name == "lstm_step":
        grads = L.lstm_step_backward(np.ones_like(outs[0]), np.ones_like(outs[1]), cache)
    else:
        backward = getattr(L, f"{name}_backward")
        grads = backward(np.ones_like(outs[0]), cache)
    for grad in (grads if isinstance(grads, tuple) else (grads,)):
        assert grad.dtype == dtype, name


@pytest.mark.parametrize("dtype", DTYPES)
def test_temporal_softmax_loss_keeps_dtype(dtype):
    x = np.zeros((N, T, V), dtype=dtype)
    loss, dx = L.temporal_softmax_loss(x, np.zeros((N, T), dtype=np.int64),
                                       np.ones((N, T), dtype=bool))
    assert isinstance(loss, float) and dx.dtype == dtype


@pytest.mark.parametrize("name", sorted(all_forward_calls(np.float64)))
def test_layer_does_not_modify_inputs(name):
    forward, arrays = all_forward_calls(np.float64)[name]
    copies = [a.copy() for a in arrays]
    *outs, cache = forward(*arrays)
    if name == "lstm_step":
        L.lstm_step_backward(np.ones_like(outs[0]), np.ones_like(outs[1]), cache)
    else:
        getattr(L, f"{name}_backward")(np.ones_like(outs[0]), cache)
    for a, copy in zip(arrays, copies):
        assert np.array_equal(a, copy)


def test_backward_does_not_modify_dout():
    for name, (forward, backward, arrays) in layer_cases(np.float64).items():
        out, cache = forward(*arrays)
        dout = np.random.default_rng(0).standard_normal(out.shape)
        copy = dout.copy()
        backward(dout, cache)
        assert np.array_equal(dout, copy), name


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


def _step_and_sequence_outputs():
    """name -> (out, cache, backward) for every recurrent layer, word embedding included."""
    cases = {}
    for name, (forward, backward, arrays) in layer_cases(np.float64).items():
        cases[backward.__name__] = (*forward(*arrays), backward)
    ids = np.array([[0, 2, 1], [2, 2, 0]])
    cases["word_embedding_backward"] = (*L.word_embedding_forward(ids, np.ones((3, 4))),
                                        L.word_embedding_backward)
    return cases


@pytest.mark.parametrize("name", sorted(_step_and_sequence_outputs()))
def test_backward_refuses_a_dout_of_another_shape(name):
    out, cache, backward = _step_and_sequence_outputs()[name]
    wrong = np.zeros((out.shape[0] + 1,) + out.shape[1:])
    with pytest.raises(ValueError, match=re.escape(f"{name}: dout must have the forward output's "
                                                   f"shape {out.shape}, got {wrong.shape}")):
        backward(wrong, cache)


def test_lstm_step_backward_refuses_a_cell_gradient_of_another_shape():
    x, prev_h, Wx, Wh, b = recurrent_arrays("lstm", False)
    next_h, next_c, cache = L.lstm_step_forward(x, prev_h, np.zeros_like(prev_h), Wx, Wh, b)
    with pytest.raises(ValueError, match="lstm_step_backward: dout must have the forward output's shape"):
        L.lstm_step_backward(next_h, next_c[:, :-1], cache)
