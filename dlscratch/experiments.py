"""Honest comparisons: smooth a noisy curve without lag, run a configuration over seeds, read final values, report mean ± sd,
find a learning rate by a range test, and race models on the clock.

    runs = over_seeds(lambda seed: train(config, seed), seeds=(0, 1, 2))
    print(describe(final(runs, k=5)))           # "0.912 ± 0.004 (3 seeds)"

A comparison is judged on final (or last-k-epoch) values over several seeds, never on the best
epoch of one run: the best of many noisy epochs is biased upwards, and one seed can be lucky.
"""
import math
import time

import numpy as np

from .optimizations import get_update_rule

__all__ = ["smooth", "over_seeds", "final", "mean_sd", "describe", "clearly_different", "lr_range_test",
           "suggested_learning_rate", "log_uniform", "train_on_the_clock"]


def default_window(length):
    """The smoothing window for `length` points: an odd number near length / 20, at least 1."""
    return max(1, (length // 20) | 1)


def smooth(values, window=None):
    """Centred moving average of a 1-D sequence (no lag); near the ends, where the centred window
    does not fit, the least-squares line through the points it still covers, read at the point
    (a trend is followed and the last point is not left raw); returns an array of the same length."""
    values = np.asarray(values, dtype=np.float64).ravel()
    n = values.size
    window = default_window(n) if window is None else window
    if not (isinstance(window, (int, np.integer)) and window >= 1 and window % 2 == 1):
        raise ValueError(f"smooth: window must be a positive odd integer, got {window!r}")
    if n == 0:
        return values.copy()
    t = np.arange(n, dtype=np.float64)
    lo = np.maximum(np.arange(n) - window // 2, 0)
    hi = np.minimum(np.arange(n) + window // 2, n - 1) + 1         # each point's window [lo, hi)

    def window_sum(a):
        """The sum of a over each point's window, from one cumulative sum."""
        cumulative = np.concatenate([[0.0], np.cumsum(a)])
        return cumulative[hi] - cumulative[lo]

    count = hi - lo
    t_mean, y_mean = window_sum(t) / count, window_sum(values) / count
    t_var = window_sum(t * t) / count - t_mean ** 2
    covariance = window_sum(t * values) / count - t_mean * y_mean
    slope = np.divide(covariance, t_var, out=np.zeros(n), where=t_var > 1e-9)
    return y_mean + slope * (t - t_mean)        # inside, t is its window's centre: the plain mean


def over_seeds(run, seeds=(0, 1, 2)):
    """[run(seed) for seed in seeds]: one full run (a solver, a history, a number) per seed."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("over_seeds: give at least one seed (three or more for a comparison)")
    return [run(seed) for seed in seeds]


def final(runs, k=1, history="val_acc_history"):
    """Mean of the last k values of each run's `history` (a solver attribute; an array is a history):
    a float for one run, an array (one value per seed) for a list of runs."""
    if k < 1:
        raise ValueError(f"final: k must be at least 1, got {k}")

    def last_k(run):
        values = getattr(run, history, run) if isinstance(history, str) else history(run)
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size < k:
            raise ValueError(f"final: a run has {values.size} values of {history!r}, fewer than k={k}")
        return float(values[-k:].mean())
    if isinstance(runs, (list, tuple)):
        return np.array([last_k(run) for run in runs])
    return last_k(runs)


def mean_sd(values):
    """(mean, sample standard deviation) of per-seed values; the sd is 0 for a single value."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("mean_sd: got no values")
    return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0


def describe(values, digits=3):
    """'mean ± sd (n seeds)' for per-seed values, e.g. '0.912 ± 0.004 (3 seeds)'."""
    mean, sd = mean_sd(values)
    n = np.size(values)
    return f"{mean:.{digits}f} ± {sd:.{digits}f} ({n} seed{'s' if n != 1 else ''})"


def clearly_different(a, b, standard_errors=2.0):
    """Whether the means of two sets of per-seed values differ by more than `standard_errors`
    standard errors of the difference, sqrt(sd_a²/n_a + sd_b²/n_b): a rough rule of thumb for a
    few seeds, not a significance test."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if a.size < 2 or b.size < 2:
        raise ValueError("clearly_different: needs at least two seeds on each side to see the noise")
    error = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return abs(a.mean() - b.mean()) > standard_errors * error


def log_uniform(rng, low, high, size=None):
    """Samples spread evenly in log space between low and high (for learning rates, penalties)."""
    if not 0 < low < high:
        raise ValueError(f"log_uniform: needs 0 < low < high, got low={low}, high={high}")
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def lr_range_test(model, X, y, lr_min=1e-6, lr_max=1.0, num_steps=100, update_rule="sgd",
                  optim_config=None, batch_size=64, seed=0, stop_factor=4.0):
    """Train `model` (in place: give it a fresh one) for up to num_steps minibatches while the
    learning rate grows geometrically from lr_min to lr_max; returns (learning_rates, losses),
    stopping early once the loss exceeds stop_factor times the lowest loss seen (Smith 2017)."""
    if not 0 < lr_min < lr_max or num_steps < 2:
        raise ValueError(f"lr_range_test: needs 0 < lr_min < lr_max and num_steps >= 2, got "
                         f"lr_min={lr_min}, lr_max={lr_max}, num_steps={num_steps}")
    rule = get_update_rule(update_rule)
    configs = {name: dict(optim_config or {}) for name in model.params}
    rng = np.random.default_rng(seed)
    rates = lr_min * (lr_max / lr_min) ** (np.arange(num_steps) / (num_steps - 1))
    tried, losses = [], []
    for rate in rates:
        batch = rng.choice(len(X), size=min(batch_size, len(X)), replace=False)
        loss, grads = model.loss(X[batch], y[batch])
        loss = float(loss)
        if not np.isfinite(loss) or (losses and loss > stop_factor * min(losses)):
            break
        tried.append(float(rate))
        losses.append(loss)
        for name in model.params:
            configs[name]["learning_rate"] = float(rate)
            model.params[name], configs[name] = rule(model.params[name], grads[name], configs[name])
    return np.array(tried), np.array(losses)


def suggested_learning_rate(learning_rates, losses, window=None):
    """A learning rate a range test suggests: a tenth of the rate at which the smoothed loss is lowest."""
    if len(losses) == 0:
        raise ValueError("suggested_learning_rate: the range test recorded no losses")
    return float(learning_rates[int(np.argmin(smooth(losses, window)))] / 10.0)


def train_on_the_clock(solver, seconds, num_points=10, num_val_samples=None):
    """Train solver's model for `seconds` of training time (evaluation is not counted), with the
    solver's update rule, batch size, clipping and order, going round its training set as often as
    the time allows. Returns {"seconds", "steps", "val"}: the solver's validation metric at
    num_points + 1 evenly spaced moments, the untrained model first (for a race at equal time)."""
    if not seconds > 0 or num_points < 1:
        raise ValueError(f"train_on_the_clock: needs seconds > 0 and num_points >= 1, got "
                         f"{seconds} and {num_points}")
    from .solver import take_examples
    n = len(solver.X_train)
    history = {"seconds": [], "steps": [], "val": []}

    def record(elapsed, steps):
        history["seconds"].append(elapsed)
        history["steps"].append(steps)
        history["val"].append(solver.check_accuracy(solver.X_val, solver.y_val, num_val_samples))

    elapsed, steps, order, position = 0.0, 0, None, n
    record(elapsed, steps)
    for k in range(1, num_points + 1):
        while elapsed < seconds * k / num_points:
            if position >= n:           # round again, reshuffled if the solver shuffles
                order = solver.rng.permutation(n) if solver.shuffle else np.arange(n)
                position = 0
            batch = order[position:position + solver.batch_size]
            position += solver.batch_size
            start = time.perf_counter()
            solver._step(*take_examples(solver.X_train, solver.y_train, batch))
            elapsed += time.perf_counter() - start
            steps += 1
        record(elapsed, steps)
    return history
