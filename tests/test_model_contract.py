"""The contract every model keeps, checked on each model of the package the same way.

Every model is a dlscratch.models.Model; its learnable arrays live in params; loss(X, y) returns
(float loss, grads keyed and shaped like params, in the model's dtype); loss(X) returns scores;
the seed fixes the initial parameters; and the gradients agree with centred differences.
"""
import numpy as np
import pytest

from dlscratch.gradient_check import check_model_gradients
from dlscratch.models import (CBOW, ConvNet, FullyConnectedNet, Model, RecurrentNet, Seq2Seq,
                              SkipGram, ThreeLayerConvNet, TransformerLM)


def _labels(r, n, classes):
    return r.integers(classes, size=n)


# name -> (make(dtype, seed) -> model, batch(rng) -> (X, y)); every model small enough to check.
# Weights of std 0.5 keep the ReLUs' inputs well away from 0, where a centred difference of
# h = 1e-5 would step across the kink and disagree with the (one-sided) analytic gradient.
MODELS = {
    "fc_net": (lambda dtype, seed: FullyConnectedNet([6, 5], input_dim=8, num_classes=4,
                                                     normalization="batchnorm", reg=0.1,
                                                     weight_scale=0.5,
                                                     dtype=dtype, seed=seed),
               lambda r: (r.standard_normal((5, 8)), _labels(r, 5, 4))),
    "three_layer_conv_net": (lambda dtype, seed: ThreeLayerConvNet((2, 6, 6), num_filters=3,
                                                                   filter_size=3, hidden_dim=5,
                                                                   num_classes=3, reg=0.1,
                                                                   weight_scale=0.5, dtype=dtype,
                                                                   seed=seed),
                             lambda r: (r.standard_normal((2, 2, 6, 6)), _labels(r, 2, 3))),
    "conv_net": (lambda dtype, seed: ConvNet((2, 6, 6), num_filters=(3,), filter_size=3,
                                             hidden_dims=(4,), num_classes=3, reg=0.1,
                                             dtype=dtype, seed=seed),
                 lambda r: (r.standard_normal((2, 2, 6, 6)), _labels(r, 2, 3))),
    "residual_conv_net": (lambda dtype, seed: ConvNet((2, 6, 6), num_filters=(4, 4), filter_size=3,
                                                      pool=[True, False], hidden_dims=(),
                                                      num_classes=3, normalization="groupnorm",
                                                      num_groups=2, residual=True, reg=0.1,
                                                      dtype=dtype, seed=seed),
                          lambda r: (r.standard_normal((4, 2, 6, 6)), _labels(r, 4, 3))),
    "recurrent_net": (lambda dtype, seed: RecurrentNet(7, wordvec_dim=3, hidden_dim=4,
                                                       cell_type="lstm", dtype=dtype, seed=seed,
                                                       carry_state=False),
                      lambda r: (r.integers(7, size=(2, 4)), r.integers(7, size=(2, 4)))),
    "skip_gram": (lambda dtype, seed: SkipGram(9, 4, loss="softmax", dtype=dtype, seed=seed),
                  lambda r: (r.integers(9, size=5), r.integers(9, size=5))),
    "cbow": (lambda dtype, seed: CBOW(9, 4, loss="softmax", dtype=dtype, seed=seed),
             lambda r: (r.integers(9, size=(5, 2)), r.integers(9, size=5))),
    "seq2seq": (lambda dtype, seed: Seq2Seq(7, 6, wordvec_dim=3, hidden_dim=4, dtype=dtype,
                                            seed=seed),
                lambda r: (r.integers(3, 7, size=(2, 4)), np.c_[r.integers(3, 6, size=(2, 2)),
                                                               np.full((2, 1), 2)])),
    "transformer": (lambda dtype, seed: TransformerLM(7, block_size=5, embed_dim=6, num_heads=2,
                                                      num_layers=2, mlp_ratio=2, reg=0.1,
                                                      dtype=dtype, seed=seed),
                    lambda r: (r.integers(7, size=(2, 4)), r.integers(7, size=(2, 4)))),
    "transformer_tied_sinusoidal_dropout": (
        lambda dtype, seed: TransformerLM(7, block_size=4, embed_dim=4, num_heads=2, num_layers=1,
                                          positions="sinusoidal", tie_weights=True,
                                          dropout_keep_ratio=0.8, dtype=dtype, seed=seed),
        lambda r: (r.integers(7, size=(3, 4)), np.where(r.random((3, 4)) < 0.2, -1,
                                                         r.integers(7, size=(3, 4))))),
}


def model_and_batch(name, dtype=np.float64, seed=0):
    make, batch = MODELS[name]
    model = make(dtype, seed)
    if name in ("skip_gram", "cbow"):      # W_out starts at zero: give it values to check
        model.params["W_out"] = model.rng.standard_normal(model.params["W_out"].shape).astype(dtype)
    if name.startswith("transformer"):     # GPT-2's std 0.02 leaves the blocks nearly linear
        for key, value in model.params.items():
            if key.startswith(("W", "b")):
                model.params[key] = (0.5 * model.rng.standard_normal(value.shape)).astype(dtype)
    return model, batch(np.random.default_rng(1))


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_returns_a_float_and_one_gradient_per_parameter_in_the_models_dtype(name, dtype):
    model, (X, y) = model_and_batch(name, dtype)
    assert isinstance(model, Model) and model.dtype == dtype
    loss, grads = model.loss(X, y)
    assert isinstance(loss, float) and np.isfinite(loss)
    assert grads.keys() == model.params.keys()
    for key, grad in grads.items():
        assert grad.shape == model.params[key].shape and grad.dtype == dtype, key
    assert all(p.dtype == dtype for p in model.params.values())
    scores = model.loss(X)
    assert isinstance(scores, np.ndarray) and scores.dtype == dtype and np.all(np.isfinite(scores))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_seed_fixes_the_initial_parameters(name):
    first, _ = model_and_batch(name, seed=3)
    again, _ = model_and_batch(name, seed=3)
    other, _ = model_and_batch(name, seed=4)
    assert all(np.array_equal(first.params[k], again.params[k]) for k in first.params)
    assert any(not np.array_equal(first.params[k], other.params[k]) for k in first.params)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_gradients_match_centred_differences(name):
    model, (X, y) = model_and_batch(name)
    errors = check_model_gradients(model, X, y, h=1e-5, max_entries=20, verbose=False)
    assert errors.keys() == model.params.keys()
    assert max(errors.values()) < 1e-5, errors
