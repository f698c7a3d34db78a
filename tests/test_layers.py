"""Layers, losses and the gradient-checking helpers: known values, statistics, dtypes, errors.

The contract every layer keeps (gradients, dtypes, inputs left alone, bad shapes refused) is
checked once for all of them in test_layer_contract.py.
"""
import math
import re
import warnings

import numpy as np
import pytest

from dlscratch import layers as L
from dlscratch.gradient_check import (check_model_gradients, eval_numerical_gradient,
                                      eval_numerical_gradient_array, grad_check_sparse,
                                      layer_gradient_errors, rel_error)



# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------

def randn(rng, *shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------------------------------------
# Gradient checks of the losses (float64)
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss_fn", [L.softmax_loss, L.svm_loss])
def test_loss_gradients(loss_fn):
    N, C = 7, 5
    for seed in range(100):  # the first seed whose hinge margins all stay clear of the kink
        r = np.random.default_rng(seed)
        x, y = r.standard_normal((N, C)), r.integers(C, size=N)
        margins = x - x[np.arange(N), y][:, None] + 1
        margins[np.arange(N), y] = 1
        if np.abs(margins).min() > 1e-3 and (margins > 0).mean() < 0.9:
            break
    assert np.abs(margins).min() > 1e-3
    loss, dx = loss_fn(x, y)
    numeric = eval_numerical_gradient(lambda _: loss_fn(x, y)[0], x)
    assert dx.shape == x.shape
    assert rel_error(dx, numeric) < 1e-7


# ------------------------------------------------------------------------------------------------
# Forward values on small hand-computed inputs
# ------------------------------------------------------------------------------------------------

def test_affine_known_values():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = np.array([0.5, -1.0])
    out, cache = L.affine_forward(x, w, b)
    np.testing.assert_allclose(out, [[4.5, 4.0], [10.5, 10.0]])
    dx, dw, db = L.affine_backward(np.ones((2, 2)), cache)
    np.testing.assert_allclose(dx, [[1.0, 1.0, 2.0], [1.0, 1.0, 2.0]])
    np.testing.assert_allclose(dw, [[5.0, 5.0], [7.0, 7.0], [9.0, 9.0]])
    np.testing.assert_allclose(db, [2.0, 2.0])


def test_affine_multidimensional_shapes():
    r = np.random.default_rng(0)
    x, w, b = r.standard_normal((2, 3, 4, 2)), r.standard_normal((24, 5)), r.standard_normal(5)
    out, cache = L.affine_forward(x, w, b)
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out, x.reshape(2, 24) @ w + b)
    dx, dw, db = L.affine_backward(np.ones((2, 5)), cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape


def test_relu_known_values():
    x = np.array([[-2.0, -0.5, 0.5], [3.0, -1.0, 1.5]])
    out, cache = L.relu_forward(x)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 0.5], [3.0, 0.0, 1.5]])
    dx = L.relu_backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), cache)
    np.testing.assert_array_equal(dx, [[0.0, 0.0, 3.0], [4.0, 0.0, 6.0]])


def test_sigmoid_and_tanh_known_values():
    x = np.array([-2.0, 0.0, 1.0])
    out, _ = L.sigmoid_forward(x)
    np.testing.assert_allclose(out, [1 / (1 + math.exp(2)), 0.5, 1 / (1 + math.exp(-1))])
    out, _ = L.tanh_forward(x)
    np.testing.assert_allclose(out, [math.tanh(-2), 0.0, math.tanh(1)])


@pytest.mark.parametrize("fwd, bwd, expected", [
    (L.sigmoid_forward, L.sigmoid_backward, [0.0, 0.0, 0.5, 1.0, 1.0]),
    (L.tanh_forward, L.tanh_backward, [-1.0, -1.0, 0.0, 1.0, 1.0]),
])
def test_sigmoid_tanh_stable_for_large_inputs(fwd, bwd, expected, dtype):
    x = np.array([-1000.0, -80.0, 0.0, 80.0, 1000.0], dtype=dtype)
    # Overflow, division by zero and invalid operations are errors; underflow to 0 is the expected,
    # harmless rounding of exp(-1000) (numpy ignores it by default), so it is not turned into one.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            out, cache = fwd(x)
            dx = bwd(np.ones_like(x), cache)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx))
    np.testing.assert_allclose(out, expected, atol=1e-7)
    np.testing.assert_allclose(dx[[0, -1]], [0.0, 0.0], atol=1e-7)


