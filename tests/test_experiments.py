"""Tests for dlscratch.experiments: seeds, final values, mean ± sd, the rough noise rule, the range test."""
import types

import numpy as np
import pytest

from dlscratch.experiments import (clearly_different, describe, final, log_uniform, lr_range_test,
                                   mean_sd, over_seeds, suggested_learning_rate)
from dlscratch.models import FullyConnectedNet
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
