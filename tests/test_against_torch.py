"""Every layer and update rule against PyTorch's autograd and torch.optim (the reference)."""
import numpy as np
import pytest

from torch_reference import (F, assert_close, close, n, needs_torch, t, torch,  # noqa: F401
                             torch_grads)

pytestmark = needs_torch

from dlscratch import layers as L  # noqa: E402
from dlscratch import optimizations as opt  # noqa: E402
from dlscratch.gradient_check import rel_error  # noqa: E402



# ------------------------------------------------------------------------------------------------
# Layers
# ------------------------------------------------------------------------------------------------

def test_affine_multidimensional(rng):
    x, w, b = rng.standard_normal((4, 3, 2, 5)), rng.standard_normal((30, 6)), rng.standard_normal(6)
    out, cache = L.affine_forward(x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = L.affine_backward(dout, cache)
    tx, tw, tb = t(x), t(w), t(b)
    tout = tx.reshape(4, -1) @ tw + tb
    gx, gw, gb = torch_grads(tout, dout, tx, tw, tb)
    assert close(out, n(tout))
    assert close(dx, gx) and close(dw, gw) and close(db, gb)


@pytest.mark.parametrize("ours, theirs", [
    ((L.relu_forward, L.relu_backward), "relu"),
    ((L.sigmoid_forward, L.sigmoid_backward), "sigmoid"),
    ((L.tanh_forward, L.tanh_backward), "tanh"),
], ids=["relu", "sigmoid", "tanh"])
def test_elementwise(ours, theirs, rng):
    theirs = getattr(torch, theirs)
    x = rng.standard_normal((5, 4, 3)) * 4
    x += np.where(x >= 0, 0.05, -0.05)  # no entry near the ReLU kink
    out, cache = ours[0](x)
    dout = rng.standard_normal(out.shape)
    dx = ours[1](dout, cache)
    tx = t(x)
    tout = theirs(tx)
    (gx,) = torch_grads(tout, dout, tx)
    assert close(out, n(tout))
    assert close(dx, gx)


def test_sigmoid_extreme_values_match_torch():
    x = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])
    out, _ = L.sigmoid_forward(x)
    np.testing.assert_allclose(out, n(torch.sigmoid(t(x, False))), rtol=1e-12, atol=1e-300)


def test_softmax_loss_vs_cross_entropy(rng):
    x, y = rng.standard_normal((8, 6)) * 3, rng.integers(6, size=8)
    loss, dx = L.softmax_loss(x, y)
    tx = t(x)
    tloss = F.cross_entropy(tx, torch.tensor(y))
    (gx,) = torch_grads(tloss, None, tx)
    assert close(loss, tloss.item())
    assert close(dx, gx)


def test_svm_loss_vs_torch_hinge(rng):
    N, C = 8, 6
    x, y = rng.standard_normal((N, C)) * 2, rng.integers(C, size=N)
    margins = x - x[np.arange(N), y][:, None] + 1
    margins[np.arange(N), y] = 1
    assert np.abs(margins).min() > 1e-3  # no margin sits on the hinge
    loss, dx = L.svm_loss(x, y)
    tx, ty = t(x), torch.tensor(y)
    correct = tx.gather(1, ty[:, None])
    not_y = torch.ones(N, C, dtype=torch.bool)
    not_y[torch.arange(N), ty] = False
    tloss = (torch.clamp(tx - correct + 1, min=0) * not_y).sum() / N
    (gx,) = torch_grads(tloss, None, tx)
    assert close(loss, tloss.item())
    assert close(dx, gx)


