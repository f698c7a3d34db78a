"""ThreeLayerConvNet and ConvNet: gradients of every configuration, shapes, reg, dtype, fit."""
import numpy as np
import pytest

from dlscratch.gradient_check import check_model_gradients
from dlscratch.models import ConvNet, ThreeLayerConvNet
from dlscratch.solver import Solver

INPUT = (2, 8, 8)
NUM_CLASSES = 5


def batch(n=4, seed=0, input_dim=INPUT):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *input_dim)), rng.integers(NUM_CLASSES, size=n)


def jitter_biases(model, seed=0):
    """Give the zero-initialised biases small random values, keeping ReLU inputs off its kink."""
    rng = np.random.default_rng(seed)
    for name, p in model.params.items():
        if name.startswith("b"):
            p += 0.1 * rng.standard_normal(p.shape)


def assert_gradients_ok(model, X, y, tol=1e-6):
    errors = check_model_gradients(model, X, y, verbose=False)
    assert set(errors) == set(model.params)
    if getattr(model, "normalization", None) == "batchnorm":
        # batchnorm subtracts the per-channel mean, cancelling the conv biases: their gradients are
        # zero and a relative error of two numbers near zero means nothing. Check they are ~0.
        _, grads = model.loss(X, y)
        before_a_norm = [f"b{i}{part}" for i in range(1, model.num_conv + 1)
                         for part in ("", "_2") if f"b{i}{part}" in grads]
        for name in before_a_norm:
            assert np.abs(grads[name]).max() < 1e-12
            del errors[name]
    worst = max(errors, key=errors.get)
    assert errors[worst] < tol, f"{worst}: relative error {errors[worst]:.2e}"


# ------------------------------------------------------------------------------------------------
# ThreeLayerConvNet
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reg", [0.0, 0.5])
@pytest.mark.parametrize("filter_size", [3, 5])
def test_three_layer_gradients(reg, filter_size):
    model = ThreeLayerConvNet(input_dim=INPUT, num_filters=3, filter_size=filter_size, hidden_dim=7,
                              num_classes=NUM_CLASSES, weight_scale=0.3, reg=reg,
                              dtype=np.float64, seed=0)
    jitter_biases(model)
    assert_gradients_ok(model, *batch())


def test_three_layer_parameter_shapes_with_odd_image_size():
    model = ThreeLayerConvNet(input_dim=(3, 9, 7), num_filters=4, filter_size=5, hidden_dim=6,
                              num_classes=NUM_CLASSES)
    shapes = {name: p.shape for name, p in model.params.items()}
    assert shapes == {"W1": (4, 3, 5, 5), "b1": (4,), "W2": (4 * 4 * 3, 6), "b2": (6,),
                      "W3": (6, NUM_CLASSES), "b3": (NUM_CLASSES,)}
    assert model.loss(np.zeros((2, 3, 9, 7))).shape == (2, NUM_CLASSES)


def test_three_layer_defaults_follow_cs231n():
    model = ThreeLayerConvNet(seed=0)
    assert model.params["W1"].shape == (32, 3, 7, 7)
    assert model.params["W2"].shape == (32 * 16 * 16, 100)
    assert model.params["W3"].shape == (100, 10)
    assert model.dtype == np.float32 and all(p.dtype == np.float32 for p in model.params.values())
    assert abs(float(model.params["W1"].std()) - 1e-3) < 1e-4
    X = np.random.default_rng(0).standard_normal((10, 3, 32, 32))
    loss, _ = model.loss(X, np.arange(10))
    assert loss == pytest.approx(np.log(10), rel=1e-3)


# ------------------------------------------------------------------------------------------------
# ConvNet
# ------------------------------------------------------------------------------------------------

