"""FullyConnectedNet: gradient checks of every configuration, regularisation, modes, dtypes, seeds."""
import re

import numpy as np
import pytest

from dlscratch.gradient_check import check_model_gradients
from dlscratch.models import (ConvNet, FullyConnectedNet, RecurrentNet, Seq2Seq, SkipGram,
                              ThreeLayerConvNet)

N, D, C = 6, 5, 4


def batch(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, D)), rng.integers(C, size=N)


def jitter_biases(model, seed=0):
    """Give the zero-initialised biases small random values, keeping ReLU inputs off the kink at 0."""
    rng = np.random.default_rng(seed)
    for name, p in model.params.items():
        if name.startswith("b"):
            p += 0.1 * rng.standard_normal(p.shape)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
@pytest.mark.parametrize("keep", [1, 0.6])
@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_gradients_of_every_configuration(normalization, keep, reg):
    model = FullyConnectedNet([7, 6], input_dim=D, num_classes=C, normalization=normalization,
                              dropout_keep_ratio=keep, reg=reg, weight_scale=0.3,
                              dtype=np.float64, seed=1)
    jitter_biases(model)
    X, y = batch()
    errors = check_model_gradients(model, X, y, verbose=False)
    assert set(errors) == set(model.params)
    if normalization == "batchnorm":
        # batchnorm subtracts the batch mean, so the bias before it has no effect: its gradient is
        # zero and a relative error of two numbers near zero means nothing. Check it is ~0 instead.
        _, grads = model.loss(X, y)
        for i in (1, 2):
            assert np.abs(grads[f"b{i}"]).max() < 1e-12
            del errors[f"b{i}"]
    worst = max(errors, key=errors.get)
    assert errors[worst] < 1e-6, f"{worst}: relative error {errors[worst]:.2e}"


def test_parameter_names_and_shapes():
    model = FullyConnectedNet([7, 6], input_dim=D, num_classes=C, normalization="batchnorm")
    shapes = {name: p.shape for name, p in model.params.items()}
    assert shapes == {"W1": (D, 7), "b1": (7,), "gamma1": (7,), "beta1": (7,),
                      "W2": (7, 6), "b2": (6,), "gamma2": (6,), "beta2": (6,),
                      "W3": (6, C), "b3": (C,)}
    assert np.all(model.params["gamma1"] == 1) and np.all(model.params["beta2"] == 0)


def test_initial_loss_is_log_of_the_number_of_classes():
    model = FullyConnectedNet([50], input_dim=D, num_classes=10, weight_scale=1e-3,
                              dtype=np.float64, seed=0)
    X, _ = batch()
    loss, _ = model.loss(X, np.arange(N) % 10)
    assert loss == pytest.approx(np.log(10), rel=1e-3)