@pytest.mark.parametrize("backward", [L.batchnorm_backward, L.batchnorm_backward_alt])
def test_batchnorm_train_vs_torch(rng, backward):
    N, D = 10, 4
    x = rng.standard_normal((N, D)) * 3 + 1
    gamma, beta = rng.standard_normal(D) + 1.5, rng.standard_normal(D)
    rm0, rv0 = rng.standard_normal(D), rng.random(D) + 0.5
    bn = {"mode": "train", "momentum": 0.8, "eps": 1e-5,
          "running_mean": rm0.copy(), "running_var": rv0.copy()}
    out, cache = L.batchnorm_forward(x, gamma, beta, bn)
    dout = rng.standard_normal(out.shape)
    dx, dgamma, dbeta = backward(dout, cache)

    tx, tg, tb = t(x), t(gamma), t(beta)
    trm, trv = torch.tensor(rm0), torch.tensor(rv0)
    # torch's momentum is the weight of the NEW batch: ours 0.8 is torch's 0.2
    tout = F.batch_norm(tx, trm, trv, tg, tb, training=True, momentum=0.2, eps=1e-5)
    gx, gg, gb = torch_grads(tout, dout, tx, tg, tb)
    assert close(out, n(tout))
    assert close(dx, gx)
    assert close(dgamma, gg)
    assert close(dbeta, gb)
    assert close(bn["running_mean"], n(trm))
    # torch keeps the UNBIASED batch variance; the contract says ours is the biased one
    biased = n(t(x, False).var(dim=0, unbiased=False))
    assert close(bn["running_var"], 0.8 * rv0 + 0.2 * biased)
    assert rel_error(bn["running_var"], n(trv)) > 1e-3  # so it really is not torch's value


@pytest.mark.parametrize("backward", [L.batchnorm_backward, L.batchnorm_backward_alt])
def test_batchnorm_test_mode_vs_torch(rng, backward):
    N, D = 6, 3
    x, gamma, beta = rng.standard_normal((N, D)), rng.standard_normal(D), rng.standard_normal(D)
    rm, rv = rng.standard_normal(D), rng.random(D) + 0.5
    bn = {"mode": "test", "running_mean": rm.copy(), "running_var": rv.copy()}
    out, cache = L.batchnorm_forward(x, gamma, beta, bn)
    dout = rng.standard_normal(out.shape)
    dx, dgamma, dbeta = backward(dout, cache)
    tx, tg, tb = t(x), t(gamma), t(beta)
    tout = F.batch_norm(tx, torch.tensor(rm), torch.tensor(rv), tg, tb, training=False, eps=1e-5)
    gx, gg, gb = torch_grads(tout, dout, tx, tg, tb)
    for ours, theirs in ((out, n(tout)), (dx, gx), (dgamma, gg), (dbeta, gb)):
        assert close(ours, theirs)


def test_layernorm_vs_torch(rng):
    N, D = 5, 7
    x = rng.standard_normal((N, D)) * 2 - 1
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    out, cache = L.layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    dout = rng.standard_normal(out.shape)
    dx, dgamma, dbeta = L.layernorm_backward(dout, cache)
    tx, tg, tb = t(x), t(gamma), t(beta)
    tout = F.layer_norm(tx, (D,), tg, tb, eps=1e-5)
    gx, gg, gb = torch_grads(tout, dout, tx, tg, tb)
    for ours, theirs in ((out, n(tout)), (dx, gx), (dgamma, gg), (dbeta, gb)):
        assert close(ours, theirs)


def test_dropout_backward_is_mask_over_p(rng):
    p = 0.35
    x = rng.standard_normal((30, 20)) + np.where(rng.random((30, 20)) < 0.5, 3.0, -3.0)  # nonzero
    out, cache = L.dropout_forward(x, {"p": p, "mode": "train", "seed": 5})
    kept = (out != 0).astype(np.float64)
    assert 0 < kept.mean() < 1
    dout = rng.standard_normal(out.shape)
    dx = L.dropout_backward(dout, cache)
    # torch's dropout draws its own mask, so the torch reference applies the mask we drew
    tx = t(x)
    tout = tx * torch.tensor(kept) / p
    (gx,) = torch_grads(tout, dout, tx)
    assert close(out, n(tout))
    assert close(dx, gx)
    assert close(dx, dout * kept / p)


