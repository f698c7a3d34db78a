"""dlscratch._validate: the declared input checks every layer starts with."""
import numpy as np
import pytest

from dlscratch._validate import require_arrays


def test_named_axes_bind_across_arrays_and_sizes_come_back():
    x, w, b = np.zeros((2, 3, 4)), np.zeros((4, 5)), np.zeros(5)
    assert require_arrays("f", x=(x, "N T D"), w=(w, "D M"), b=(b, "M")) == \
        {"N": 2, "T": 3, "D": 4, "M": 5}
    assert require_arrays("f", w=(w, "4 M")) == {"M": 5}                  # a number is fixed


@pytest.mark.parametrize("arrays, error, message", [
    (dict(x=(np.zeros((2, 3)), "N D"), w=(np.zeros((4, 5)), "D M")), ValueError,
     r"f: w must have shape \(3, M\), got \(4, 5\)"),                  # D bound by x
    (dict(x=(np.zeros(3), "N D")), ValueError, r"f: x must have shape \(N, D\), got \(3,\)"),
    (dict(b=(np.zeros(3), "4")), ValueError, r"f: b must have shape \(4,\), got \(3,\)"),
    (dict(x=(np.zeros(3, np.float32), "D"), b=(np.zeros(3), "D")), TypeError,
     "all arrays must share one dtype"),
    (dict(x=([1.0, 2.0], "D")), TypeError, "x must be a numpy array, got list"),
    (dict(x=(np.zeros(3, int), "D")), TypeError, "x must be float32 or float64, got int64"),
])
def test_a_mistake_gets_one_message_naming_the_array_and_the_expected_shape(arrays, error,
                                                                               message):
    with pytest.raises(error, match=message):
        require_arrays("f", **arrays)
