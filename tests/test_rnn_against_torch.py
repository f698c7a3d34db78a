"""The recurrent layers against PyTorch: nn.LSTM and nn.GRU with copied weights, and autograd."""
import numpy as np
import pytest

from torch_reference import F, close, n, needs_torch, t, torch

pytestmark = needs_torch

from dlscratch import layers as L  # noqa: E402
from dlscratch.gradient_check import rel_error  # noqa: E402

N, T, D, H = 3, 5, 4, 6


def blocks(a, order, axis=-1):
    """The H-wide gate blocks of a along axis, rearranged: blocks(a, [1, 0]) swaps two blocks."""
    return np.concatenate([np.take(a, range(k * H, (k + 1) * H), axis=axis) for k in order],
                          axis=axis)


def inputs(rng, gates):
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)),
            0.5 * rng.standard_normal((D, gates * H)), 0.5 * rng.standard_normal((H, gates * H)),
            0.5 * rng.standard_normal(gates * H))


def assert_all_close(ours, theirs, names):
    for name, a, b in zip(names, ours, theirs):
        assert a.shape == b.shape, name
        assert close(a, b), f"{name}: relative error {rel_error(a, b):.1e}"


GRAD_NAMES = ("dx", "dh0", "dWx", "dWh", "db")


def test_rnn_against_a_torch_loop(rng):
    x, h0, Wx, Wh, b = inputs(rng, 1)
    h, cache = L.rnn_forward(x, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    grads = L.rnn_backward(dh, cache)

    leaves = [t(a) for a in (x, h0, Wx, Wh, b)]
    tx, th0, tWx, tWh, tb = leaves
    states, prev = [], th0
    for step in range(T):
        prev = torch.tanh(tx[:, step] @ tWx + prev @ tWh + tb)
        states.append(prev)
    th = torch.stack(states, dim=1)
    th.backward(torch.tensor(dh))
    assert close(h, n(th))
    assert_all_close(grads, [n(leaf.grad) for leaf in leaves], GRAD_NAMES)


# torch.nn.LSTM keeps its gate blocks in the order i, f, g, o; ours are i, f, o, g
LSTM_TORCH_FROM_OURS = [0, 1, 3, 2]   # the same permutation both ways: it swaps the last two


@pytest.mark.parametrize("with_c0", [False, True], ids=["zero_c0", "c0"])
def test_lstm_against_torch_nn_lstm(rng, with_c0):
    x, h0, Wx, Wh, b = inputs(rng, 4)
    c0 = rng.standard_normal((N, H)) if with_c0 else np.zeros((N, H))
    h, cache = L.lstm_forward(x, h0, Wx, Wh, b, c0=c0)
    dh = rng.standard_normal(h.shape)
    grads = L.lstm_backward(dh, cache)

    lstm = torch.nn.LSTM(D, H, batch_first=True).double()
    # torch has two biases that are simply added: split ours into a random part and the rest
    bias_hh = rng.standard_normal(4 * H)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(blocks(Wx, LSTM_TORCH_FROM_OURS).T))
        lstm.weight_hh_l0.copy_(torch.tensor(blocks(Wh, LSTM_TORCH_FROM_OURS).T))
        lstm.bias_ih_l0.copy_(torch.tensor(blocks(b, LSTM_TORCH_FROM_OURS) - bias_hh))
        lstm.bias_hh_l0.copy_(torch.tensor(bias_hh))
    tx, th0, tc0 = t(x), t(h0[None]), t(c0[None], grad=False)
    th, (_, tc_last) = lstm(tx, (th0, tc0))
    th.backward(torch.tensor(dh))

    assert close(h, n(th))
    assert close(cache.c[-1], n(tc_last[0]))
    torch_grads = [n(tx.grad), n(th0.grad[0]),
                   blocks(n(lstm.weight_ih_l0.grad).T, LSTM_TORCH_FROM_OURS),
                   blocks(n(lstm.weight_hh_l0.grad).T, LSTM_TORCH_FROM_OURS),
                   blocks(n(lstm.bias_ih_l0.grad), LSTM_TORCH_FROM_OURS)]
    assert_all_close(grads, torch_grads, GRAD_NAMES)
    assert np.allclose(n(lstm.bias_hh_l0.grad), n(lstm.bias_ih_l0.grad))   # the sum's two halves


