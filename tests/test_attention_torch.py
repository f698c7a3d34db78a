"""Attention against PyTorch: F.scaled_dot_product_attention with a boolean mask, and autograd."""
import numpy as np
import pytest

from torch_reference import F, needs_torch, torch

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