def test_log_softmax_and_softmax_are_stable_normalised_and_keep_dtype(dtype):
    x = np.array([[1.0, 2.0, 3.0], [1000.0, 1001.0, 1002.0], [-1000.0, 0.0, -np.inf]], dtype=dtype)
    expected = np.log(np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum())
    log_probs = L.log_softmax(x, axis=1)
    assert log_probs.dtype == dtype and np.all(np.isfinite(log_probs[:2]))
    assert np.allclose(log_probs[0], expected) and np.allclose(log_probs[1], expected)
    probs = L.softmax(x, axis=1)
    assert np.allclose(probs.sum(axis=1), 1) and probs[2, 2] == 0 and np.isclose(probs[2, 1], 1)
    assert np.allclose(L.softmax(x.T, axis=0), probs.T)      # any axis


def test_softmax_loss_of_equal_scores_is_log_C():
    N, C = 4, 7
    loss, dx = L.softmax_loss(np.full((N, C), 3.5), np.arange(N) % C)
    assert loss == pytest.approx(math.log(C), rel=1e-12)
    expected = np.full((N, C), 1 / C)
    expected[np.arange(N), np.arange(N) % C] -= 1
    np.testing.assert_allclose(dx, expected / N, atol=1e-15)


def test_softmax_loss_hand_computed_and_stable():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, math.log(2.0)]])
    y = np.array([2, 0])
    z0 = math.exp(1) + math.exp(2) + math.exp(3)
    expected = (-(3 - math.log(z0)) + math.log(4.0)) / 2  # row 1: p(class 0) = 1 / (1 + 1 + 2)
    loss, _ = L.softmax_loss(x, y)
    assert loss == pytest.approx(expected, rel=1e-12)
    # shifting all scores by a huge constant changes nothing and must not overflow
    with np.errstate(over="raise", invalid="raise"):
        loss_big, dx_big = L.softmax_loss(x + 1e4, y)
    assert loss_big == pytest.approx(expected, rel=1e-9)
    assert np.all(np.isfinite(dx_big))


def test_svm_loss_hand_computed():
    x = np.array([[1.0, 2.5, 0.2], [2.0, -1.0, 1.5]])
    y = np.array([0, 2])
    # row 0: (2.5 - 1 + 1) + (0.2 - 1 + 1) = 2.7; row 1: (2 - 1.5 + 1) + 0 = 1.5; mean 2.1
    loss, dx = L.svm_loss(x, y)
    assert loss == pytest.approx(2.1, rel=1e-12)
    np.testing.assert_allclose(dx, np.array([[-2.0, 1.0, 1.0], [1.0, 0.0, -1.0]]) / 2)


def test_losses_return_a_python_float():
    x, y = np.zeros((2, 3)), np.array([0, 1])
    assert isinstance(L.softmax_loss(x, y)[0], float)
    assert isinstance(L.svm_loss(x, y)[0], float)


# ------------------------------------------------------------------------------------------------
# dtypes and in-place modification
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss_fn", [L.softmax_loss, L.svm_loss])
def test_loss_keeps_dtype(loss_fn, dtype):
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(dtype)
    _, dx = loss_fn(x, np.array([0, 1, 2, 1]))
    assert dx.dtype == dtype


def test_batchnorm_running_stats_keep_dtype(dtype):
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(dtype)
    bn = {"mode": "train"}
    L.batchnorm_forward(x, np.ones(3, dtype), np.zeros(3, dtype), bn)
    assert bn["running_mean"].dtype == dtype and bn["running_var"].dtype == dtype


@pytest.mark.parametrize("name, run", [
    ("batchnorm", lambda x, g, b: L.batchnorm_forward(
        x, g, b, {"mode": "train", "eps": np.float64(1e-5), "momentum": np.float64(0.9)})),
    ("layernorm", lambda x, g, b: L.layernorm_forward(x, g, b, {"eps": np.float64(1e-5)})),
    ("dropout", lambda x, g, b: L.dropout_forward(
        x, {"p": np.float64(0.5), "mode": "train", "seed": 0})),
])
def test_float32_kept_with_numpy_float64_hyperparameters(name, run):
    # Hyperparameters often come from numpy (np.linspace, np.logspace, a config loaded with numpy).
    # Under NumPy 2's promotion rules (NEP 50) an np.float64 scalar upcasts a float32 array, so the
    # layer has to turn them into Python floats (or cast) to keep the promised dtype.
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    out, _ = run(x, np.ones(3, np.float32), np.zeros(3, np.float32))
    assert out.dtype == np.float32, f"{name} returned {out.dtype} for float32 input"


