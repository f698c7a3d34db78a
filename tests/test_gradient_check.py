"""The notebooks' feedback after an exercise: PASS with the measured error, or FAIL with a hint."""
import numpy as np
import pytest

from dlscratch.gradient_check import feedback


def test_feedback_passes_and_prints_the_measured_error(capsys):
    assert feedback("dx", np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])) is None
    assert capsys.readouterr().out == "PASS  dx: relative error 2.5e-10 (needs < 1e-07)\n"


def test_feedback_fails_with_its_hint(capsys):
    with pytest.raises(AssertionError, match=r"FAIL  loss: relative error 5\.0e-01 .*\n  hint: ln C"):
        feedback("loss", 3.0, 1.0, tolerance=1e-3, hint="ln C")
    assert capsys.readouterr().out.startswith("FAIL  loss: relative error 5.0e-01 (needs < 1e-03)")


def test_feedback_names_a_wrong_shape_instead_of_broadcasting(capsys):
    with pytest.raises(AssertionError, match=r"shape \(2, 1\), expected \(2,\)"):
        feedback("db", np.zeros((2, 1)), np.zeros(2))
