"""Attention against PyTorch: F.scaled_dot_product_attention with a boolean mask, and autograd."""
import numpy as np
import pytest

from torch_reference import F, assert_close, n, needs_torch, t, torch, torch_grads

pytestmark = needs_torch

from dlscratch import layers as L  # noqa: E402
from dlscratch.gradient_check import rel_error  # noqa: E402

N, TQ, TK, D, DV = 3, 4, 6, 5, 7


def arrays(seed=0):
    r = np.random.default_rng(seed)
    mask = r.random((N, TK)) < 0.6
    mask[:, 0] = True                          # every sequence may attend somewhere
    return [r.standard_normal(s) for s in ((N, TQ, D), (N, TK, D), (N, TK, DV))], mask


@pytest.mark.parametrize("masked", [False, True], ids=["no_mask", "mask"])
def test_attention_matches_scaled_dot_product_attention(masked):
    (q, k, v), mask = arrays()
    mask = mask if masked else None
    out, cache = L.attention_forward(q, k, v, mask)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    grads = L.attention_backward(dout, cache)

    tensors = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    # torch broadcasts the mask over queries: (N, 1, Tk), True = may attend, as ours
    torch_mask = None if mask is None else torch.tensor(mask)[:, None, :]
    torch_out = F.scaled_dot_product_attention(*tensors, attn_mask=torch_mask)
    torch_out.backward(torch.tensor(dout))
    assert rel_error(out, torch_out.detach().numpy()) < 1e-10
    for grad, tensor in zip(grads, tensors):
        assert rel_error(grad, tensor.grad.numpy()) < 1e-9


def test_attention_weights_match_autograd_of_the_formula():
    (q, k, v), mask = arrays(seed=2)
    out, cache = L.attention_forward(q, k, v, mask)
    dout = np.random.default_rng(3).standard_normal(out.shape)
    grads = L.attention_backward(dout, cache)

    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    scores = tq @ tk.transpose(1, 2) / D ** 0.5
    scores = scores.masked_fill(~torch.tensor(mask)[:, None, :], float("-inf"))
    weights = torch.softmax(scores, dim=2)
    (weights @ tv).backward(torch.tensor(dout))
    assert rel_error(L.attention_weights(cache), weights.detach().numpy()) < 1e-12
    for grad, tensor in zip(grads, (tq, tk, tv)):
        assert rel_error(grad, tensor.grad.numpy()) < 1e-9


# ------------------------------------------------------------------------------------------------
# The Transformer's layers (notebook 08)
# ------------------------------------------------------------------------------------------------

def test_causal_attention_matches_scaled_dot_product_attention():
    r = np.random.default_rng(4)
    q, k, v = (r.standard_normal((N, TK, d)) for d in (D, D, DV))
    out, cache = L.attention_forward(q, k, v, causal=True)
    dout = r.standard_normal(out.shape)
    grads = L.attention_backward(dout, cache)
    tensors = [t(a) for a in (q, k, v)]
    torch_out = F.scaled_dot_product_attention(*tensors, is_causal=True)
    assert_close(out, n(torch_out))
    for grad, theirs in zip(grads, torch_grads(torch_out, dout, *tensors)):
        assert_close(grad, theirs)


def torch_multihead(W_qkv, b_qkv, W_out, b_out, num_heads, dtype):
    """torch.nn.MultiheadAttention holding our weights (in_proj_weight = W_qkvᵀ, ...)."""
    D = W_out.shape[0]
    module = torch.nn.MultiheadAttention(D, num_heads, batch_first=True,
                                         dtype=torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        module.in_proj_weight.copy_(torch.tensor(W_qkv.T))
        module.in_proj_bias.copy_(torch.tensor(b_qkv))
        module.out_proj.weight.copy_(torch.tensor(W_out.T))
        module.out_proj.bias.copy_(torch.tensor(b_out))
    return module


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["self_causal_padded", "cross_padded", "self"])
def test_multihead_attention_matches_torch_nn_multiheadattention(kind, dtype):
    r = np.random.default_rng(5)
    Nb, T, Tk, Dm, heads = 3, 6, 7, 12, 4
    query = r.standard_normal((Nb, T, Dm)).astype(dtype)
    key_value = query if kind.startswith("self") else r.standard_normal((Nb, Tk, Dm)).astype(dtype)
    weights = [(r.standard_normal(s) * 0.3).astype(dtype)
               for s in ((Dm, 3 * Dm), (3 * Dm,), (Dm, Dm), (Dm,))]
    causal = "causal" in kind
    mask = None
    if "padded" in kind:
        mask = np.ones((Nb, key_value.shape[1]), dtype=bool)
        mask[0, 4:], mask[1, 2:] = False, False        # padding at the end of two sequences
    out, cache = L.multihead_attention_forward(query, key_value, *weights, heads, mask=mask,
                                               causal=causal)
    dout = r.standard_normal(out.shape).astype(dtype)
    dquery, dkey_value, *dweights = L.multihead_attention_backward(dout, cache)

    module = torch_multihead(*weights, heads, dtype)
    tq = t(query)
    tkv = tq if key_value is query else t(key_value)
    attn_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
    padding = None if mask is None else torch.tensor(~mask)     # torch: True = ignore
    torch_out, torch_weights = module(tq, tkv, tkv, key_padding_mask=padding, attn_mask=attn_mask,
                                      average_attn_weights=False)
    assert_close(out, n(torch_out))
    assert_close(cache.weights, n(torch_weights))
    leaves = [tq] + ([] if tkv is tq else [tkv])
    params = [module.in_proj_weight, module.in_proj_bias, module.out_proj.weight,
              module.out_proj.bias]
    grads = torch_grads(torch_out, dout, *leaves, *params)
    if tkv is tq:
        assert_close(dquery + dkey_value, grads[0])
    else:
        assert_close(dquery, grads[0])
        assert_close(dkey_value, grads[1])
    theirs = grads[len(leaves):]
    for ours, their, transposed in zip(dweights, theirs, (True, False, True, False)):
        assert_close(ours, their.T if transposed else their)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gelu_and_layer_norm_over_the_last_axis_match_torch(dtype):
    r = np.random.default_rng(6)
    x = (3 * r.standard_normal((2, 5, 8))).astype(dtype)
    gamma, beta = (r.standard_normal(8).astype(dtype) for _ in range(2))
    dout = r.standard_normal(x.shape).astype(dtype)

    out, cache = L.gelu_forward(x)
    tx = t(x)
    torch_out = F.gelu(tx, approximate="tanh")
    assert_close(out, n(torch_out))
    assert_close(L.gelu_backward(dout, cache), torch_grads(torch_out, dout, tx)[0])

    out, cache = L.layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    leaves = [t(x), t(gamma), t(beta)]
    torch_out = F.layer_norm(leaves[0], (8,), leaves[1], leaves[2], eps=1e-5)
    assert_close(out, n(torch_out))
    for ours, theirs in zip(L.layernorm_backward(dout, cache), torch_grads(torch_out, dout, *leaves)):
        assert_close(ours, theirs)
