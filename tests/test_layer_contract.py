"""The contract every layer keeps, checked on every layer of dlscratch.layers (layer_cases.py).

For each forward/backward pair: its gradients match centred differences in float64; its outputs
and gradients keep the inputs' dtype, float32 included; it modifies neither its inputs nor dout
(nor, in the backward pass, the forward's output); a stray axis on an input, or a dout of the
wrong shape, is refused with a message that names the layer (a sandwich's message names the
layer inside it that refused).
"""
import importlib

import numpy as np
import pytest

from dlscratch.gradient_check import eval_numerical_gradient_array, layer_gradient_errors, rel_error
from layer_cases import LAYERS, NOT_LAYERS, covered_names

LAYER_FILES = ("core", "losses", "normalization", "dropout", "conv", "recurrent", "attention",
               "sandwiches")


def run(case, rng, dtype):
    """The case's inputs, a forward taking only them, its output and cache."""
    inputs, settings = case.make(rng, dtype)

    def forward(*arrays):
        return case.forward(*arrays, *settings())
    return inputs, forward, *forward(*inputs)


def as_tuple(grads):
    return grads if isinstance(grads, tuple) else (grads,)


def test_every_layer_has_a_contract_case():
    public = set()
    for name in LAYER_FILES:
        public.update(importlib.import_module(f"dlscratch.layers.{name}").__all__)
    covered = {name for case in LAYERS.values() for name in covered_names(case)}
    assert covered <= public, f"cases of functions that are not public: {covered - public}"
    assert public - NOT_LAYERS == covered, \
        f"layers without a contract case in tests/layer_cases.py: {public - NOT_LAYERS - covered}"


def zero_by_the_maths_agrees(forward, grad, x, dout, tol):
    """Whether grad matches centred differences when its exact zeros are left out of the relative
    error: a gradient entry that is 0 by the maths (a bias before a normalisation, the key bias of
    attention, which adds one constant to a row of scores) is rounding noise on both sides, and
    must then be below 1e-9 on both sides."""
    numeric = eval_numerical_gradient_array(lambda _: forward()[0], x, dout)
    zero = (np.abs(grad) < 1e-9) & (np.abs(numeric) < 1e-9)
    return zero.all() or (zero.any() and rel_error(grad[~zero], numeric[~zero]) < tol)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_gradients_match_centred_differences(name, rng):
    case = LAYERS[name]
    inputs, forward, _, _ = run(case, rng, np.float64)
    errors = layer_gradient_errors(forward, case.backward, inputs, seed=7)
    assert len(errors) == len(inputs)
    out, cache = forward(*inputs)
    dout = np.random.default_rng(7).standard_normal(out.shape)
    analytic = as_tuple(case.backward(dout, cache))
    for k, (error, grad, x) in enumerate(zip(errors, analytic, inputs)):
        assert grad.shape == x.shape, f"{name}: gradient {k} has shape {grad.shape}, not {x.shape}"
        assert error < case.tol or zero_by_the_maths_agrees(lambda: forward(*inputs), grad, x,
                                                            dout, case.tol), \
            f"{name}: gradient {k} has relative error {error:.1e}"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_outputs_and_gradients_keep_the_dtype(name, rng, dtype):
    case = LAYERS[name]
    inputs, _, out, cache = run(case, rng, dtype)
    assert all(x.dtype == dtype for x in inputs)
    assert out.dtype == dtype, f"{name}: output is {out.dtype} for {np.dtype(dtype)} inputs"
    for k, grad in enumerate(as_tuple(case.backward(np.ones_like(out), cache))):
        assert grad.dtype == dtype, f"{name}: gradient {k} is {grad.dtype}"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_inputs_dout_and_output_are_left_alone(name, rng):
    case = LAYERS[name]
    inputs, forward, _, _ = run(case, rng, np.float64)
    before = [x.copy() for x in inputs]
    out, cache = forward(*inputs)
    out_before = out.copy()
    dout = rng.standard_normal(out.shape)
    dout_before = dout.copy()
    case.backward(dout, cache)
    for k, (x, x_before) in enumerate(zip(inputs, before)):
        assert np.array_equal(x, x_before), f"{name} modified input {k}"
    assert np.array_equal(dout, dout_before), f"{name} modified dout"
    assert np.array_equal(out, out_before), f"{name}'s backward pass modified the output"


@pytest.mark.parametrize("name", sorted(n for n, case in LAYERS.items()
                                        if case.bad_input is not None))
def test_an_input_with_a_stray_axis_is_refused(name, rng):
    case = LAYERS[name]
    inputs, forward, _, _ = run(case, rng, np.float64)
    inputs[case.bad_input] = inputs[case.bad_input][..., None]
    with pytest.raises(ValueError, match=r"^\w+: .*must have shape"):
        forward(*inputs)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_dout_of_another_shape_is_refused(name, rng):
    case = LAYERS[name]
    _, _, out, cache = run(case, rng, np.float64)
    wrong = np.zeros(out.shape[:-1] + (out.shape[-1] + 1,))
    with pytest.raises(ValueError, match=r"^\w+: \w+ must have the forward output's shape"):
        case.backward(wrong, cache)