def test_regularisation_adds_half_reg_times_squared_weights():
    X, y = batch()
    plain = FullyConnectedNet([7], input_dim=D, num_classes=C, dtype=np.float64, seed=3)
    regularised = FullyConnectedNet([7], input_dim=D, num_classes=C, reg=0.5,
                                    dtype=np.float64, seed=3)
    loss0, grads0 = plain.loss(X, y)
    loss1, grads1 = regularised.loss(X, y)
    W1, W2 = plain.params["W1"], plain.params["W2"]
    assert loss1 - loss0 == pytest.approx(0.25 * (np.sum(W1 ** 2) + np.sum(W2 ** 2)))
    np.testing.assert_allclose(grads1["W1"] - grads0["W1"], 0.5 * W1, atol=1e-12)
    np.testing.assert_allclose(grads1["b1"], grads0["b1"], atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_everywhere(dtype):
    model = FullyConnectedNet([7], input_dim=D, num_classes=C, normalization="batchnorm",
                              dtype=dtype, seed=0)
    X, y = batch()
    scores = model.loss(X)
    _, grads = model.loss(X, y)
    assert scores.dtype == dtype
    assert all(p.dtype == dtype for p in model.params.values())
    assert all(g.dtype == dtype for g in grads.values())


def test_default_dtype_is_float32():
    assert FullyConnectedNet([3], input_dim=D, num_classes=C).params["W1"].dtype == np.float32


def test_test_mode_returns_scores_and_uses_batchnorm_running_statistics():
    model = FullyConnectedNet([7], input_dim=D, num_classes=C, normalization="batchnorm",
                              dtype=np.float64, seed=0)
    X, y = batch()
    model.loss(X, y)                                    # one training pass fills the running stats
    running_mean = model.bn_params[0]["running_mean"].copy()
    scores_full = model.loss(X)
    scores_one = model.loss(X[:1])                       # test mode: independent of the batch
    assert scores_full.shape == (N, C)
    np.testing.assert_allclose(scores_one, scores_full[:1], atol=1e-12)
    np.testing.assert_array_equal(model.bn_params[0]["running_mean"], running_mean)


def test_same_seed_same_weights_and_different_seed_different_weights():
    a = FullyConnectedNet([7], input_dim=D, num_classes=C, seed=11)
    b = FullyConnectedNet([7], input_dim=D, num_classes=C, seed=11)
    c = FullyConnectedNet([7], input_dim=D, num_classes=C, seed=12)
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def test_he_initialisation_scales_with_fan_in():
    model = FullyConnectedNet([400], input_dim=800, num_classes=10, weight_scale="he", seed=0)
    assert model.params["W1"].std() == pytest.approx(np.sqrt(2 / 800), rel=0.02)
    assert model.params["W2"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.05)


def test_dropout_mask_is_fixed_per_batch_but_differs_between_batches_and_layers():
    model = FullyConnectedNet([50, 50], input_dim=D, num_classes=C, dropout_keep_ratio=0.5,
                              dtype=np.float64, seed=0)
    X, y = batch(0)
    X2, _ = batch(1)
    assert model.loss(X, y)[0] == model.loss(X, y)[0], "a gradient check needs repeatable masks"
    seeds = [p["seed"] for p in model._dropout_params(X, "train")]
    assert seeds == [p["seed"] for p in model._dropout_params(X.copy(), "train")]
    assert seeds[0] != model._dropout_params(X2, "train")[0]["seed"]
    assert seeds[0] != seeds[1], "each layer needs its own mask"
    without_dropout = FullyConnectedNet([50, 50], input_dim=D, num_classes=C, dtype=np.float64,
                                        seed=0)
    assert model.loss(X, y)[0] != without_dropout.loss(X, y)[0]
    np.testing.assert_array_equal(model.loss(X), without_dropout.loss(X),
                                  "test mode must not drop units")


def test_unseeded_dropout_draws_fresh_masks():
    model = FullyConnectedNet([50], input_dim=D, num_classes=C, dropout_keep_ratio=0.5,
                              dtype=np.float64)
    X, y = batch(0)
    assert model.loss(X, y)[0] != model.loss(X, y)[0]


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="normalization"):
        FullyConnectedNet([3], normalization="groupnorm")
    with pytest.raises(ValueError, match="dropout_keep_ratio"):
        FullyConnectedNet([3], dropout_keep_ratio=0)
    with pytest.raises(ValueError, match="weight_scale"):
        FullyConnectedNet([3], weight_scale="glorot")
    with pytest.raises(TypeError, match="dtype"):
        FullyConnectedNet([3], dtype=np.int32)


def test_wrong_input_width_names_the_expected_shape():
    model = FullyConnectedNet([7], input_dim=D, num_classes=C)
    with pytest.raises(ValueError, match=r"\(N, 5\).*got \(2, 6\)"):
        model.loss(np.zeros((2, D + 1)))


@pytest.mark.parametrize("make, message", [
    (lambda: FullyConnectedNet([5, -5], input_dim=4, num_classes=3), "FullyConnectedNet: hidden_dims[1] must be a positive integer, got -5"),
    (lambda: FullyConnectedNet([5], input_dim=0, num_classes=3), "FullyConnectedNet: input_dim must be a positive integer, got 0"),
    (lambda: FullyConnectedNet([2.5], input_dim=4, num_classes=3), "FullyConnectedNet: hidden_dims[0] must be a positive integer, got 2.5"),
    (lambda: ThreeLayerConvNet(hidden_dim=-3), "ThreeLayerConvNet: hidden_dim must be a positive integer, got -3"),
    (lambda: ConvNet(num_filters=(8, 0)), "ConvNet: num_filters[1] must be a positive integer, got 0"),
    (lambda: RecurrentNet(vocab_size=5, hidden_dim=-2), "RecurrentNet: hidden_dim must be a positive integer, got -2"),
    (lambda: SkipGram(vocab_size=5, embed_dim=-2), "SkipGram: embed_dim must be a positive integer, got -2"),
    (lambda: Seq2Seq(5, 5, wordvec_dim=0), "Seq2Seq: wordvec_dim must be a positive integer, got 0"),
])
def test_a_size_that_is_not_a_positive_integer_is_refused(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
