"""Losses: each returns (loss, dx), the loss averaged over the N examples.

softmax_loss and svm_loss score (N, C) class scores against labels; temporal_softmax_loss scores a
sequence model's (N, T, V) scores against (N, T) targets where a mask says which steps count.
"""
import numpy as np

from .._validate import require_arrays, require_ids, require_labels, require_shape

__all__ = ["log_softmax", "softmax", "softmax_loss", "svm_loss", "temporal_softmax_loss"]


def log_softmax(x, axis=-1):
    """log softmax(x) along `axis`, computed stably: any shape -> the same shape."""
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=axis, keepdims=True)   # the softmax is unchanged; exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    ### END SOLUTION
    return log_probs


def softmax(x, axis=-1):
    """softmax(x) = exp(x) / sum(exp(x)) along `axis`, computed stably: any shape -> same shape."""
    return np.exp(log_softmax(x, axis))


def softmax_loss(x, y):
    """Cross-entropy of softmax(x) against labels: x (N, C) scores, y (N,) -> (loss, dx (N, C))."""
    require_arrays("softmax_loss", x=(x, "N C"))
    require_labels("softmax_loss", y, x.shape[0], x.shape[1])
    N = x.shape[0]
    ### BEGIN SOLUTION
    log_probs = log_softmax(x, axis=1)
    loss = -log_probs[np.arange(N), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
    ### END SOLUTION
    return float(loss), dx


def svm_loss(x, y):
    """Multiclass hinge loss with margin 1: x (N, C) scores, y (N,) -> (loss, dx (N, C))."""
    require_arrays("svm_loss", x=(x, "N C"))
    require_labels("svm_loss", y, x.shape[0], x.shape[1])
    N = x.shape[0]
    ### BEGIN SOLUTION
    correct = x[np.arange(N), y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N
    active = (margins > 0).astype(x.dtype)
    active[np.arange(N), y] = -active.sum(axis=1)
    dx = active / N
    ### END SOLUTION
    return float(loss), dx


def temporal_softmax_loss(x, y, mask=None):
    """Softmax cross-entropy at every time step where mask is True, summed over time, mean over N.

    x (N, T, V) scores, y (N, T) targets in [0, V), mask (N, T) bool (None: every step counts).
    Returns (loss, dx (N, T, V)).
    """
    require_arrays("temporal_softmax_loss", x=(x, "N T V"))
    N, T, V = x.shape
    require_ids("temporal_softmax_loss", "y", y, (N, T), V)
    if mask is None:
        mask = np.ones((N, T), dtype=bool)
    if not isinstance(mask, np.ndarray) or mask.dtype != bool:
        kind = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
        raise TypeError(f"temporal_softmax_loss: mask must be a bool numpy array, got {kind}")
    require_shape("temporal_softmax_loss", "mask", mask, (N, T))
    dx = np.zeros_like(x)
    count = int(mask.sum())
    if count == 0:
        return 0.0, dx
    ### BEGIN SOLUTION
    # softmax_loss averages over the `count` steps that count; this loss averages over N instead
    mean_loss, dscores = softmax_loss(x[mask], y[mask])
    scale = count / N
    loss = mean_loss * scale
    dx[mask] = dscores * float(scale)
    ### END SOLUTION
    return float(loss), dx