def test_affine_norm_relu_vs_torch(rng):
    x, w, b = rng.standard_normal((6, 2, 2)), rng.standard_normal((4, 5)), rng.standard_normal(5)
    g, beta = rng.standard_normal(5) * 0.3 + 1, rng.standard_normal(5) * 0.3
    out, cache = L.affine_norm_relu_forward(x, w, b, g, beta, {}, "layernorm")
    dout = rng.standard_normal(out.shape)
    grads = L.affine_norm_relu_backward(dout, cache)
    leaves = [t(a) for a in (x, w, b, g, beta)]
    tx, tw, tb, tg, tbeta = leaves
    tout = torch.relu(F.layer_norm(tx.reshape(6, -1) @ tw + tb, (5,), tg, tbeta, eps=1e-5))
    tgrads = torch_grads(tout, dout, *leaves)
    assert close(out, n(tout))
    for ours, theirs in zip(grads, tgrads):
        assert_close(ours, theirs)


# ------------------------------------------------------------------------------------------------
# Update rules: 20 steps with the same gradient sequence
# ------------------------------------------------------------------------------------------------

STEPS = 20

# (our rule, our config, torch optimizer class, torch kwargs)
OPTIMIZERS = {
    "sgd": (opt.sgd, {"learning_rate": 0.1}, "SGD", {"lr": 0.1}),
    "sgd_momentum": (opt.sgd_momentum, {"learning_rate": 0.05, "momentum": 0.8},
                     "SGD", {"lr": 0.05, "momentum": 0.8}),
    "nesterov": (opt.nesterov, {"learning_rate": 0.05, "momentum": 0.8},
                 "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    "adagrad": (opt.adagrad, {"learning_rate": 0.1, "epsilon": 1e-8},
                "Adagrad", {"lr": 0.1, "eps": 1e-8, "initial_accumulator_value": 0.0}),
    "rmsprop": (opt.rmsprop, {"learning_rate": 0.01, "decay_rate": 0.95, "epsilon": 1e-8},
                "RMSprop", {"lr": 0.01, "alpha": 0.95, "eps": 1e-8}),
    "adam": (opt.adam, {"learning_rate": 0.02, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-8},
             "Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-8}),
    "adamw": (opt.adamw, {"learning_rate": 0.02, "weight_decay": 0.1},
              "AdamW", {"lr": 0.02, "weight_decay": 0.1}),
    # defaults on our side against torch's defaults where they coincide
    "adam_defaults": (opt.adam, None, "Adam", {}),
    "rmsprop_defaults": (opt.rmsprop, None, "RMSprop", {"lr": 1e-2}),
}


def run_both(name, dtype):
    rule, config, torch_name, kwargs = OPTIMIZERS[name]
    config = None if config is None else dict(config)
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((5, 4)).astype(dtype)
    grads = [rng.standard_normal((5, 4)).astype(dtype) for _ in range(STEPS)]

    w = w0.copy()
    for g in grads:
        w, config = rule(w, g, config)

    param = torch.nn.Parameter(torch.tensor(w0.copy()))
    optimizer = getattr(torch.optim, torch_name)([param], **kwargs)
    for g in grads:
        optimizer.zero_grad()
        param.grad = torch.tensor(g.copy())
        optimizer.step()
    return w0, w, n(param)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_rule_vs_torch_float64(name):
    w0, ours, theirs = run_both(name, np.float64)
    assert ours.dtype == np.float64
    assert rel_error(ours, w0) > 1e-3  # the weights really moved
    assert_close(ours, theirs)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_rule_vs_torch_float32(name):
    w0, ours, theirs = run_both(name, np.float32)
    assert ours.dtype == np.float32
    # float32 rounding (eps 6e-8) over 20 steps on O(1) weights: a few 1e-7 absolutely; an
    # element-wise relative bound would be dominated by whichever weight happens to pass near 0
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=5e-6)