def test_lstm_step_against_torch_lstm_cell(rng):
    x, h0, Wx, Wh, b = inputs(rng, 4)
    x, c0 = x[:, 0], rng.standard_normal((N, H))
    next_h, next_c, cache = L.lstm_step_forward(x, h0, c0, Wx, Wh, b)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dx, dprev_h, dprev_c, dWx, dWh, db = L.lstm_step_backward(dnext_h, dnext_c, cache)

    cell = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(blocks(Wx, LSTM_TORCH_FROM_OURS).T))
        cell.weight_hh.copy_(torch.tensor(blocks(Wh, LSTM_TORCH_FROM_OURS).T))
        cell.bias_ih.copy_(torch.tensor(blocks(b, LSTM_TORCH_FROM_OURS)))
        cell.bias_hh.zero_()
    tx, th, tc = t(x), t(h0), t(c0)
    out_h, out_c = cell(tx, (th, tc))
    (out_h * torch.tensor(dnext_h) + out_c * torch.tensor(dnext_c)).sum().backward()
    assert close(next_h, n(out_h)) and close(next_c, n(out_c))
    assert_all_close([dx, dprev_h, dprev_c, dWx, dWh, db],
                     [n(tx.grad), n(th.grad), n(tc.grad),
                      blocks(n(cell.weight_ih.grad).T, LSTM_TORCH_FROM_OURS),
                      blocks(n(cell.weight_hh.grad).T, LSTM_TORCH_FROM_OURS),
                      blocks(n(cell.bias_ih.grad), LSTM_TORCH_FROM_OURS)],
                     ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"))


def gru_torch_loop(tx, th0, tWx, tWh, tb):
    """Our GRU, written with torch ops: n = tanh(x Wx_n + (rng ⊙ prev_h) Wh_n + b_n)."""
    states, prev = [], th0
    for step in range(T):
        a_x = tx[:, step] @ tWx + tb
        rz = torch.sigmoid(a_x[:, :2 * H] + prev @ tWh[:, :2 * H])
        rng, z = rz[:, :H], rz[:, H:]
        new = torch.tanh(a_x[:, 2 * H:] + (rng * prev) @ tWh[:, 2 * H:])
        prev = (1 - z) * new + z * prev
        states.append(prev)
    return torch.stack(states, dim=1)


def test_gru_against_a_torch_loop(rng):
    x, h0, Wx, Wh, b = inputs(rng, 3)
    h, cache = L.gru_forward(x, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    grads = L.gru_backward(dh, cache)
    leaves = [t(a) for a in (x, h0, Wx, Wh, b)]
    th = gru_torch_loop(*leaves)
    th.backward(torch.tensor(dh))
    assert close(h, n(th))
    assert_all_close(grads, [n(leaf.grad) for leaf in leaves], GRAD_NAMES)


def test_gru_against_torch_nn_gru(rng):
    # torch.nn.GRU applies rng after the product, n = tanh(W_in x + b_in + rng ⊙ (W_hn h + b_hn)),
    # where ours applies it before, (rng ⊙ h) Wh_n. The two agree when b_hn = 0 and Wh_n is
    # diagonal (then both are rng ⊙ h ⊙ diag(Wh_n)), which lets us check the gate order rng, z, n,
    # the two biases and the rest of the cell against torch's own GRU.
    x, h0, Wx, Wh, b = inputs(rng, 3)
    Wh[:, 2 * H:] = np.diag(rng.standard_normal(H))
    h, cache = L.gru_forward(x, h0, Wx, Wh, b)
    dh = rng.standard_normal(h.shape)
    dx, dh0, dWx, dWh, db = L.gru_backward(dh, cache)

    gru = torch.nn.GRU(D, H, batch_first=True).double()
    bias_hh = np.concatenate([rng.standard_normal(2 * H), np.zeros(H)])    # b_hn = 0
    with torch.no_grad():
        gru.weight_ih_l0.copy_(torch.tensor(Wx.T))                   # same gate order rng, z, n
        gru.weight_hh_l0.copy_(torch.tensor(Wh.T))
        gru.bias_ih_l0.copy_(torch.tensor(b - bias_hh))
        gru.bias_hh_l0.copy_(torch.tensor(bias_hh))
    tx, th0 = t(x), t(h0[None])
    th, _ = gru(tx, th0)
    th.backward(torch.tensor(dh))

    assert close(h, n(th))
    diagonal = np.eye(H, dtype=bool)
    assert_all_close([dx, dh0, dWx, dWh[:, :2 * H], dWh[:, 2 * H:][diagonal], db],
                     [n(tx.grad), n(th0.grad[0]), n(gru.weight_ih_l0.grad).T,
                      n(gru.weight_hh_l0.grad).T[:, :2 * H],
                      n(gru.weight_hh_l0.grad).T[:, 2 * H:][diagonal], n(gru.bias_ih_l0.grad)],
                     ("dx", "dh0", "dWx", "dWh_rz", "dWh_n diagonal", "db"))


def test_gru_differs_from_torch_when_reset_comes_after_the_product(rng):
    # the documented difference is real: with a full Wh_n the two cells disagree
    x, h0, Wx, Wh, b = inputs(rng, 3)
    h, _ = L.gru_forward(x, h0, Wx, Wh, b)
    gru = torch.nn.GRU(D, H, batch_first=True).double()
    with torch.no_grad():
        gru.weight_ih_l0.copy_(torch.tensor(Wx.T))
        gru.weight_hh_l0.copy_(torch.tensor(Wh.T))
        gru.bias_ih_l0.copy_(torch.tensor(b))
        gru.bias_hh_l0.zero_()
    th, _ = gru(t(x, grad=False), t(h0[None], grad=False))
    assert rel_error(h, n(th)) > 1e-3


def test_gru_step_against_a_torch_step(rng):
    x, h0, Wx, Wh, b = inputs(rng, 3)
    x = x[:, 0]
    next_h, cache = L.gru_step_forward(x, h0, Wx, Wh, b)
    dnext_h = rng.standard_normal((N, H))
    grads = L.gru_step_backward(dnext_h, cache)
    leaves = [t(a) for a in (x, h0, Wx, Wh, b)]
    th = gru_torch_loop(leaves[0][:, None].expand(N, T, D), *leaves[1:])[:, 0]
    th.backward(torch.tensor(dnext_h))
    assert close(next_h, n(th))
    assert_all_close(grads, [n(leaf.grad) for leaf in leaves],
                     ("dx", "dprev_h", "dWx", "dWh", "db"))


def test_word_embedding_against_torch(rng):
    ids = rng.integers(7, size=(N, T))
    W = rng.standard_normal((7, D))
    out, cache = L.word_embedding_forward(ids, W)
    dout = rng.standard_normal(out.shape)
    dW = L.word_embedding_backward(dout, cache)
    tW = t(W)
    tout = F.embedding(torch.tensor(ids), tW)
    tout.backward(torch.tensor(dout))
    assert close(out, n(tout)) and close(dW, n(tW.grad))


def test_temporal_affine_against_torch(rng):
    x, w, b = rng.standard_normal((N, T, D)), rng.standard_normal((D, 7)), rng.standard_normal(7)
    out, cache = L.temporal_affine_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    grads = L.temporal_affine_backward(dout, cache)
    leaves = [t(a) for a in (x, w, b)]
    tout = leaves[0] @ leaves[1] + leaves[2]
    tout.backward(torch.tensor(dout))
    assert close(out, n(tout))
    assert_all_close(grads, [n(leaf.grad) for leaf in leaves], ("dx", "dw", "db"))


def test_temporal_softmax_loss_against_torch(rng):
    x, y = rng.standard_normal((N, T, 7)), rng.integers(7, size=(N, T))
    mask = rng.random((N, T)) > 0.3
    loss, dx = L.temporal_softmax_loss(x, y, mask)
    tx = t(x)
    per_step = F.cross_entropy(tx.reshape(-1, 7), torch.tensor(y.ravel()), reduction="none")
    tloss = (per_step * torch.tensor(mask.ravel(), dtype=torch.float64)).sum() / N
    tloss.backward()
    assert abs(loss - tloss.item()) < 1e-10
    assert close(dx, n(tx.grad))
