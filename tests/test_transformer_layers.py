"""The Transformer's layers beyond the contract cases: the causal mask, the heads' layout,
multi-head attention's special cases, GELU's values, sinusoidal positions and layer norm on
sequences (the gradients of all of them are checked in test_layer_contract.py)."""
import numpy as np
import pytest

from dlscratch import layers as L


def projections(rng, D, dtype=np.float64):
    """W_qkv (D, 3D), b_qkv (3D,), W_out (D, D), b_out (D,) at a sensible scale."""
    return [(rng.standard_normal(s) / np.sqrt(D)).astype(dtype)
            for s in ((D, 3 * D), (3 * D,), (D, D), (D,))]


def test_the_causal_mask_lets_each_query_see_itself_and_the_past():
    assert L.causal_mask(3).tolist() == [[True, False, False], [True, True, False],
                                         [True, True, True]]


def test_causal_attention_ignores_the_future(rng):
    q, k, v = (rng.standard_normal((2, 5, 4)) for _ in range(3))
    out, cache = L.attention_forward(q, k, v, causal=True)
    assert np.all(np.triu(L.attention_weights(cache), 1) == 0)
    changed = v.copy()
    changed[:, 3:] += 10                       # the future of positions 0..2
    k2 = k.copy()
    k2[:, 3:] -= 5
    out2, _ = L.attention_forward(q, k2, changed, causal=True)
    assert np.allclose(out[:, :3], out2[:, :3]) and not np.allclose(out[:, 3:], out2[:, 3:])
    # the first query can only look at the first key
    assert np.allclose(out[:, 0], v[:, 0])


def test_causal_attention_needs_self_attention_and_a_visible_key(rng):
    q, k = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    with pytest.raises(ValueError, match="causal attention needs as many queries as keys"):
        L.attention_forward(q, k, k, causal=True)
    left_padded = np.array([[False, True, True], [True, True, True]])
    with pytest.raises(ValueError, match="query 0 of sequence 0 may attend no key"):
        L.attention_forward(q, q, q, mask=left_padded, causal=True)


def test_split_and_merge_heads_are_inverse_and_slice_the_features():
    x = np.arange(2 * 3 * 6, dtype=np.float64).reshape(2, 3, 6)
    heads = L.split_heads(x, 3)
    assert heads.shape == (6, 3, 2)
    # head 1 of sequence 0 holds features 2 and 3 of every position
    assert np.array_equal(heads[1], x[0, :, 2:4])
    assert np.array_equal(heads[3 + 2], x[1, :, 4:6])
    assert np.array_equal(L.merge_heads(heads, 3), x)


def test_one_head_is_attention_between_the_projections(rng):
    D = 4
    x, y = rng.standard_normal((2, 3, D)), rng.standard_normal((2, 5, D))
    W_qkv, b_qkv, W_out, b_out = projections(rng, D)
    out, cache = L.multihead_attention_forward(x, y, W_qkv, b_qkv, W_out, b_out, 1)
    q, k, v = x @ W_qkv[:, :D] + b_qkv[:D], y @ W_qkv[:, D:2 * D] + b_qkv[D:2 * D], \
        y @ W_qkv[:, 2 * D:] + b_qkv[2 * D:]
    expected, plain = L.attention_forward(q, k, v)
    assert np.allclose(out, expected @ W_out + b_out)
    assert np.allclose(cache.weights[:, 0], L.attention_weights(plain))


def test_self_attention_with_one_array_equals_attention_with_two_copies(rng):
    x = rng.standard_normal((2, 5, 6))
    weights = projections(rng, 6)
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    out, cache = L.multihead_attention_forward(x, x, *weights, 2, mask=mask, causal=True)
    copy_out, copy_cache = L.multihead_attention_forward(x, x.copy(), *weights, 2, mask=mask,
                                                         causal=True)
    assert np.allclose(out, copy_out)
    dout = rng.standard_normal(out.shape)
    for ours, theirs in zip(L.multihead_attention_backward(dout, cache),
                            L.multihead_attention_backward(dout, copy_cache)):
        assert np.allclose(ours, theirs)
    w = cache.weights
    assert w.shape == (2, 2, 5, 5) and np.allclose(w.sum(axis=3), 1)
    assert np.all(w[0, :, :, 3:] == 0) and np.all(np.triu(w, 1) == 0)