@pytest.mark.parametrize("loss_fn", [L.softmax_loss, L.svm_loss])
def test_loss_does_not_modify_inputs(loss_fn):
    x, y = np.random.default_rng(0).standard_normal((4, 3)), np.array([0, 1, 2, 1])
    x0, y0 = x.copy(), y.copy()
    loss_fn(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


def test_dropout_test_mode_output_is_not_the_input_object():
    x = np.ones((2, 3))
    out, cache = L.dropout_forward(x, {"p": 0.5, "mode": "test"})
    out[0, 0] = 5.0
    assert x[0, 0] == 1.0


# ------------------------------------------------------------------------------------------------
# Batch normalisation
# ------------------------------------------------------------------------------------------------

def test_batchnorm_train_output_statistics():
    r = np.random.default_rng(0)
    x = r.standard_normal((200, 3)) * np.array([1.0, 5.0, 20.0]) + np.array([-3.0, 0.0, 10.0])
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 4.0])
    out, _ = L.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-4)  # eps=1e-5 shrinks it a hair
    # the exact formula with eps = 1e-5 and the biased variance
    expected = gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_batchnorm_running_statistics_update_rule():
    r = np.random.default_rng(1)
    x1, x2 = r.standard_normal((8, 3)) * 2 + 1, r.standard_normal((8, 3)) - 2
    gamma, beta = np.ones(3), np.zeros(3)
    bn = {"mode": "train"}  # no running stats yet: they start from zeros
    L.batchnorm_forward(x1, gamma, beta, bn)
    np.testing.assert_allclose(bn["running_mean"], 0.1 * x1.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn["running_var"], 0.1 * x1.var(0, ddof=0), rtol=1e-12)
    rm1, rv1 = bn["running_mean"].copy(), bn["running_var"].copy()
    L.batchnorm_forward(x2, gamma, beta, bn)
    np.testing.assert_allclose(bn["running_mean"], 0.9 * rm1 + 0.1 * x2.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn["running_var"], 0.9 * rv1 + 0.1 * x2.var(0, ddof=0), rtol=1e-12)

    bn = {"mode": "train", "momentum": 0.7, "running_mean": np.ones(3), "running_var": np.ones(3)}
    L.batchnorm_forward(x1, gamma, beta, bn)
    np.testing.assert_allclose(bn["running_mean"], 0.7 + 0.3 * x1.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn["running_var"], 0.7 + 0.3 * x1.var(0), rtol=1e-12)


def test_batchnorm_test_mode_uses_running_statistics():
    r = np.random.default_rng(2)
    x = r.standard_normal((5, 3))
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.0, -0.5])
    rm, rv = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.0, 2.0])
    bn = {"mode": "test", "running_mean": rm.copy(), "running_var": rv.copy(), "eps": 1e-3}
    out, _ = L.batchnorm_forward(x, gamma, beta, bn)
    np.testing.assert_allclose(out, gamma * (x - rm) / np.sqrt(rv + 1e-3) + beta, rtol=1e-12)
    # test mode leaves the running statistics alone
    np.testing.assert_array_equal(bn["running_mean"], rm)
    np.testing.assert_array_equal(bn["running_var"], rv)
    # and one example at a time gives the same as the whole batch
    out0, _ = L.batchnorm_forward(x[:1], gamma, beta, bn)
    np.testing.assert_allclose(out0, out[:1], rtol=1e-12)


@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_backward_alt_equals_the_graph_version(rng, dtype, mode):
    x = (3 * rng.standard_normal((16, 5)) + 1).astype(dtype)
    gamma, beta = (rng.standard_normal(5) + 1).astype(dtype), rng.standard_normal(5).astype(dtype)
    bn = {"mode": mode, "running_mean": np.full(5, 0.5, dtype), "running_var": np.full(5, 2.0, dtype)}
    out, cache = L.batchnorm_forward(x, gamma, beta, bn)
    dout = rng.standard_normal(out.shape).astype(dtype)
    graph, closed = L.batchnorm_backward(dout, cache), L.batchnorm_backward_alt(dout, cache)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for a, b in zip(graph, closed):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


