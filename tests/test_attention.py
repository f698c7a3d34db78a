"""Scaled dot-product attention: gradients with and without a mask, weights, dtypes, errors."""
import re

import numpy as np
import pytest

from dlscratch import layers as L
from dlscratch.gradient_check import eval_numerical_gradient_array, rel_error

N, TQ, TK, D, DV = 3, 4, 5, 6, 7
MASK = np.array([[True, True, False, True, False],
                 [False, False, False, False, True],       # one key only
                 [True] * TK])


def qkv(dtype=np.float64, seed=0):
    r = np.random.default_rng(seed)
    shapes = ((N, TQ, D), (N, TK, D), (N, TK, DV))
    return [r.standard_normal(shape).astype(dtype) for shape in shapes]


@pytest.mark.parametrize("mask", [None, MASK], ids=["no_mask", "mask"])
def test_attention_gradients(mask):
    arrays = qkv()
    out, cache = L.attention_forward(*arrays, mask=mask)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    grads = L.attention_backward(dout, cache)
    assert len(grads) == 3
    def forward(_):
        return L.attention_forward(*arrays, mask=mask)[0]

    for array, grad in zip(arrays, grads):
        numeric = eval_numerical_gradient_array(forward, array, dout)
        assert grad.shape == array.shape
        assert rel_error(grad, numeric) < 1e-7


def test_attention_equals_the_formula_written_out():
    q, k, v = qkv()
    out, cache = L.attention_forward(q, k, v)
    for n in range(N):
        scores = q[n] @ k[n].T / np.sqrt(D)
        weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(L.attention_weights(cache)[n], weights, rtol=1e-12)
        np.testing.assert_allclose(out[n], weights @ v[n], rtol=1e-12)


def test_masked_keys_get_exactly_zero_weight_and_rows_sum_to_one():
    q, k, v = qkv()
    out, cache = L.attention_forward(q, k, v, MASK)
    weights = L.attention_weights(cache)
    assert weights.shape == (N, TQ, TK) and weights is cache.weights
    assert np.all(weights[np.broadcast_to(~MASK[:, None, :], weights.shape)] == 0)
    assert np.all(weights[np.broadcast_to(MASK[:, None, :], weights.shape)] > 0)
    np.testing.assert_allclose(weights.sum(axis=2), 1, rtol=1e-12)
    # one key only: every query copies its value
    np.testing.assert_allclose(out[1], np.broadcast_to(v[1, 4], (TQ, DV)), rtol=1e-12)


def test_masked_keys_and_values_do_not_matter_and_get_no_gradient():
    q, k, v = qkv()
    out, cache = L.attention_forward(q, k, v, MASK)
    k2, v2 = k.copy(), v.copy()
    k2[~MASK], v2[~MASK] = 100.0, -50.0
    np.testing.assert_allclose(L.attention_forward(q, k2, v2, MASK)[0], out, rtol=1e-12)
    _, dk, dv = L.attention_backward(np.ones_like(out), cache)
    assert not dk[~MASK].any() and not dv[~MASK].any()
    several = [0, 2]                 # sequence 1 has one key: its weight is 1 whatever the key
    assert np.abs(dk[several][MASK[several]]).min() > 0 and not dk[1].any()


def test_an_all_true_mask_equals_no_mask():
    q, k, v = qkv()
    with_mask, _ = L.attention_forward(q, k, v, np.ones((N, TK), dtype=bool))
    np.testing.assert_allclose(with_mask, L.attention_forward(q, k, v)[0], rtol=1e-12)


def test_large_scores_do_not_overflow():
    q, k, v = qkv()
    out, cache = L.attention_forward(1e3 * q, k, v, MASK)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(L.attention_weights(cache)))
    np.testing.assert_allclose(L.attention_weights(cache).sum(axis=2), 1, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_attention_keeps_dtype(dtype):
    q, k, v = qkv(dtype)
    out, cache = L.attention_forward(q, k, v, MASK)
    assert out.dtype == dtype and L.attention_weights(cache).dtype == dtype
    assert all(g.dtype == dtype for g in L.attention_backward(np.ones_like(out), cache))
    reference, _ = L.attention_forward(*qkv(), mask=MASK)
    np.testing.assert_allclose(out, reference, rtol=1e-4, atol=1e-5)


def test_attention_does_not_modify_inputs():
    arrays = qkv()
    copies = [a.copy() for a in arrays]
    mask = MASK.copy()
    out, cache = L.attention_forward(*arrays, mask=mask)
    dout = np.ones_like(out)
    L.attention_backward(dout, cache)
    assert all(np.array_equal(a, c) for a, c in zip(arrays, copies))
    assert np.array_equal(mask, MASK) and np.all(dout == 1)


@pytest.mark.parametrize("change, message", [
    (lambda q, k, v: (q[0], k, v), r"q must have shape \(N, Tq, D\)"),
    (lambda q, k, v: (q, k[:, :, :-1], v), r"k must have shape \(3, Tk, 6\)"),
    (lambda q, k, v: (q, k, v[:, :-1]), r"v must have shape \(3, 5, Dv\)"),
    (lambda q, k, v: (q, k[:2], v), r"k must have shape \(3, Tk, 6\)"),
])
def test_bad_shapes_raise_clear_errors(change, message):
    with pytest.raises(ValueError, match=message):
        L.attention_forward(*change(*qkv()))


def test_bad_masks_and_dtypes_raise_clear_errors():
    q, k, v = qkv()
    with pytest.raises(TypeError, match="mask must be a bool numpy array"):
        L.attention_forward(q, k, v, MASK.astype(int))
    with pytest.raises(ValueError, match=r"mask must have shape \(3, 5\)"):
        L.attention_forward(q, k, v, MASK[:, :4])
    blind = MASK.copy()
    blind[2] = False
    with pytest.raises(ValueError, match=r"at least one key .* sequence\(s\) \[2\]"):
        L.attention_forward(q, k, v, blind)
    with pytest.raises(TypeError, match="share one dtype"):
        L.attention_forward(q.astype(np.float32), k, v)


def test_backward_refuses_a_dout_of_another_shape():
    q, k, v = qkv()
    out, cache = L.attention_forward(q, k, v, MASK)
    with pytest.raises(ValueError, match=re.escape(f"attention_backward: dout must have the "
                                                   f"forward output's shape {out.shape}")):
        L.attention_backward(out[:, :-1], cache)
