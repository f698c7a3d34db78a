"""Tests for dlscratch.schedules: each schedule's formula, and that the Solver calls it every step."""
import math

import numpy as np
import pytest

from dlscratch.schedules import constant, cosine_decay, exponential_decay, linear_warmup, step_decay
from dlscratch.solver import Solver
from tests.test_solver import ScriptedModel, scripted_data


def test_each_schedule_gives_its_formula():
    assert [step_decay(1.0, every=2, factor=0.5)(t) for t in (0, 1.9, 2, 4.5)] == [1.0, 1.0, 0.5, 0.25]
    assert exponential_decay(2.0, gamma=0.9)(3) == pytest.approx(2.0 * 0.9 ** 3)
    cosine = cosine_decay(1.0, num_epochs=10, final_learning_rate=0.1)
    assert [cosine(t) for t in (0, 5, 10, 12)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    assert constant(0.3)(7.5) == 0.3


def test_warmup_rises_linearly_then_follows_the_schedule():
    warmed = linear_warmup(cosine_decay(1.0, num_epochs=10), warmup_epochs=2, start_factor=0.2)
    assert warmed(0) == pytest.approx(0.2)
    assert warmed(1) == pytest.approx(0.6 * cosine_decay(1.0, 10)(1))
    assert warmed(2) == pytest.approx(cosine_decay(1.0, 10)(2))
    assert warmed(6) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.6)))
    assert "warm-up" in warmed.description and warmed.every_step


@pytest.mark.parametrize("make", [lambda: step_decay(0.1, every=0), lambda: exponential_decay(-1, 0.9),
                                  lambda: cosine_decay(0.1, num_epochs=0),
                                  lambda: linear_warmup(0.1, warmup_epochs=2)])
def test_impossible_schedules_are_refused(make):
    with pytest.raises(ValueError, match="must be|wraps a schedule"):
        make()


def test_the_solver_calls_a_schedule_before_every_step_with_the_fractional_epoch():
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.1 * (1 + t)
    schedule.every_step = True
    model = ScriptedModel(val_metrics=[5.0, 4.0, 3.0])
    solver = Solver(model, scripted_data(10), update_rule="sgd", optim_config={"learning_rate": 9.0},
                    num_epochs=2, batch_size=5, verbose=False, lr_schedule=schedule, restore_best=False)
    solver.train()
    assert seen == [0.0, 0.5, 1.0, 1.5]
    # sgd with gradient 1: w = -(sum of the four rates)
    np.testing.assert_allclose(model.params["w"], -0.1 * sum(1 + t for t in seen))
