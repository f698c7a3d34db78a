"""Numerical gradients by centred finite differences, to verify analytic backward passes.

Use float64 everywhere you check gradients: with float32 the rounding error of f(x ± h) swamps
the difference for any useful step h.
"""
import numpy as np


def rel_error(x, y):
    """Largest element-wise relative error |x - y| / max(1e-8, |x| + |y|) between two arrays."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:      # broadcasting would compare the wrong entries without a word
        raise ValueError(f"rel_error: the arrays must have one shape, got {x.shape} and {y.shape}")
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def feedback(what, got, expected, tolerance=1e-7, hint=""):
    """Print PASS with the relative error of `got` against `expected`, or print FAIL and raise an
    AssertionError that carries `hint`: the check after a notebook exercise (returns None, so a
    notebook cell that ends with it shows only the printed line)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        error, measured = float("inf"), f"shape {got.shape}, expected {expected.shape}"
    else:
        error = rel_error(got, expected)
        measured = f"relative error {error:.1e}"
    if error < tolerance:
        print(f"PASS  {what}: {measured} (needs < {tolerance:.0e})")
        return
    message = f"FAIL  {what}: {measured} (needs < {tolerance:.0e})"
    message += f"\n  hint: {hint}" if hint else ""
    print(message)
    raise AssertionError(message)


def _centred_difference(f, x, index, h):
    """(f(x + h e_i) - f(x - h e_i)) / 2h for the unit vector e_i at `index`; x is restored."""
    original = x[index]
    x[index] = original + h
    f_plus = f(x)
    x[index] = original - h
    f_minus = f(x)
    x[index] = original
    return (f_plus - f_minus) / (2 * h)


def eval_numerical_gradient(f, x, verbose=False, h=1e-5):
    """Gradient of a scalar function f at x (any shape) -> array shaped like x.

    f is called with x itself, perturbed in place one entry at a time and restored afterwards.
    """
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        grad[index] = _centred_difference(f, x, index, h)
        if verbose:
            print(index, grad[index])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Gradient at x of sum(f(x) * df), for an array-valued f: the backward pass given dout = df."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        grad[index] = np.sum(_centred_difference(f, x, index, h) * df)
    return grad


def layer_gradient_errors(forward, backward, inputs, *settings, rng=None, seed=1, h=1e-5):
    """Relative error of each gradient of a layer against centred differences: one per input.

    forward(*inputs, *settings) -> (out, cache) and backward(dout, cache) -> the gradients of the
    inputs in order (one array for a one-input layer). The upstream gradient dout is drawn from
    N(0, 1) with `rng` (by default a generator seeded with `seed`); every input is perturbed in
    place, entry by entry, and restored. Use float64 inputs.
    """
    out, cache = forward(*inputs, *settings)
    dout = (np.random.default_rng(seed) if rng is None else rng).standard_normal(out.shape)
    analytic = backward(dout, cache)
    analytic = analytic if isinstance(analytic, tuple) else (analytic,)
    if len(analytic) < len(inputs):
        raise ValueError(f"layer_gradient_errors: backward returned {len(analytic)} gradients "
                         f"for {len(inputs)} inputs")
    errors = []
    for grad, x in zip(analytic, inputs):
        numeric = eval_numerical_gradient_array(lambda _: forward(*inputs, *settings)[0], x, dout,
                                                h)
        errors.append(rel_error(grad, numeric))
    return errors


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=0):
    """Compare analytic_grad with centred differences at `num_checks` random entries of x.

    Prints one line per entry and returns the list of relative errors.
    """
    rng = np.random.default_rng(seed)
    errors = []
    for _ in range(num_checks):
        index = tuple(int(rng.integers(n)) for n in x.shape)
        numeric = _centred_difference(f, x, index, h)
        analytic = analytic_grad[index]
        error = rel_error(numeric, analytic)
        errors.append(error)
        print(f"numerical: {numeric:+.6e}  analytic: {analytic:+.6e}  relative error: {error:.2e}")
    return errors


def check_model_gradients(model, X, y, h=1e-5, max_entries=None, seed=0, verbose=True):
    """Check every parameter of model.loss(X, y) against centred differences.

    Prints one row per parameter (name, shape, relative error) and returns {name: relative error}.
    With max_entries, parameters larger than that are checked at that many random entries only.
    An entry whose gradient is 0 by the maths (attention's key bias: it adds one constant to all
    of a query's scores) is rounding noise on both sides; where the analytic gradient is below
    1e-12 and the centred difference below 1e-9 the entry counts as agreeing.
    """
    _, grads = model.loss(X, y)
    rng = np.random.default_rng(seed)
    errors = {}
    if verbose:
        print(f"{'parameter':<12}{'shape':<18}{'relative error':>15}")
    for name in sorted(model.params, key=_natural_order):
        param = model.params[name]
        indices = list(np.ndindex(param.shape))
        if max_entries is not None and len(indices) > max_entries:
            picked = rng.choice(len(indices), size=max_entries, replace=False)
            indices = [indices[i] for i in picked]

        def loss_at(_):
            return model.loss(X, y)[0]

        numeric = np.array([_centred_difference(loss_at, param, i, h) for i in indices])
        analytic = np.array([grads[name][i] for i in indices])
        zero = (np.abs(analytic) < 1e-12) & (np.abs(numeric) < 1e-9)
        errors[name] = 0.0 if zero.all() else rel_error(numeric[~zero], analytic[~zero])
        if verbose:
            print(f"{name:<12}{str(param.shape):<18}{errors[name]:>15.2e}")
    return errors


def _natural_order(name):
    """Sort key putting W2 before W10: the name's letters, then its trailing number."""
    stem = name.rstrip("0123456789")
    number = name[len(stem):]
    return stem, int(number) if number else -1