def test_heads_attend_independently(rng):
    """Changing the keys of head 0's feature slice changes head 0's weights only."""
    D, heads = 6, 3
    x = rng.standard_normal((1, 4, D))
    W_qkv, b_qkv, W_out, b_out = projections(rng, D)
    _, cache = L.multihead_attention_forward(x, x, W_qkv, b_qkv, W_out, b_out, heads)
    W_changed = W_qkv.copy()
    W_changed[:, D:D + 2] *= 3                 # the key columns of head 0
    _, changed = L.multihead_attention_forward(x, x, W_changed, b_qkv, W_out, b_out, heads)
    assert not np.allclose(cache.weights[:, 0], changed.weights[:, 0])
    assert np.allclose(cache.weights[:, 1:], changed.weights[:, 1:])


def test_multihead_attention_refuses_heads_that_do_not_divide_the_features(rng):
    x = rng.standard_normal((1, 2, 6))
    with pytest.raises(ValueError, match="num_heads must divide the feature size D = 6, got 4"):
        L.multihead_attention_forward(x, x, *projections(rng, 6), 4)
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        L.multihead_attention_forward(x, x, *projections(rng, 6), 0)
    with pytest.raises(ValueError, match=r"W_qkv must have shape \(6, 18\)"):
        L.multihead_attention_forward(x, x, rng.standard_normal((6, 12)),
                                      *projections(rng, 6)[1:], 2)


def test_gelu_has_the_values_of_the_tanh_form():
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    out, _ = L.gelu_forward(x)
    # 0.5·x·(1 + tanh(√(2/π)(x + 0.044715 x³))), worked out by hand to 6 digits
    assert np.allclose(out, [-0.003637, -0.158808, 0.0, 0.841192, 2.996363], atol=1e-6)
    assert L.gelu_forward(x.astype(np.float32))[0].dtype == np.float32


def test_sinusoidal_positions_follow_the_formula():
    pe = L.sinusoidal_positions(50, 8)
    t = np.arange(50)
    assert pe.shape == (50, 8)
    assert np.allclose(pe[:, 0], np.sin(t)) and np.allclose(pe[:, 1], np.cos(t))
    assert np.allclose(pe[:, 6], np.sin(t / 10000 ** (6 / 8)))
    assert np.allclose(pe[:, 7], np.cos(t / 10000 ** (6 / 8)))
    assert L.sinusoidal_positions(3, 5).shape == (3, 5)      # an odd width ends with a sine
    assert L.sinusoidal_positions(3, 4, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="D must be a positive integer"):
        L.sinusoidal_positions(3, 0)


def test_layer_norm_of_sequences_normalises_every_position_like_a_row(rng):
    x = rng.standard_normal((2, 3, 5))
    gamma, beta = rng.standard_normal(5), rng.standard_normal(5)
    out, cache = L.layernorm_forward(x, gamma, beta, {})
    rows, row_cache = L.layernorm_forward(x.reshape(6, 5), gamma, beta, {})
    assert out.shape == x.shape and np.allclose(out.reshape(6, 5), rows)
    dout = rng.standard_normal(x.shape)
    dx, dgamma, dbeta = L.layernorm_backward(dout, cache)
    drows, dgamma_rows, dbeta_rows = L.layernorm_backward(dout.reshape(6, 5), row_cache)
    assert dx.shape == x.shape and np.allclose(dx.reshape(6, 5), drows)
    assert np.allclose(dgamma, dgamma_rows) and np.allclose(dbeta, dbeta_rows)
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\) or \(\.\.\., D\) with D = 5"):
        L.layernorm_forward(x[..., :4], gamma, beta, {})
