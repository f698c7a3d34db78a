"""PyTorch, the reference the cross-check tests compare with, when it is installed.

The cross-check modules import torch from here instead of skipping at import, so on a machine
without torch their tests are still collected (and reported as skipped, with the reason below):
the exercise registry and the grader see the same tests with or without torch.
"""
import pytest

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = F = None

needs_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch is not installed: this cross-check against torch is skipped "
                          "(optional; `make bench` installs torch)")
