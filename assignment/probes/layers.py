"""Probes for notebooks 01–03: the basic layers, the two losses, normalisation, dropout, update rules."""
import numpy as np

from . import close, probe, randn, untouched


def forward_backward(rng, forward, backward, inputs, *settings):
    """Outputs, the gradient of every input for a random dout, and whether an input changed."""
    names = list(inputs)
    before = {name: np.copy(value) for name, value in inputs.items()}
    out, cache = forward(*inputs.values(), *settings)
    dtype = next(iter(inputs.values())).dtype
    dout = randn(rng, *np.shape(out), dtype=dtype)
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    outputs = {"out": out, **{f"d{name}": g for name, g in zip(names, grads)}}
    if len(grads) != len(names):
        outputs["gradient_count"] = len(grads)
    for name in names:
        outputs.update(untouched(name, before[name], inputs[name]))
    return outputs


def _layers():
    from dlscratch import layers
    return layers


# --- affine, relu, sigmoid, tanh ---------------------------------------------------------------

def _affine(rng, dtype, batch_shape):
    L = _layers()
    x = randn(rng, *batch_shape, dtype=dtype)
    D = int(np.prod(batch_shape[1:]))
    inputs = {"x": x, "w": randn(rng, D, 5, dtype=dtype), "b": randn(rng, 5, dtype=dtype)}
    return forward_backward(rng, L.affine_forward, L.affine_backward, inputs)


@probe("affine")
def affine_on_rows_float64(rng):
    """x (4, 6) @ w + b and its three gradients, in float64."""
    return _affine(rng, np.float64, (4, 6))


@probe("affine")
def affine_flattens_images_float64(rng):
    """x (3, 2, 2, 3) is flattened to (3, 12) rows; dx keeps x's shape."""
    return _affine(rng, np.float64, (3, 2, 2, 3))


@probe("affine")
def affine_keeps_float32(rng):
    """Everything stays float32 when the inputs are float32."""
    return _affine(rng, np.float32, (5, 4, 2))


def _elementwise(rng, name, dtype, scale):
    L = _layers()
    x = randn(rng, 4, 3, 5, dtype=dtype) * dtype(scale)
    return forward_backward(rng, getattr(L, f"{name}_forward"), getattr(L, f"{name}_backward"),
                            {"x": x})


@probe("relu")
def relu_float64(rng):
    """max(0, x) and its gradient on a 3-d input."""
    return _elementwise(rng, "relu", np.float64, 1.0)


@probe("relu")
def relu_keeps_float32(rng):
    return _elementwise(rng, "relu", np.float32, 1.0)


@probe("sigmoid_tanh")
def sigmoid_float64(rng):
    return _elementwise(rng, "sigmoid", np.float64, 3.0)


@probe("sigmoid_tanh")
def sigmoid_of_huge_inputs(rng):
    """Inputs of ±1000: a stable sigmoid gives exactly 0 or 1 and no NaN."""
    return _elementwise(rng, "sigmoid", np.float64, 1000.0)


@probe("sigmoid_tanh")
def tanh_float64(rng):
    return _elementwise(rng, "tanh", np.float64, 2.0)


@probe("sigmoid_tanh")
def sigmoid_and_tanh_keep_float32(rng):
    return {f"{name}_{key}": value for name in ("sigmoid", "tanh")
            for key, value in _elementwise(rng, name, np.float32, 30.0).items()}


# --- losses ------------------------------------------------------------------------------------

def _loss(rng, name, dtype, N=6, C=5, scale=1.0):
    L = _layers()
    scores = randn(rng, N, C, dtype=dtype) * dtype(scale)
    labels = rng.integers(0, C, size=N)
    before = scores.copy()
    loss, dscores = getattr(L, name)(scores, labels)
    return {"loss": np.asarray(loss), "dscores": dscores, **untouched("scores", before, scores)}


@probe("softmax_loss")
def softmax_loss_float64(rng):
    return _loss(rng, "softmax_loss", np.float64)


@probe("softmax_loss")
def softmax_loss_of_huge_scores(rng):
    """Scores in the thousands: a stable softmax subtracts the row maximum first."""
    return _loss(rng, "softmax_loss", np.float64, scale=1000.0)


@probe("softmax_loss")
def softmax_loss_keeps_float32(rng):
    return _loss(rng, "softmax_loss", np.float32, N=9, C=3)


@probe("svm_loss")
def svm_loss_float64(rng):
    return _loss(rng, "svm_loss", np.float64)


@probe("svm_loss")
def svm_loss_of_one_example_with_many_classes(rng):
    return _loss(rng, "svm_loss", np.float64, N=1, C=12, scale=0.5)


@probe("svm_loss")
def svm_loss_keeps_float32(rng):
    return _loss(rng, "svm_loss", np.float32, N=9, C=3)