CONFIGS = {
    "plain": dict(num_filters=(3, 4), filter_size=3, pool=True, hidden_dims=(6,)),
    "mixed_sizes_one_pool": dict(num_filters=(4, 3), filter_size=[5, 3], pool=[True, False],
                                 hidden_dims=()),
    "no_pool_two_hidden": dict(num_filters=(3,), filter_size=1, pool=False, hidden_dims=(5, 4)),
    "batchnorm": dict(num_filters=(4, 4), filter_size=3, pool=[False, True], hidden_dims=(6,),
                      normalization="batchnorm"),
    "groupnorm": dict(num_filters=(4, 6), filter_size=3, pool=True, hidden_dims=(6,),
                      normalization="groupnorm", num_groups=2),
    "three_blocks": dict(num_filters=(2, 3, 4), filter_size=3, pool=True, hidden_dims=(5,)),
    "residual_identity_and_projection": dict(num_filters=(2, 4, 4), filter_size=3,
                                             pool=[False, True, False], hidden_dims=(5,),
                                             normalization="batchnorm", residual=True),
    "residual_groupnorm": dict(num_filters=(4, 4), filter_size=3, pool=[True, False],
                               hidden_dims=(), normalization="groupnorm", num_groups=2,
                               residual=True),
}


@pytest.mark.parametrize("reg", [0.0, 0.7])
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_convnet_gradients_of_every_configuration(config, reg):
    model = ConvNet(input_dim=INPUT, num_classes=NUM_CLASSES, reg=reg, dtype=np.float64, seed=1,
                    **CONFIGS[config])
    jitter_biases(model)
    X, y = batch(n=4 if model.normalization is None else 6)
    assert_gradients_ok(model, X, y)


def test_convnet_parameter_names_and_shapes():
    model = ConvNet(input_dim=(3, 9, 9), num_filters=(4, 8), filter_size=[5, 3], pool=[True, True],
                    hidden_dims=(10,), num_classes=NUM_CLASSES, normalization="batchnorm")
    shapes = {name: p.shape for name, p in model.params.items()}
    assert shapes == {"W1": (4, 3, 5, 5), "b1": (4,), "gamma1": (4,), "beta1": (4,),
                      "W2": (8, 4, 3, 3), "b2": (8,), "gamma2": (8,), "beta2": (8,),
                      "W3": (8 * 2 * 2, 10), "b3": (10,),
                      "W4": (10, NUM_CLASSES), "b4": (NUM_CLASSES,)}
    assert np.all(model.params["gamma2"] == 1) and np.all(model.params["beta1"] == 0)
    scores = model.loss(np.zeros((3, 3, 9, 9)))
    assert scores.shape == (3, NUM_CLASSES)


def test_residual_convnet_parameter_names_and_shapes():
    model = ConvNet(input_dim=(3, 8, 8), num_filters=(4, 4), filter_size=3, pool=[True, False],
                    hidden_dims=(), num_classes=NUM_CLASSES, normalization="batchnorm",
                    residual=True)
    shapes = {name: p.shape for name, p in model.params.items()}
    block = lambda i, C, F: {f"W{i}": (F, C, 3, 3), f"b{i}": (F,), f"gamma{i}": (F,),
                             f"beta{i}": (F,), f"W{i}_2": (F, F, 3, 3), f"b{i}_2": (F,),
                             f"gamma{i}_2": (F,), f"beta{i}_2": (F,)}
    # block 1 changes 3 channels to 4: a 1x1 projection shortcut; block 2 keeps 4: the identity
    assert shapes == {**block(1, 3, 4), "W1_skip": (4, 3, 1, 1), "b1_skip": (4,), **block(2, 4, 4),
                      "W3": (4 * 4 * 4, NUM_CLASSES), "b3": (NUM_CLASSES,)}
    assert model.loss(np.zeros((2, 3, 8, 8))).shape == (2, NUM_CLASSES)


