"""PyTorch, the reference the cross-check tests compare with, and the helpers they share.

The cross-check modules import torch from here instead of skipping at import, so on a machine
without torch their tests are still collected (and reported as skipped, with the reason below).
One tolerance policy for all of them: TOLERANCE, by dtype, relative to the larger array's scale.
"""
import numpy as np
import pytest

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = F = None

needs_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch is not installed: this cross-check against torch is skipped "
                          "(optional; `make bench` installs torch)")


# largest difference allowed, relative to max(1, largest magnitude of the reference)
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


def t(a, grad=True):
    """A leaf tensor holding a copy of a (float64 or float32, as a is)."""
    return torch.tensor(np.array(a), requires_grad=grad)


def n(tensor):
    """A tensor's values as a numpy array."""
    return tensor.detach().numpy()


def torch_grads(out, dout, *leaves):
    """Gradients of sum(out * dout) (of out itself when dout is None) for the leaves, as arrays."""
    upstream = None if dout is None else torch.tensor(dout)
    return [n(g) for g in torch.autograd.grad(out, leaves, upstream)]


def close(ours, theirs, tol=None):
    """Equal shapes, and values equal up to tol (default: TOLERANCE of torch's dtype)."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    tol = TOLERANCE.get(theirs.dtype, 1e-9) if tol is None else tol
    return ours.shape == theirs.shape and float(np.abs(ours - theirs).max(initial=0.0)) <= \
        tol * max(1.0, float(np.abs(theirs).max(initial=0.0)))


def assert_close(ours, theirs, tol=None):
    """close(), with the largest difference in the message when it fails."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"shape {ours.shape}, torch's {theirs.shape}"
    assert close(ours, theirs, tol), \
        f"largest difference from torch {float(np.abs(ours - theirs).max(initial=0.0)):.2e}"