def test_batchnorm_bad_mode():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="mode"):
        L.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "eval"})


# ------------------------------------------------------------------------------------------------
# Layer normalisation
# ------------------------------------------------------------------------------------------------

def test_layernorm_per_sample_statistics():
    r = np.random.default_rng(4)
    x = r.standard_normal((6, 50)) * np.arange(1, 7)[:, None] * 3 + np.arange(6)[:, None] * 10
    out, _ = L.layernorm_forward(x, np.ones(50), np.zeros(50), {})
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=1), 1, rtol=1e-4)
    gamma, beta = r.standard_normal(50), r.standard_normal(50)
    out2, _ = L.layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    expected = gamma * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5) + beta
    np.testing.assert_allclose(out2, expected, rtol=1e-10, atol=1e-12)


def test_layernorm_is_independent_of_the_batch():
    r = np.random.default_rng(5)
    x, g, b = r.standard_normal((4, 6)), r.standard_normal(6), r.standard_normal(6)
    out, _ = L.layernorm_forward(x, g, b, {})
    out1, _ = L.layernorm_forward(x[2:3], g, b, {})
    np.testing.assert_allclose(out1, out[2:3], rtol=1e-12)


# ------------------------------------------------------------------------------------------------
# Dropout
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.25, 0.5, 0.8])
def test_dropout_train_keeps_fraction_p_and_preserves_the_mean(p):
    x = np.full((500, 400), 2.0)
    out, _ = L.dropout_forward(x, {"p": p, "mode": "train", "seed": 0})
    kept = out != 0
    # 200000 Bernoulli(p) draws: the kept fraction's std is < 1.2e-3, so 0.01 is > 8 sigma
    assert abs(kept.mean() - p) < 0.01
    np.testing.assert_allclose(out[kept], 2.0 / p, rtol=1e-12)
    assert abs(out.mean() - 2.0) < 0.05


def test_dropout_p_one_keeps_everything():
    x = np.random.default_rng(0).standard_normal((3, 4))
    out, cache = L.dropout_forward(x, {"p": 1.0, "mode": "train", "seed": 0})
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(L.dropout_backward(np.ones_like(x), cache), np.ones_like(x))


def test_dropout_test_mode_is_identity():
    x = np.random.default_rng(0).standard_normal((3, 4))
    out, cache = L.dropout_forward(x, {"p": 0.3, "mode": "test"})
    np.testing.assert_array_equal(out, x)
    dout = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_array_equal(L.dropout_backward(dout, cache), dout)


def test_dropout_seed_reproducible():
    x = np.ones((20, 30))
    a, _ = L.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 42})
    b, _ = L.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 42})
    c, _ = L.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": 43})
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_backward_uses_the_forward_mask():
    x = np.random.default_rng(0).standard_normal((10, 10)) + 5  # all nonzero
    out, cache = L.dropout_forward(x, {"p": 0.4, "mode": "train", "seed": 1})
    dout = np.random.default_rng(2).standard_normal(x.shape)
    dx = L.dropout_backward(dout, cache)
    np.testing.assert_allclose(dx, np.where(out != 0, dout / 0.4, 0.0), rtol=1e-12)


@pytest.mark.parametrize("p", [0, -0.1, 1.5])
def test_dropout_bad_p(p):
    with pytest.raises(ValueError, match="p"):
        L.dropout_forward(np.ones((2, 2)), {"p": p, "mode": "train"})


def test_dropout_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        L.dropout_forward(np.ones((2, 2)), {"p": 0.5, "mode": "training"})


# ------------------------------------------------------------------------------------------------
# Clear errors for bad input
# ------------------------------------------------------------------------------------------------

def test_affine_wrong_w_shape_message():
    x, w, b = np.ones((2, 3, 4)), np.ones((10, 5)), np.ones(5)
    with pytest.raises(ValueError) as info:
        L.affine_forward(x, w, b)
    msg = str(info.value)
    assert re.search(r"\(12,", msg), msg     # the expected (D, M) with D = 3 * 4
    assert "(10, 5)" in msg, msg             # the shape actually given


