"""SkipGram and CBOW against the same losses written in torch, differentiated by autograd."""
import numpy as np
import pytest

from test_word2vec import MODELS, make_batch, make_model

from torch_reference import F, needs_torch, torch

pytestmark = needs_torch


def torch_loss(kind, loss_type, W_in, W_out, X, y):
    """The word2vec loss with torch operations: mean over the examples."""
    if kind == "skipgram":
        h = W_in[torch.as_tensor(X)]
    else:
        ids = torch.as_tensor(np.maximum(X, 0))
        mask = torch.as_tensor(X >= 0, dtype=W_in.dtype)
        h = (W_in[ids] * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    if loss_type == "softmax":
        return F.cross_entropy(h @ W_out.T, torch.as_tensor(y))
    targets = torch.as_tensor(y)
    scores = torch.einsum("nd,nkd->nk", h, W_out[targets])
    positive = F.logsigmoid(scores[:, 0])
    used = (targets[:, 1:] != targets[:, :1]).to(W_in.dtype)
    negative = (F.logsigmoid(-scores[:, 1:]) * used).sum(1)
    return -(positive + negative).mean()


@pytest.mark.parametrize("loss_type", ["negative_sampling", "softmax"])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_loss_and_gradients_match_torch_autograd(kind, loss_type):
    model = make_model(kind, loss_type)
    X, y = make_batch(kind, loss_type)
    loss, grads = model.loss(X, y)
    W_in = torch.tensor(model.params["W_in"], requires_grad=True)
    W_out = torch.tensor(model.params["W_out"], requires_grad=True)
    expected = torch_loss(kind, loss_type, W_in, W_out, X, y)
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(grads["W_in"], W_in.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads["W_out"], W_out.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_sgd_on_a_trained_pair_matches_torch_sgd():
    """Twenty sgd steps on one batch: our Solver-free loop and torch.optim.SGD agree."""
    model = make_model("skipgram")
    X, y = make_batch("skipgram", "negative_sampling")
    W_in = torch.tensor(model.params["W_in"], requires_grad=True)
    W_out = torch.tensor(model.params["W_out"], requires_grad=True)
    optimizer = torch.optim.SGD([W_in, W_out], lr=0.3)
    for _ in range(20):
        _, grads = model.loss(X, y)
        for name in model.params:
            model.params[name] = model.params[name] - 0.3 * grads[name]
        optimizer.zero_grad()
        torch_loss("skipgram", "negative_sampling", W_in, W_out, X, y).backward()
        optimizer.step()
    np.testing.assert_allclose(model.params["W_in"], W_in.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.params["W_out"], W_out.detach().numpy(), rtol=1e-10, atol=1e-12)
