"""Input checks shared by the layers, losses and update rules: one clear message per mistake."""
import numpy as np


def require_float(where, **arrays):
    """Check that every array is a float32/float64 ndarray and that they all share one dtype."""
    dtypes = {}
    for name, a in arrays.items():
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{where}: {name} must be a numpy array, got {type(a).__name__}")
        if a.dtype not in (np.float32, np.float64):
            raise TypeError(f"{where}: {name} must be float32 or float64, got {a.dtype}")
        dtypes[name] = a.dtype
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{n} is {d}" for n, d in dtypes.items())
        raise TypeError(f"{where}: all arrays must share one dtype ({listed}); "
                        "cast them with .astype(np.float32) or .astype(np.float64)")


def require_shape(where, name, a, expected):
    """Check a.shape against `expected`, a tuple of ints, None (any size) or dimension names."""
    ok = len(a.shape) == len(expected) and all(
        not isinstance(e, int) or e == s for e, s in zip(expected, a.shape))
    if not ok:
        pretty = "(" + ", ".join("?" if e is None else str(e) for e in expected) + \
                 ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{where}: {name} must have shape {pretty}, got {a.shape}")


def require_arrays(where, **arrays):
    """Check float arrays of one dtype against named shapes: x=(x, "N D"), gamma=(gamma, "D").

    Each word of a shape names an axis; a name used again must have the same size (its first
    array fixes it), a number is a fixed size. Returns {axis name: size}.
    """
    require_float(where, **{name: a for name, (a, _) in arrays.items()})
    sizes = {}
    for name, (a, shape) in arrays.items():
        axes = [int(axis) if axis.isdigit() else axis for axis in shape.split()]
        expected = tuple(sizes.get(axis, axis) for axis in axes)
        require_shape(where, name, a, expected)
        sizes.update((axis, size) for axis, size in zip(axes, a.shape) if isinstance(axis, str))
    return sizes


def require_dout(where, dout, shape, name="dout"):
    """Check that the upstream gradient dout has the forward output's shape."""
    shape = tuple(shape)
    if not isinstance(dout, np.ndarray):
        raise TypeError(f"{where}: {name} must be a numpy array shaped like the forward output "
                        f"{shape}, got {type(dout).__name__}")
    if dout.shape != shape:
        raise ValueError(f"{where}: {name} must have the forward output's shape {shape}, "
                         f"got {dout.shape}")


def require_labels(where, y, n, num_classes):
    """Check that y is an integer label vector of length n with values in [0, num_classes)."""
    if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
        kind = y.dtype if isinstance(y, np.ndarray) else type(y).__name__
        raise TypeError(f"{where}: y must be an integer numpy array of class labels, got {kind}")
    require_shape(where, "y", y, (n,))
    if n and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{where}: labels must lie in [0, {num_classes}), "
                         f"got values from {y.min()} to {y.max()}")


def require_ids(where, name, ids, shape, vocab_size):
    """Check that ids is an integer array of `shape` with values in [0, vocab_size)."""
    if not isinstance(ids, np.ndarray) or not np.issubdtype(ids.dtype, np.integer):
        kind = ids.dtype if isinstance(ids, np.ndarray) else type(ids).__name__
        raise TypeError(f"{where}: {name} must be an integer numpy array of ids, got {kind}")
    require_shape(where, name, ids, shape)
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"{where}: {name} must lie in [0, {vocab_size}), "
                         f"got values from {ids.min()} to {ids.max()}")


def require_mode(where, param):
    """Read and check the 'mode' entry of a bn/dropout parameter dict."""
    mode = param.get("mode", "train")
    if mode not in ("train", "test"):
        raise ValueError(f"{where}: mode must be 'train' or 'test', got {mode!r}")
    return mode


def require_sizes(where, **sizes):
    """Check that each size (a layer's width, a vocabulary, a number of filters) is an int >= 1."""
    for name, size in sizes.items():
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"{where}: {name} must be a positive integer, got {size!r}")


def model_dtype(dtype):
    """A model's dtype as a np.dtype; a TypeError unless it is float32 or float64."""
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype}")
    return np.dtype(dtype)
