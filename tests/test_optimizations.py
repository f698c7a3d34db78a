"""Update rules: hand-computed steps, defaults, state in config, dtypes, no mutation, errors.

The expected values are written out element by element with plain Python arithmetic, so they do
not share any code (or any vectorised shortcut) with the implementation.
"""
import math
import re

import numpy as np
import pytest

from dlscratch import optimizations as opt

RULES = ["sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]

W0 = [1.0, -2.0, 0.5]
G1 = [0.5, 0.25, -3.0]
G2 = [-1.0, 2.0, 0.125]


def two_steps(rule, config):
    """Run `rule` twice from W0 with gradients G1 then G2, passing the config along."""
    w1, config = rule(np.array(W0), np.array(G1), config)
    w2, config = rule(w1, np.array(G2), config)
    return w1, w2, config


def test_sgd_default_learning_rate():
    w1, w2, config = two_steps(opt.sgd, None)
    assert config["learning_rate"] == 1e-2
    np.testing.assert_allclose(w1, [w - 0.01 * g for w, g in zip(W0, G1)], rtol=1e-14)
    np.testing.assert_allclose(w2, [w - 0.01 * a - 0.01 * b for w, a, b in zip(W0, G1, G2)],
                               rtol=1e-14)


def test_sgd_given_learning_rate():
    w1, _ = opt.sgd(np.array(W0), np.array(G1), {"learning_rate": 0.5})
    np.testing.assert_allclose(w1, [0.75, -2.125, 2.0], rtol=1e-14)


def test_sgd_momentum_defaults_and_velocity():
    w1, w2, config = two_steps(opt.sgd_momentum, None)
    lr, mu = 1e-2, 0.9
    assert config["learning_rate"] == lr and config["momentum"] == mu
    v1 = [-lr * g for g in G1]
    e1 = [w + v for w, v in zip(W0, v1)]
    v2 = [mu * v - lr * g for v, g in zip(v1, G2)]
    e2 = [w + v for w, v in zip(e1, v2)]
    np.testing.assert_allclose(w1, e1, rtol=1e-14)
    np.testing.assert_allclose(w2, e2, rtol=1e-14)
    np.testing.assert_allclose(config["velocity"], v2, rtol=1e-14)
    # with the literal numbers of the first component: v2 = 0.9 * -0.005 + 0.01 = 0.0055
    assert w2[0] == pytest.approx(1.0005, rel=1e-14)


def test_nesterov_two_steps():
    lr, mu = 0.1, 0.5
    w1, w2, config = two_steps(opt.nesterov, {"learning_rate": lr, "momentum": mu})
    v1 = [-lr * g for g in G1]
    e1 = [w + mu * v - lr * g for w, v, g in zip(W0, v1, G1)]
    v2 = [mu * v - lr * g for v, g in zip(v1, G2)]
    e2 = [w + mu * v - lr * g for w, v, g in zip(e1, v2, G2)]
    np.testing.assert_allclose(w1, e1, rtol=1e-14)
    np.testing.assert_allclose(w2, e2, rtol=1e-14)
    # first component by hand: 0.925 after one step, 1.0625 after two
    assert (w1[0], w2[0]) == (pytest.approx(0.925, rel=1e-14), pytest.approx(1.0625, rel=1e-14))


def test_adagrad_defaults_and_cache():
    w1, w2, config = two_steps(opt.adagrad, None)
    lr, eps = 1e-2, 1e-8
    assert config["learning_rate"] == lr and config["epsilon"] == eps
    c1 = [g * g for g in G1]
    e1 = [w - lr * g / (math.sqrt(c) + eps) for w, g, c in zip(W0, G1, c1)]
    c2 = [c + g * g for c, g in zip(c1, G2)]
    e2 = [w - lr * g / (math.sqrt(c) + eps) for w, g, c in zip(e1, G2, c2)]
    np.testing.assert_allclose(w1, e1, rtol=1e-14)
    np.testing.assert_allclose(w2, e2, rtol=1e-14)
    np.testing.assert_allclose(config["cache"], c2, rtol=1e-14)


def test_rmsprop_defaults_and_cache():
    w1, w2, config = two_steps(opt.rmsprop, None)
    lr, rho, eps = 1e-2, 0.99, 1e-8
    assert (config["learning_rate"], config["decay_rate"], config["epsilon"]) == (lr, rho, eps)
    c1 = [(1 - rho) * g * g for g in G1]
    e1 = [w - lr * g / (math.sqrt(c) + eps) for w, g, c in zip(W0, G1, c1)]
    c2 = [rho * c + (1 - rho) * g * g for c, g in zip(c1, G2)]
    e2 = [w - lr * g / (math.sqrt(c) + eps) for w, g, c in zip(e1, G2, c2)]
    np.testing.assert_allclose(w1, e1, rtol=1e-13)
    np.testing.assert_allclose(w2, e2, rtol=1e-13)
    np.testing.assert_allclose(config["cache"], c2, rtol=1e-13)


def _adam_by_hand(lr, b1, b2, eps, decay=0.0):
    """Two Adam(W) steps on W0 with G1, G2; t starts at 1 (incremented before use)."""
    w, m, v, out = list(W0), [0.0] * 3, [0.0] * 3, []
    for t, grad in ((1, G1), (2, G2)):
        m = [b1 * a + (1 - b1) * g for a, g in zip(m, grad)]
        v = [b2 * a + (1 - b2) * g * g for a, g in zip(v, grad)]
        w = [x * (1 - lr * decay) - lr * (a / (1 - b1 ** t)) / (math.sqrt(c / (1 - b2 ** t)) + eps)
             for x, a, c in zip(w, m, v)]
        out.append(w)
    return out, m, v


def test_adam_defaults_bias_correction_and_state():
    w1, w2, config = two_steps(opt.adam, None)
    defaults = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    assert {k: config[k] for k in defaults} == defaults
    (e1, e2), m, v = _adam_by_hand(1e-3, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(w1, e1, rtol=1e-13)
    np.testing.assert_allclose(w2, e2, rtol=1e-13)
    assert config["t"] == 2
    np.testing.assert_allclose(config["m"], m, rtol=1e-13)
    np.testing.assert_allclose(config["v"], v, rtol=1e-13)
    # with t = 1 on the first step the bias-corrected step is lr * g / |g|: every weight moves by
    # (almost exactly) the learning rate, against the sign of its gradient
    np.testing.assert_allclose(np.array(W0) - w1, 1e-3 * np.sign(G1), rtol=1e-6)


def test_adam_given_hyperparameters():
    config = {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.75, "epsilon": 1e-4}
    w1, w2, config = two_steps(opt.adam, config)
    (e1, e2), _, _ = _adam_by_hand(0.1, 0.5, 0.75, 1e-4)
    np.testing.assert_allclose(w1, e1, rtol=1e-13)
    np.testing.assert_allclose(w2, e2, rtol=1e-13)


def test_adamw_decoupled_weight_decay():
    config = {"learning_rate": 0.05, "weight_decay": 0.2}
    w1, w2, config = two_steps(opt.adamw, config)
    (e1, e2), _, _ = _adam_by_hand(0.05, 0.9, 0.999, 1e-8, decay=0.2)
    np.testing.assert_allclose(w1, e1, rtol=1e-13)
    np.testing.assert_allclose(w2, e2, rtol=1e-13)
    assert config["t"] == 2
    # decay is decoupled: with a zero gradient the weights only shrink by (1 - lr * decay)
    w, _ = opt.adamw(np.array(W0), np.zeros(3), {"learning_rate": 0.05, "weight_decay": 0.2})
    np.testing.assert_allclose(w, [x * (1 - 0.01) for x in W0], rtol=1e-14)


def test_adamw_without_decay_is_adam():
    wa, _, _ = two_steps(opt.adam, {"learning_rate": 0.01})
    ww, _, _ = two_steps(opt.adamw, {"learning_rate": 0.01, "weight_decay": 0.0})
    np.testing.assert_allclose(ww, wa, rtol=1e-15)


@pytest.mark.parametrize("name", ["sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam",
                                  "adamw"])
def test_state_is_carried_in_config(name):
    rule = opt.get_update_rule(name)
    w1, w2, config = two_steps(rule, {})
    # the second step must depend on the first through the config, not restart from scratch
    w2_nostate, _ = rule(w1, np.array(G2), {})
    assert not np.allclose(w2, w2_nostate, rtol=1e-12, atol=0)
    # and the state the rule keeps is in the very dict that was passed in and returned
    cfg = {}
    _, returned = rule(np.array(W0), np.array(G1), cfg)
    assert returned is cfg and len(cfg) > 1


@pytest.mark.parametrize("name", RULES)
def test_w_and_dw_are_not_modified(name):
    rule = opt.get_update_rule(name)
    w, dw = np.array(W0), np.array(G1)
    config = {}
    for _ in range(3):
        next_w, config = rule(w, dw, config)
        np.testing.assert_array_equal(w, W0)
        np.testing.assert_array_equal(dw, G1)
        assert next_w is not w
        assert not np.shares_memory(next_w, w)


@pytest.mark.parametrize("lr_type", [float, np.float64, np.float32])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", RULES)
def test_dtype_is_preserved(name, dtype, lr_type):
    rule = opt.get_update_rule(name)
    r = np.random.default_rng(0)
    w = r.standard_normal((4, 3)).astype(dtype)
    config = {"learning_rate": lr_type(0.01)}
    if name in ("sgd_momentum", "nesterov"):
        config["momentum"] = lr_type(0.9)
    for _ in range(3):
        w, config = rule(w, r.standard_normal((4, 3)).astype(dtype), config)
        assert w.dtype == dtype, f"{name}: {w.dtype} after a step on {np.dtype(dtype)}"
        assert np.all(np.isfinite(w))


def test_get_update_rule():
    for name in RULES:
        assert opt.get_update_rule(name) is getattr(opt, name)
    custom = lambda w, dw, config=None: (w, config)  # noqa: E731
    assert opt.get_update_rule(custom) is custom
    with pytest.raises(ValueError) as info:
        opt.get_update_rule("nope")
    msg = str(info.value)
    assert "nope" in msg
    for name in RULES:
        assert name in msg


@pytest.mark.parametrize("name", RULES)
def test_wrong_dw_shape_is_a_value_error(name):
    rule = opt.get_update_rule(name)
    with pytest.raises(ValueError, match="dw"):
        rule(np.zeros((3, 2)), np.zeros((2, 3)), {})


@pytest.mark.parametrize("name", RULES)
def test_mixed_dtypes_are_a_type_error(name):
    rule = opt.get_update_rule(name)
    with pytest.raises(TypeError):
        rule(np.zeros(3, np.float32), np.zeros(3, np.float64), {})


@pytest.mark.parametrize("rule, config, message", [
    (opt.sgd, {"lr": 0.1}, "sgd: unknown setting 'lr' in config (did you mean 'learning_rate'?)"),
    (opt.adam, {"betas": (0.9, 0.99)}, "did you mean 'beta1' and 'beta2'?"),
    (opt.sgd_momentum, {"momentun": 0.9}, "did you mean 'momentum'?"),
    (opt.adam, {"learning_rate": -1e-3}, "adam: learning_rate must be >= 0, got -0.001"),
    (opt.rmsprop, {"decay_rate": 1.5}, "rmsprop: decay_rate must lie in [0, 1), got 1.5"),
    (opt.adagrad, {"epsilon": -1.0}, "adagrad: epsilon must be >= 0"),
    (opt.adamw, {"weight_decay": -0.1}, "adamw: weight_decay must be >= 0"),
    (opt.nesterov, {"momentum": 1.0}, "momentum must lie in [0, 1)"),
])
def test_a_misspelt_or_impossible_setting_is_refused_with_a_hint(rule, config, message):
    w = np.zeros(3)
    with pytest.raises(ValueError, match=re.escape(message)):
        rule(w, np.ones(3), config)


@pytest.mark.parametrize("name", sorted(opt.UPDATE_RULES))
def test_the_state_a_rule_keeps_is_accepted_back(name):
    rule = opt.UPDATE_RULES[name]
    w, config = rule(np.zeros(3), np.ones(3), None)
    rule(w, np.ones(3), config)     # every key it put there is one it accepts