def test_affine_wrong_b_shape():
    with pytest.raises(ValueError, match=r"\(4,\)"):
        L.affine_forward(np.ones((2, 3)), np.ones((3, 5)), np.ones(4))


@pytest.mark.parametrize("call", [
    lambda x: L.affine_forward(x, np.ones((3, 2)), np.ones(2)),
    lambda x: L.relu_forward(x),
    lambda x: L.sigmoid_forward(x),
    lambda x: L.tanh_forward(x),
    lambda x: L.softmax_loss(x, np.array([0, 1])),
    lambda x: L.svm_loss(x, np.array([0, 1])),
    lambda x: L.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"}),
    lambda x: L.layernorm_forward(x, np.ones(3), np.zeros(3), {}),
    lambda x: L.dropout_forward(x, {"p": 0.5, "mode": "train"}),
], ids=["affine", "relu", "sigmoid", "tanh", "softmax", "svm", "batchnorm", "layernorm", "dropout"])
def test_integer_input_is_a_type_error(call):
    with pytest.raises(TypeError, match="float"):
        call(np.ones((2, 3), dtype=np.int64))


@pytest.mark.parametrize("call", [
    lambda: L.affine_forward(np.ones((2, 3), np.float32), np.ones((3, 2)), np.ones(2)),
    lambda: L.affine_forward(np.ones((2, 3)), np.ones((3, 2)), np.ones(2, np.float32)),
    lambda: L.batchnorm_forward(np.ones((2, 3), np.float32), np.ones(3), np.zeros(3),
                                {"mode": "train"}),
    lambda: L.layernorm_forward(np.ones((2, 3)), np.ones(3, np.float32), np.zeros(3), {}),
])
def test_mixed_float_dtypes_are_a_type_error(call):
    with pytest.raises(TypeError, match="float32|float64"):
        call()


@pytest.mark.parametrize("loss_fn", [L.softmax_loss, L.svm_loss])
def test_loss_label_errors(loss_fn):
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="4"):
        loss_fn(x, np.array([0, 4, 1]))         # label == C
    with pytest.raises(ValueError):
        loss_fn(x, np.array([0, -1, 1]))        # negative label
    with pytest.raises(TypeError):
        loss_fn(x, np.array([0.0, 1.0, 2.0]))   # float labels
    with pytest.raises(ValueError):
        loss_fn(x, np.array([0, 1]))            # wrong number of labels


def test_batchnorm_wrong_gamma_shape():
    with pytest.raises(ValueError, match="gamma"):
        L.batchnorm_forward(np.ones((2, 3)), np.ones(4), np.zeros(3), {"mode": "train"})


# ------------------------------------------------------------------------------------------------
# Gradient-checking helpers
# ------------------------------------------------------------------------------------------------

def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0               # no 0/0
    assert rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)


def test_eval_numerical_gradient_of_a_cubic():
    x = np.random.default_rng(0).standard_normal((3, 4))
    x0 = x.copy()
    grad = eval_numerical_gradient(lambda v: np.sum(v ** 3), x)
    assert grad.shape == x.shape
    # for v**3 the centred difference is exact up to its truncation term h**2 = 1e-10
    np.testing.assert_allclose(grad, 3 * x0 ** 2, rtol=0, atol=1e-9)
    assert rel_error(grad, 3 * x0 ** 2) < 1e-6  # smallest |3x^2| here is ~5e-3
    np.testing.assert_array_equal(x, x0)  # every perturbation is undone


def test_eval_numerical_gradient_array():
    r = np.random.default_rng(1)
    x, df = r.standard_normal((2, 5)), r.standard_normal((2, 5))
    grad = eval_numerical_gradient_array(lambda v: np.sin(v), x, df)
    assert rel_error(grad, np.cos(x) * df) < 1e-8


def test_grad_check_sparse_passes_correct_and_catches_wrong_gradients(capsys):
    x = np.random.default_rng(2).standard_normal((4, 5))
    f = lambda v: np.sum(v ** 3)    # noqa: E731
    errors = grad_check_sparse(f, x, 3 * x ** 2, num_checks=8)
    assert len(errors) == 8 and max(errors) < 1e-7
    wrong = 3 * x ** 2 * 1.2
    errors = grad_check_sparse(f, x, wrong, num_checks=8)
    assert min(errors) > 0.05
    assert "relative error" in capsys.readouterr().out.lower()


