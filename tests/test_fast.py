"""The fast twins (dlscratch/fast.py) compute exactly what the plain exercise functions compute."""
import multiprocessing
import os

import numpy as np
import pytest

from dlscratch import fast, optimizations, twins
from dlscratch.layers import affine_relu_forward, conv_relu_forward, sandwiches
from dlscratch.models import ConvNet, conv_net, fc_net
from dlscratch.models.fc_net import FullyConnectedNet
from dlscratch.solver import Solver

# sizes with one chunk (below two threads' worth), three equal chunks (300 x 700 over three
# threads) and three uneven ones
SHAPES = [(7,), (3, 5), (fast._MIN_CHUNK * 2 - 1,), (300, 700), (fast._MIN_CHUNK * 3 + 1,)]


def run_steps(rule, w, grads, config):
    """w after applying rule with each gradient in turn; the final config."""
    for dw in grads:
        w, config = rule(w, dw, config)
    return w, config


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("settings", [{}, {"learning_rate": 3e-2, "beta1": 0.5, "beta2": 0.9,
                                           "epsilon": 1e-4}])
def test_adam_twin_is_bit_for_bit_adam(shape, dtype, settings, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")           # up to three threads
    rng = np.random.default_rng(0)
    w = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(5)]
    plain_w, plain_config = run_steps(optimizations.adam, w, grads, dict(settings))
    twin_w, twin_config = run_steps(fast.adam, w, grads, dict(settings))
    assert twin_w.dtype == dtype
    assert np.array_equal(twin_w, plain_w)
    assert np.array_equal(twin_config["m"], plain_config["m"])
    assert np.array_equal(twin_config["v"], plain_config["v"])
    assert twin_config["t"] == plain_config["t"] == 5
    assert not np.array_equal(twin_w, w)                # the test would see a twin that did nothing


