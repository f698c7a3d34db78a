"""Fixtures shared by the tests: a seeded random generator and the two float dtypes.

The cases every layer is checked on are in layer_cases.py, the PyTorch helpers and their one
tolerance policy in torch_reference.py.
"""
import numpy as np
import pytest

DTYPES = (np.float32, np.float64)


@pytest.fixture
def rng():
    """A random generator seeded with 0, fresh for every test."""
    return np.random.default_rng(0)


@pytest.fixture(params=DTYPES, ids=lambda dtype: np.dtype(dtype).name)
def dtype(request):
    """Each float dtype the course computes in: float32 to train, float64 to check gradients."""
    return request.param
