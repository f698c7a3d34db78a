"""dlscratch.sparse.RowGradient: a gradient of a few rows that applies itself."""
import numpy as np

from dlscratch.optimizations import adam, sgd
from dlscratch.solver import clip_by_global_norm
from dlscratch.sparse import RowGradient


def row_gradient(r):
    return RowGradient(np.array([1, 4]), r.standard_normal((2, 3)), (6, 3))


def test_sgd_moves_only_the_touched_rows_in_place_by_the_dense_step():
    r = np.random.default_rng(0)
    w, grad = r.standard_normal((6, 3)), row_gradient(r)
    expected, _ = sgd(w, grad.to_dense(), {"learning_rate": 0.1})
    before = w.copy()
    next_w, config = grad.apply(w, sgd, {"learning_rate": 0.1})
    assert next_w is w and np.allclose(w, expected, rtol=0, atol=1e-15)
    assert np.array_equal(w[[0, 2, 3, 5]], before[[0, 2, 3, 5]])


def test_another_rule_gets_the_full_gradient_and_keeps_its_state():
    r = np.random.default_rng(1)
    w, grad = r.standard_normal((6, 3)), row_gradient(r)
    config = {"learning_rate": 0.1}
    next_w, config = grad.apply(w, adam, config)
    expected, expected_config = adam(w, grad.to_dense(), {"learning_rate": 0.1})
    assert np.array_equal(next_w, expected) and config["t"] == expected_config["t"] == 1
    assert np.array_equal(config["m"], expected_config["m"])


def test_clipping_scales_a_row_gradient_like_its_dense_form():
    r = np.random.default_rng(2)
    grads = {"W": row_gradient(r), "b": r.standard_normal(3)}
    dense = {"W": grads["W"].to_dense(), "b": grads["b"]}
    clipped, clipped_dense = clip_by_global_norm(grads, 0.5), clip_by_global_norm(dense, 0.5)
    assert isinstance(clipped["W"], RowGradient)
    assert np.allclose(clipped["W"].to_dense(), clipped_dense["W"], rtol=1e-15)
    assert np.isclose(np.sqrt(clipped["W"].squared_norm() + np.sum(clipped["b"] ** 2)), 0.5)