def test_adam_twin_leaves_w_and_dw_alone(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")           # the threaded path
    rng = np.random.default_rng(1)
    w, dw = rng.standard_normal((2, fast._MIN_CHUNK)), rng.standard_normal((2, fast._MIN_CHUNK))
    w0, dw0 = w.copy(), dw.copy()
    fast.adam(w, dw, {})
    assert np.array_equal(w, w0) and np.array_equal(dw, dw0)


@pytest.mark.parametrize("case", ["views", "float32 state on float64 weights", "Fortran order",
                                  "dw is the state m"])
def test_adam_twin_hands_unusual_arrays_to_the_plain_rule(case):
    rng = np.random.default_rng(2)
    w, dw = rng.standard_normal((40, 30)), rng.standard_normal((40, 30))
    if case == "views":
        w, dw = w[:, ::2], dw[:, ::2]
    if case == "Fortran order":              # reshape(-1) would copy: the state would be lost
        w, dw = np.asfortranarray(w), np.asfortranarray(dw)

    def config():
        if case == "float32 state on float64 weights":
            return {"m": np.full(w.shape, 0.1, np.float32), "v": np.full(w.shape, 0.2, np.float32)}
        if case == "Fortran order":
            return {"m": np.asfortranarray(np.full(w.shape, 0.1)), "v": np.full(w.shape, 0.2)}
        return {}

    def step(rule):
        settings = config()
        if case == "dw is the state m":       # the rule reads dw after updating m in place
            settings = {"m": np.full(w.shape, 0.1), "v": np.full(w.shape, 0.2)}
            return rule(w, settings["m"], settings)
        return rule(w, dw, settings)
    plain, twin = step(optimizations.adam), step(fast.adam)
    assert np.array_equal(twin[0], plain[0])
    assert np.array_equal(twin[1]["m"], plain[1]["m"]) and twin[1]["m"].dtype == plain[1]["m"].dtype


def test_adam_twin_refuses_what_adam_refuses():
    w = np.zeros(3)
    with pytest.raises(ValueError, match="unknown setting 'lr'"):
        fast.adam(w, w, {"lr": 1e-3})
    with pytest.raises(ValueError, match="dw"):
        fast.adam(w, np.zeros(4), {})
    with pytest.raises(TypeError, match="share one dtype"):
        fast.adam(w, w.astype(np.float32), {})
    with pytest.raises(TypeError, match="numpy array"):
        fast.adam([0.0, 1.0], w[:2], {})


def test_solver_steps_the_package_adam_with_its_twin_and_a_user_rule_as_given():
    model = FullyConnectedNet([4], input_dim=3, num_classes=2, seed=0)
    data = {"X_train": np.zeros((4, 3)), "y_train": np.zeros(4, int),
            "X_val": np.zeros((2, 3)), "y_val": np.zeros(2, int)}
    assert Solver(model, data, update_rule="adam").update_rule is fast.adam
    assert Solver(model, data, update_rule=optimizations.adam).update_rule is fast.adam
    assert Solver(model, data, update_rule="sgd").update_rule is optimizations.sgd

    def my_rule(w, dw, config=None):
        return w - 0.1 * dw, config or {}
    assert Solver(model, data, update_rule=my_rule).update_rule is my_rule

    class UnhashableRule:                   # any callable is a rule, hashable or not
        __hash__ = None

        def __call__(self, w, dw, config=None):
            return w - 0.1 * dw, config or {}
    rule = UnhashableRule()
    assert Solver(model, data, update_rule=rule).update_rule is rule


def test_solver_training_is_the_same_with_and_without_the_twin(monkeypatch):
    """A whole (short) training run, float32: same loss history and weights, bit for bit."""
    monkeypatch.setenv("OMP_NUM_THREADS", "2")           # W1's 153,600 weights in two chunks
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 600)).astype(np.float32)
    data = {"X_train": X[:150], "y_train": rng.integers(0, 10, 150),
            "X_val": X[150:], "y_val": rng.integers(0, 10, 50)}

    def train():
        model = FullyConnectedNet([256], input_dim=600, num_classes=10, seed=0)
        solver = Solver(model, data, update_rule="adam", num_epochs=2, batch_size=50,
                        verbose=False, seed=0)
        solver.train()
        return solver, model.params

    twin_solver, twin_params = train()
    monkeypatch.setattr(twins, "TWINS", {})                 # the Solver looks its rule up anew
    monkeypatch.setattr(fc_net, "first_layer_backward", sandwiches.affine_relu_param_backward)
    plain_solver, plain_params = train()
    assert twin_solver.update_rule is fast.adam and plain_solver.update_rule is optimizations.adam
    assert twin_solver.loss_history == plain_solver.loss_history
    for name in plain_params:
        assert np.array_equal(twin_params[name], plain_params[name]), name


def assert_same_gradients_without_the_twin(model_of, X, y, module, name, plain, monkeypatch):
    """model_of().loss(X, y) with module.name (a twin) and with plain in its place: bit for bit."""
    loss, grads = model_of().loss(X, y)
    monkeypatch.setattr(module, name, plain)
    plain_loss, plain_grads = model_of().loss(X, y)
    assert loss == plain_loss and grads.keys() == plain_grads.keys()
    for key in grads:
        assert np.array_equal(grads[key], plain_grads[key]), key


def assert_param_twin_matches(plain, dout, cache, dtype):
    """The twin of plain (a parameter-only backward) returns the same arrays, bit for bit."""
    twin = twins.twin_of(plain)
    assert twin is not plain and twin.__module__ == "dlscratch.fast"
    for ours, theirs in zip(twin(dout, cache), plain(dout, cache)):
        assert ours.dtype == dtype and ours.shape == theirs.shape and np.array_equal(ours, theirs)
    assert np.abs(plain(dout, cache)[0]).sum() > 0            # some gradient got through the relu


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape", [(16, 30), (16, 2, 3, 5)])
def test_first_layer_twin_gives_the_plain_parameter_gradients(dtype, x_shape):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(x_shape).astype(dtype)
    w, b = rng.standard_normal((30, 20)).astype(dtype), rng.standard_normal(20).astype(dtype)
    out, cache = affine_relu_forward(x, w, b)
    dout = rng.standard_normal(out.shape).astype(dtype)
    assert_param_twin_matches(sandwiches.affine_relu_param_backward, dout, cache, dtype)