def _tiny_net():
    models = pytest.importorskip("dlscratch.models")
    if not hasattr(models, "FullyConnectedNet"):
        pytest.skip("FullyConnectedNet not available")
    model = models.FullyConnectedNet([5, 4], input_dim=6, num_classes=3, weight_scale=0.5,
                                     reg=0.1, dtype=np.float64, seed=0)
    r = np.random.default_rng(0)
    for name, p in model.params.items():
        if name.startswith("b"):
            p += 0.1 * r.standard_normal(p.shape)  # nonzero biases keep ReLU inputs off 0
    X, y = r.standard_normal((4, 6)), r.integers(3, size=4)
    return model, X, y


def test_layer_gradient_errors_pass_a_right_backward_and_catch_a_wrong_one():
    r = np.random.default_rng(0)
    x, w, b = r.standard_normal((3, 4)), r.standard_normal((4, 2)), r.standard_normal(2)
    errors = layer_gradient_errors(L.affine_forward, L.affine_backward, [x, w, b])
    assert len(errors) == 3 and max(errors) < 1e-9

    def wrong_backward(dout, cache):
        dx, dw, db = L.affine_backward(dout, cache)
        return dx, dw, 2 * db
    errors = layer_gradient_errors(L.affine_forward, wrong_backward, [x, w, b])
    assert max(errors[:2]) < 1e-9 and errors[2] > 0.1
    one_input = layer_gradient_errors(L.relu_forward, L.relu_backward, [x + np.sign(x)], seed=3)
    assert one_input[0] < 1e-9                          # a one-input layer returns one array


def test_check_model_gradients_on_a_correct_model():
    model, X, y = _tiny_net()
    errors = check_model_gradients(model, X, y, verbose=False)
    assert set(errors) == set(model.params)
    for name, err in errors.items():
        assert err < 1e-6, f"{name}: {err:.2e}"


def test_check_model_gradients_detects_a_wrong_gradient(monkeypatch):
    model, X, y = _tiny_net()
    backward = model._backward

    def broken_backward(*args, **kwargs):
        grads = backward(*args, **kwargs)
        grads["W2"] = grads["W2"] * 1.5
        return grads

    monkeypatch.setattr(model, "_backward", broken_backward)
    errors = check_model_gradients(model, X, y, verbose=False)
    assert errors["W2"] > 0.1
    assert all(err < 1e-6 for name, err in errors.items() if name != "W2")


def test_check_model_gradients_prints_a_table(capsys):
    model, X, y = _tiny_net()
    check_model_gradients(model, X, y, verbose=True)
    out = capsys.readouterr().out
    for name in model.params:
        assert name in out


def test_rel_error_refuses_arrays_of_different_shapes():
    from dlscratch.gradient_check import rel_error
    with pytest.raises(ValueError, match=r"one shape, got \(3,\) and \(3, 1\)"):
        rel_error(np.zeros(3), np.zeros((3, 1)))


@pytest.mark.parametrize("dropout_param", [{}, {"mode": "train"}, None])
def test_dropout_without_p_says_what_it_needs(dropout_param):
    with pytest.raises(ValueError, match="dropout_param must be a dict with 'p'"):
        L.dropout_forward(np.ones((2, 3)), dropout_param)



def test_param_backwards_are_the_whole_backwards_without_dx():
    """A first layer's parameter gradients alone, as FullyConnectedNet and ConvNet ask for them."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 6)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    out, cache = L.affine_relu_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dw, db = L.affine_relu_param_backward(dout, cache)
    _, whole_dw, whole_db = L.affine_relu_backward(dout, cache)
    assert np.array_equal(dw, whole_dw) and np.array_equal(db, whole_db) and dw.shape == w.shape

    x, w, b = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 3, 3)), np.zeros(4)
    out, cache = L.conv_relu_forward(x, w, b, {"stride": 1, "pad": 1})
    dout = rng.standard_normal(out.shape)
    dw, db = L.conv_relu_param_backward(dout, cache)
    _, whole_dw, whole_db = L.conv_relu_backward(dout, cache)
    assert np.array_equal(dw, whole_dw) and np.array_equal(db, whole_db) and db.shape == (4,)