# --- normalisation -----------------------------------------------------------------------------

def _norm_inputs(rng, dtype, N=7, D=4):
    return {"x": randn(rng, N, D, dtype=dtype) * dtype(2) + dtype(1),
            "gamma": randn(rng, D, dtype=dtype) + dtype(1), "beta": randn(rng, D, dtype=dtype)}


@probe("normalization")
def batchnorm_train_and_running_statistics(rng):
    """Training mode: output, gradients, and the running mean and variance after two batches."""
    L = _layers()
    bn_param = {"mode": "train", "momentum": 0.8}
    L.batchnorm_forward(randn(rng, 7, 4) * 3, np.ones(4), np.zeros(4), bn_param)
    outputs = forward_backward(rng, L.batchnorm_forward, L.batchnorm_backward,
                               _norm_inputs(rng, np.float64), bn_param)
    return {**outputs, "running_mean": bn_param["running_mean"],
            "running_var": bn_param["running_var"]}


@probe("normalization")
def batchnorm_test_mode_uses_the_running_statistics(rng):
    L = _layers()
    bn_param = {"mode": "test", "running_mean": randn(rng, 4), "running_var": rng.random(4) + 0.5}
    return forward_backward(rng, L.batchnorm_forward, L.batchnorm_backward,
                            _norm_inputs(rng, np.float64), bn_param)


@probe("batchnorm_alt")
def batchnorm_alt_in_training_mode(rng):
    L = _layers()
    return forward_backward(rng, L.batchnorm_forward, L.batchnorm_backward_alt,
                            _norm_inputs(rng, np.float64, N=9, D=5), {"mode": "train"})


@probe("batchnorm_alt")
def batchnorm_alt_in_test_mode_keeps_float32(rng):
    L = _layers()
    bn_param = {"mode": "test", "running_mean": randn(rng, 4, dtype=np.float32),
                "running_var": (rng.random(4) + 0.5).astype(np.float32)}
    return forward_backward(rng, L.batchnorm_forward, L.batchnorm_backward_alt,
                            _norm_inputs(rng, np.float32), bn_param)


@probe("normalization")
def layernorm_float64(rng):
    L = _layers()
    return forward_backward(rng, L.layernorm_forward, L.layernorm_backward,
                            _norm_inputs(rng, np.float64, N=5, D=6), {"eps": 1e-5})


@probe("normalization")
def norms_keep_float32_with_numpy_float64_settings(rng):
    """float32 inputs with np.float64 eps and momentum: nothing is promoted to float64."""
    L = _layers()
    bn_param = {"mode": "train", "eps": np.float64(1e-5), "momentum": np.float64(0.9)}
    batch = forward_backward(rng, L.batchnorm_forward, L.batchnorm_backward,
                             _norm_inputs(rng, np.float32), bn_param)
    layer = forward_backward(rng, L.layernorm_forward, L.layernorm_backward,
                             _norm_inputs(rng, np.float32), {"eps": np.float64(1e-5)})
    return {**{f"batchnorm_{k}": v for k, v in batch.items()},
            **{f"layernorm_{k}": v for k, v in layer.items()},
            "running_mean": bn_param["running_mean"], "running_var": bn_param["running_var"]}


# --- dropout: the mask is random, so the judge checks what any correct mask must satisfy ----------

def dropout_judge(student, reference):
    """Kept units are x / p, dropped ones 0, about a fraction p kept; dx follows the same mask."""
    random = ("out", "dx", "again", "other_seed", "unseeded")
    why = close(student, {k: v for k, v in reference.items() if k not in random})
    if why:
        return why
    for key in ("out", "dx", "again", "other_seed", "unseeded"):
        if key in reference:
            if key not in student:
                return f"no value for {key!r}"
            if student[key].dtype != reference[key].dtype or student[key].shape != reference[key].shape:
                return f"{key} has dtype {student[key].dtype} and shape {student[key].shape}, expected " \
                       f"{reference[key].dtype} and {reference[key].shape}"
    x, dout = reference["x"], reference["dout"]
    p = float(reference["p"])
    out, dx = student["out"], student["dx"]
    kept = out != 0
    rtol = 1e-5 if x.dtype == np.float64 else 1e-3
    if not np.allclose(out[kept], x[kept] / p, rtol=rtol, atol=rtol):
        return "kept units are not x / p (inverted dropout scales by 1 / p)"
    for name in ("out", "other_seed", "unseeded"):
        why = _not_random(student[name] != 0, p)
        if why:
            return f"{name}: {why}"
    if not np.allclose(dx, np.where(kept, dout / p, 0), rtol=rtol, atol=rtol):
        return "dx is not dout / p where a unit was kept and 0 where it was dropped"
    if not np.array_equal(student["again"], out):
        return "the same seed gave a different mask"
    if np.array_equal(student["other_seed"] != 0, kept) or np.array_equal(student["unseeded"] != 0, kept):
        return "another seed (or no seed) gave the same mask: is the mask drawn at random?"
    return None