# with a normalisation the first layer takes the normalised path, which has no twin: the case
# checks that path is unchanged
@pytest.mark.parametrize("options", [{}, {"dropout_keep_ratio": 0.5}, {"normalization": "layernorm"}])
def test_fully_connected_gradients_are_the_same_with_and_without_the_first_layer_twin(options,
                                                                                      monkeypatch):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((10, 12)), rng.integers(0, 3, 10)

    def model():
        return FullyConnectedNet([8, 6], input_dim=12, num_classes=3, reg=0.1, dtype=np.float64,
                                 seed=0, **options)

    assert fc_net.first_layer_backward is fast.affine_relu_param_backward
    assert_same_gradients_without_the_twin(model, X, y, fc_net, "first_layer_backward",
                                           sandwiches.affine_relu_param_backward, monkeypatch)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("conv_param", [{"stride": 1, "pad": 1}, {"stride": 2, "pad": 0}])
def test_first_conv_twin_gives_the_plain_parameter_gradients(dtype, conv_param):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 9, 9)).astype(dtype)
    w, b = rng.standard_normal((5, 3, 3, 3)).astype(dtype), rng.standard_normal(5).astype(dtype)
    out, cache = conv_relu_forward(x, w, b, conv_param)
    dout = rng.standard_normal(out.shape).astype(dtype)
    assert_param_twin_matches(sandwiches.conv_relu_param_backward, dout, cache, dtype)


# (batchnorm: the normalised block has no twin; the case checks that path is unchanged)
@pytest.mark.parametrize("options", [{"pool": True}, {"pool": [False, True]},
                                     {"normalization": "batchnorm"}])
def test_conv_net_gradients_are_the_same_with_and_without_the_first_conv_twin(options,
                                                                              monkeypatch):
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((6, 2, 8, 8)), rng.integers(0, 3, 6)

    def model():
        return ConvNet(input_dim=(2, 8, 8), num_filters=(3, 4), hidden_dims=(5,), num_classes=3,
                       reg=0.1, dtype=np.float64, seed=0, **options)

    assert conv_net.first_conv_backward is fast.conv_relu_param_backward
    assert_same_gradients_without_the_twin(model, X, y, conv_net, "first_conv_backward",
                                           sandwiches.conv_relu_param_backward, monkeypatch)


def test_a_conv_block_still_returns_the_input_gradient_when_asked():
    """Notebook 04's saliency maps run the blocks' backward themselves to get d scores / d X."""
    rng = np.random.default_rng(8)
    model = ConvNet(input_dim=(2, 8, 8), num_filters=(3,), hidden_dims=(), num_classes=3,
                    dtype=np.float64, seed=0)
    X = rng.standard_normal((2, 2, 8, 8))
    out, cache = model._conv_block_forward(X, 1, "test")
    dout = rng.standard_normal(out.shape)
    dx = model._conv_block_backward(dout, cache, 1, {})
    assert dx.shape == X.shape and np.abs(dx).sum() > 0
    assert model._conv_block_backward(dout, cache, 1, {}, need_dx=False) is None


def _step_in_child(queue):
    w = np.ones(fast._MIN_CHUNK * 4)
    queue.put(float(fast.adam(w, w, {})[0][0]))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_adam_twin_works_in_a_forked_child_after_the_parent_used_its_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    w = np.ones(fast._MIN_CHUNK * 4)
    fast.adam(w, w, {})                                  # the parent's pool now has threads
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_step_in_child, args=(queue,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0, "the child hung or failed"
    assert queue.get(timeout=5) == pytest.approx(1 - 1e-3)
