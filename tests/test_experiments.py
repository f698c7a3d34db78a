"""Tests for dlscratch.experiments: seeds, final values, mean ± sd, the rough noise rule, the range test,
the race on the clock."""
import types

import numpy as np
import pytest

from dlscratch.experiments import (clearly_different, describe, final, log_uniform, lr_range_test,
                                   mean_sd, over_seeds, suggested_learning_rate, train_on_the_clock)
from dlscratch.models import FullyConnectedNet
from dlscratch.solver import Solver
from tests.test_solver import blobs


def history(val):
    return types.SimpleNamespace(val_acc_history=list(val), loss_history=[1.0])


def test_over_seeds_runs_once_per_seed_in_order():
    assert over_seeds(lambda seed: seed * 10, seeds=(3, 1, 2)) == [30, 10, 20]
    with pytest.raises(ValueError, match="at least one seed"):
        over_seeds(lambda seed: seed, seeds=())


def test_final_averages_the_last_k_values_never_the_best():
    runs = [history([0.1, 0.9, 0.5, 0.6]), history([0.1, 0.8, 0.7, 0.8])]
    np.testing.assert_allclose(final(runs), [0.6, 0.8])
    np.testing.assert_allclose(final(runs, k=2), [0.55, 0.75])
    assert final(runs[0], k=3) == pytest.approx(2.0 / 3)
    assert final(np.array([1.0, 2.0, 4.0]), k=2) == 3.0     # an array is one history
    with pytest.raises(ValueError, match="fewer than k=5"):
        final(runs, k=5)


def test_mean_sd_and_describe_use_the_sample_standard_deviation():
    assert mean_sd([0.90, 0.92, 0.94]) == pytest.approx((0.92, 0.02))
    assert describe([0.90, 0.92, 0.94]) == "0.920 ± 0.020 (3 seeds)"
    assert describe([0.5], digits=1) == "0.5 ± 0.0 (1 seed)"


def test_clearly_different_compares_the_gap_with_its_standard_error():
    assert clearly_different([0.90, 0.91, 0.92], [0.80, 0.81, 0.82])
    assert not clearly_different([0.90, 0.95, 0.85], [0.88, 0.93, 0.83])      # gap 0.02, se 0.04
    with pytest.raises(ValueError, match="two seeds"):
        clearly_different([0.9], [0.8, 0.7])


def test_log_uniform_spreads_evenly_in_log_space():
    samples = log_uniform(np.random.default_rng(0), 1e-5, 1e-1, size=20000)
    assert samples.min() >= 1e-5 and samples.max() <= 1e-1
    counts = np.histogram(np.log10(samples), bins=4, range=(-5, -1))[0]
    assert counts.min() > 0.9 * counts.max()           # each decade gets a quarter


def test_lr_range_test_climbs_geometrically_and_stops_when_the_loss_blows_up():
    X, y = blobs(256, dim=5)
    net = FullyConnectedNet([32], input_dim=5, num_classes=3, weight_scale=0.1, seed=0, dtype=np.float64)
    rates, losses = lr_range_test(net, X, y, lr_min=1e-4, lr_max=100.0, num_steps=60, update_rule="sgd")
    assert len(rates) == len(losses) and 10 < len(rates) < 60        # stopped early: 100 diverges
    np.testing.assert_allclose(rates[1:] / rates[:-1], (1e6) ** (1 / 59))
    assert losses.min() < 0.5 * losses[0]                           # it did learn on the way up
    suggestion = suggested_learning_rate(rates, losses)
    assert rates[0] <= suggestion * 10 <= rates[-1]
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        lr_range_test(net, X, y, lr_min=1.0, lr_max=0.1)


def test_train_on_the_clock_spends_the_budget_round_the_data_and_scores_evenly():
    X, y = blobs(40, dim=5)
    net = FullyConnectedNet([16], input_dim=5, num_classes=3, weight_scale=0.1, seed=0)
    solver = Solver(net, {"X_train": X[:20], "y_train": y[:20], "X_val": X[20:], "y_val": y[20:]},
                    update_rule="sgd", optim_config={"learning_rate": 0.1}, batch_size=10,
                    verbose=False, seed=0)
    untrained = solver.check_accuracy(X[20:], y[20:])
    history = train_on_the_clock(solver, 0.2, num_points=4)
    assert [len(history[key]) for key in ("seconds", "steps", "val")] == [5, 5, 5]
    assert history["seconds"][0] == 0 and history["steps"][0] == 0
    assert history["val"][0] == untrained                  # the untrained model comes first
    for k in range(1, 5):                                  # each score after its share of time
        assert history["seconds"][k] >= 0.2 * k / 4
    assert np.all(np.diff(history["steps"]) > 0)
    assert history["steps"][-1] > 2 * solver.iterations_per_epoch      # round the data again
    assert len(solver.loss_history) == history["steps"][-1]
    assert history["val"][-1] > 0.9 > untrained
    with pytest.raises(ValueError, match="seconds > 0"):
        train_on_the_clock(solver, 0)