def test_a_residual_block_whose_second_branch_is_zero_passes_relu_of_its_input():
    """With W_2 = b_2 = beta_2 = 0 the branch's normalised output is 0: the block is relu(skip(x)),
    the identity for the non-negative features a block receives."""
    model = ConvNet(input_dim=(4, 6, 6), num_filters=(4, 4), filter_size=3, pool=False,
                    hidden_dims=(), num_classes=NUM_CLASSES, normalization="groupnorm",
                    num_groups=2, residual=True, dtype=np.float64, seed=0)
    for name in ("W2_2", "b2_2", "beta2_2"):
        model.params[name][...] = 0
    x = np.abs(np.random.default_rng(0).standard_normal((3, 4, 6, 6)))
    out, _ = model._conv_block_forward(x, 2, "test")
    np.testing.assert_allclose(out, x, atol=1e-12)


def test_a_residual_convnet_needs_a_normalization():
    with pytest.raises(ValueError, match="residual=True needs normalization"):
        ConvNet(input_dim=INPUT, num_filters=(4,), residual=True)


def test_convnet_he_initialisation_and_initial_loss():
    model = ConvNet(input_dim=(3, 16, 16), num_filters=(32, 16), filter_size=3, hidden_dims=(64,),
                    weight_scale="he", seed=0)
    assert float(model.params["W1"].std()) == pytest.approx(np.sqrt(2 / 27), rel=0.1)
    assert float(model.params["W2"].std()) == pytest.approx(np.sqrt(2 / (32 * 9)), rel=0.1)
    small = ConvNet(input_dim=(3, 16, 16), num_filters=(8,), weight_scale=1e-3, seed=0)
    X = np.random.default_rng(0).standard_normal((20, 3, 16, 16))
    loss, _ = small.loss(X, np.arange(20) % 10)
    assert loss == pytest.approx(np.log(10), rel=1e-3)


