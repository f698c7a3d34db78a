"""Inverted dropout: at training time keep each unit with probability p and scale it by 1/p."""
import numpy as np

from .._validate import require_dout, require_float, require_mode

__all__ = ["dropout_forward", "dropout_backward"]


_default_rng = np.random.default_rng()


def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each unit with probability p and scale it by 1/p; any shape.

    dropout_param: 'p' (probability of KEEPING a unit), 'mode' ('train' or 'test') and an optional
    'seed' that makes the mask reproducible. At test time the layer is the identity.
    """
    require_float("dropout_forward", x=x)
    if not isinstance(dropout_param, dict) or "p" not in dropout_param:
        raise ValueError("dropout_forward: dropout_param must be a dict with 'p', the probability "
                         "of keeping a unit, and 'mode' ('train' or 'test'); got "
                         f"{dropout_param!r}")
    p = float(dropout_param["p"])
    if not 0 < p <= 1:
        raise ValueError(f"dropout_forward: p is the probability of keeping a unit and must lie "
                         f"in (0, 1], got {p}")
    mode = require_mode("dropout_forward", dropout_param)
    mask = None
    if mode == "train":
        seed = dropout_param.get("seed")
        rng = _default_rng if seed is None else np.random.default_rng(seed)
        ### BEGIN SOLUTION
        mask = (rng.random(x.shape, dtype=x.dtype) < p).astype(x.dtype) / p
        out = x * mask
        ### END SOLUTION
    else:
        out = x.copy()
    return out, (mask, x.shape)


def dropout_backward(dout, cache):
    """Gradient of dropout_forward: the kept units pass dout scaled by 1/p, the others pass 0."""
    mask, shape = cache
    require_dout("dropout_backward", dout, shape)
    if mask is None:  # test mode: the identity
        return dout.copy()
    ### BEGIN SOLUTION
    dx = dout * mask
    ### END SOLUTION
    return dx