def _not_random(kept, p):
    """Why a keep-mask (rows x columns) does not look like independent draws with probability p.

    Besides the kept fraction, the counts per row and per column must scatter as binomial counts
    do: their chi-squared statistic lies far from its mean (the number of rows or columns) only
    for a mask that is a pattern (blocks, stripes, or counts balanced exactly).
    """
    if abs(kept.mean() - p) > 0.03:
        return f"kept a fraction {kept.mean():.3f} of the units, expected about p = {p}"
    for axis, what in ((1, "row"), (0, "column")):
        n = kept.shape[axis]
        counts = kept.sum(axis=axis)
        chi2 = float(np.sum((counts - n * p) ** 2) / (n * p * (1 - p)))
        dof = len(counts)
        if abs(chi2 - dof) > 8 * np.sqrt(2 * dof):   # ~8 standard deviations of chi-squared
            return f"the kept units per {what} are not spread like random draws (chi-squared " \
                   f"{chi2:.0f} for {dof} {what}s): is the mask drawn at random?"
    return None


def _dropout(rng, p, dtype):
    """Training-mode dropout with a seed, the same seed again, another seed and no seed."""
    L = _layers()
    x = (np.abs(randn(rng, 60, 50)) + 0.1).astype(dtype)   # no zeros: a 0 in out means dropped
    dout = randn(rng, 60, 50, dtype=dtype)
    seed = int(rng.integers(1 << 30))
    out, cache = L.dropout_forward(x, {"p": p, "mode": "train", "seed": seed})
    again, _ = L.dropout_forward(x, {"p": p, "mode": "train", "seed": seed})
    other_seed, _ = L.dropout_forward(x, {"p": p, "mode": "train", "seed": seed + 1})
    unseeded, _ = L.dropout_forward(x, {"p": p, "mode": "train"})
    dx = L.dropout_backward(dout, cache)
    return {"x": x, "dout": dout, "p": p, "out": out, "dx": dx,
            "again": again, "other_seed": other_seed, "unseeded": unseeded}


@probe("dropout", judge=dropout_judge)
def dropout_train_keeps_p_of_the_units(rng):
    return _dropout(rng, 0.7, np.float64)


@probe("dropout", judge=dropout_judge)
def dropout_train_keeps_float32(rng):
    return _dropout(rng, 0.3, np.float32)


@probe("dropout", judge=dropout_judge)
def dropout_train_drops_most_units_when_p_is_small(rng):
    return _dropout(rng, 0.1, np.float64)



# --- update rules ------------------------------------------------------------------------------

def two_steps(rng, rule_name, config, dtype=np.float64):
    """Two steps of an update rule from random weights, and the state it keeps in config."""
    from dlscratch import optimizations
    rule = getattr(optimizations, rule_name)
    w, dw1, dw2 = (randn(rng, 3, 4, dtype=dtype) for _ in range(3))
    before = {"w": w.copy(), "dw1": dw1.copy()}
    w1, config = rule(w, dw1, config)
    w2, config = rule(w1, dw2, config)
    state = {f"config_{key}": value for key, value in config.items()
             if isinstance(value, (int, float, np.ndarray, np.generic)) and not isinstance(value, bool)}
    return {"w1": w1, "w2": w2, **state, **untouched("w", before["w"], w),
            **untouched("dw", before["dw1"], dw1)}


def _rule_probes(exercise, rule_name, settings):
    """Three cases for one rule: default settings, given settings, and float32."""
    def defaults(rng):
        return two_steps(rng, rule_name, None)

    def given(rng):
        return two_steps(rng, rule_name, dict(settings))

    def float32(rng):
        return two_steps(rng, rule_name, dict(settings), np.float32)
    for run, what in ((defaults, "with_its_defaults"), (given, "with_given_settings"),
                      (float32, "keeps_float32")):
        run.__name__ = f"{rule_name}_{what}"
        probe(exercise)(run)


_rule_probes("sgd", "sgd", {"learning_rate": 0.5})
_rule_probes("momentum", "sgd_momentum", {"learning_rate": 0.1, "momentum": 0.5})
_rule_probes("momentum", "nesterov", {"learning_rate": 0.1, "momentum": 0.5})
_rule_probes("adagrad_rmsprop", "adagrad", {"learning_rate": 0.1, "epsilon": 1e-6})
_rule_probes("adagrad_rmsprop", "rmsprop", {"learning_rate": 0.1, "decay_rate": 0.9})
_rule_probes("adam", "adam", {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.95})
_rule_probes("adam", "adamw", {"learning_rate": 0.1, "weight_decay": 0.1})