def test_regularisation_adds_half_reg_times_squared_weights():
    X, y = batch(seed=3)
    kwargs = dict(input_dim=INPUT, num_filters=(3,), hidden_dims=(4,), num_classes=NUM_CLASSES,
                  normalization="groupnorm", num_groups=3, dtype=np.float64, seed=2)
    plain, regularised = ConvNet(reg=0.0, **kwargs), ConvNet(reg=0.25, **kwargs)
    loss0, grads0 = plain.loss(X, y)
    loss1, grads1 = regularised.loss(X, y)
    weights = [name for name in plain.params if name.startswith("W")]
    assert weights == ["W1", "W2", "W3"]
    penalty = 0.5 * 0.25 * sum(float(np.sum(plain.params[w] ** 2)) for w in weights)
    assert loss1 == pytest.approx(loss0 + penalty, rel=1e-12)
    for name in plain.params:
        extra = 0.25 * plain.params[name] if name.startswith("W") else 0
        np.testing.assert_allclose(grads1[name], grads0[name] + extra, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "groupnorm"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_everywhere(normalization, dtype):
    model = ConvNet(input_dim=INPUT, num_filters=(4,), hidden_dims=(5,), num_classes=NUM_CLASSES,
                    normalization=normalization, num_groups=2, dtype=dtype, seed=0)
    X, y = batch()
    assert all(p.dtype == dtype for p in model.params.values())
    loss, grads = model.loss(X, y)          # float64 input is cast to the model's dtype
    assert all(g.dtype == dtype for g in grads.values())
    assert model.loss(X).dtype == dtype
    assert np.isfinite(loss)


def test_three_layer_dtype_is_kept():
    model = ThreeLayerConvNet(input_dim=INPUT, num_filters=3, filter_size=3, hidden_dim=5,
                              num_classes=NUM_CLASSES, seed=0)
    _, grads = model.loss(*batch())
    assert all(g.dtype == np.float32 for g in grads.values())


def test_batchnorm_test_mode_uses_running_statistics():
    model = ConvNet(input_dim=INPUT, num_filters=(4,), hidden_dims=(), num_classes=NUM_CLASSES,
                    normalization="batchnorm", dtype=np.float64, seed=0)
    X, y = batch(n=8)
    assert "running_mean" not in model.norm_params[0]
    model.loss(X, y)
    assert model.norm_params[0]["running_mean"].shape == (4,)
    # at test time an example's scores do not depend on the rest of the batch
    alone = model.loss(X[:1])
    together = model.loss(X)[:1]
    np.testing.assert_allclose(alone, together, rtol=1e-12)


def test_same_seed_same_weights():
    a = ConvNet(input_dim=INPUT, num_filters=(3,), seed=7)
    b = ConvNet(input_dim=INPUT, num_filters=(3,), seed=7)
    c = ConvNet(input_dim=INPUT, num_filters=(3,), seed=8)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_bad_configurations_are_rejected():
    with pytest.raises(ValueError, match="positive odd integer"):
        ConvNet(input_dim=INPUT, num_filters=(3,), filter_size=4)
    with pytest.raises(ValueError, match="positive odd integer"):
        ThreeLayerConvNet(input_dim=INPUT, filter_size=2)
    with pytest.raises(ValueError, match="normalization must be None, 'batchnorm' or 'groupnorm'"):
        ConvNet(input_dim=INPUT, normalization="layernorm")
    expected = r"num_groups \(4\) to divide the filters of every block; block 2 has 6"
    with pytest.raises(ValueError, match=expected):
        ConvNet(input_dim=INPUT, num_filters=(8, 6), normalization="groupnorm", num_groups=4)
    with pytest.raises(ValueError, match="filter_size gives 3 values for 2 conv blocks"):
        ConvNet(input_dim=INPUT, num_filters=(3, 3), filter_size=[3, 3, 3])
    with pytest.raises(ValueError, match="too many pooling layers"):
        ConvNet(input_dim=(1, 4, 4), num_filters=(2, 2, 2, 2))
    with pytest.raises(ValueError, match="weight_scale"):
        ConvNet(input_dim=INPUT, weight_scale=-1)


@pytest.mark.parametrize("model", [
    ConvNet(input_dim=INPUT, num_filters=(3,), num_classes=NUM_CLASSES),
    ThreeLayerConvNet(input_dim=INPUT, num_filters=3, filter_size=3, num_classes=NUM_CLASSES)])
def test_wrong_input_shape_names_the_expected_shape(model):
    name = type(model).__name__
    expected = rf"{name} expects X of shape \(N, 2, 8, 8\); got \(4, 128\)"
    with pytest.raises(ValueError, match=expected):
        model.loss(np.zeros((4, 128)))


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------

def random_label_dataset(n=40, seed=0):
    """n noise images with random labels: nothing to generalise, so only memorising fits them."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, *INPUT)).astype(np.float32)
    y = rng.integers(NUM_CLASSES, size=n)
    return {"X_train": X, "y_train": y, "X_val": X[:10], "y_val": y[:10]}


@pytest.mark.parametrize("make_model", [
    lambda: ThreeLayerConvNet(input_dim=INPUT, num_filters=8, filter_size=3, hidden_dim=32,
                              num_classes=NUM_CLASSES, weight_scale=1e-1, seed=0),
    lambda: ConvNet(input_dim=INPUT, num_filters=(8, 8), hidden_dims=(32,), num_classes=NUM_CLASSES,
                    seed=0),
    lambda: ConvNet(input_dim=INPUT, num_filters=(8, 8), hidden_dims=(32,), num_classes=NUM_CLASSES,
                    normalization="batchnorm", seed=0),
    lambda: ConvNet(input_dim=INPUT, num_filters=(8, 8), hidden_dims=(32,), num_classes=NUM_CLASSES,
                    normalization="groupnorm", num_groups=4, seed=0),
])
def test_overfits_a_tiny_dataset(make_model):
    # reaching 100% on random labels means every layer's gradient flows and the model can fit
    data = random_label_dataset()
    model = make_model()
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 3e-3},
                    num_epochs=30, batch_size=10, num_train_samples=None, verbose=False, seed=0)
    solver.train()
    assert solver.train_acc_history[0] < 0.5
    assert solver.train_acc_history[-1] == 1.0
    assert solver.loss_history[0] > 1.4 and solver.loss_history[-1] < 0.4   # log 5 = 1.61
