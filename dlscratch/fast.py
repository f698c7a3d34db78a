"""Fast twins of exercise functions: the same numbers, computed with less work.

The functions a student writes are the textbook maths in plain numpy. Where that maths is on the
training loop's hot path, this module keeps a twin that computes exactly the same arrays (bit for
bit: tests/test_fast.py runs both side by side) with less work:
  adam                        the same rounding steps per element, in place into one new array,
                              on every core; Solver(update_rule="adam") (or update_rule=
                              optimizations.adam) steps with it, a rule of the user's own is used
                              as it is
  affine_relu_param_backward  a network's first layer: its parameters' gradients without the
  conv_relu_param_backward    input gradient that nothing uses (FullyConnectedNet, ConvNet)
dlscratch.twins.twin_of looks them up in TWINS.

This file stays in the instructors' repository: a student's copy of the course has no twins, so
there the Solver and the models run the code the student wrote.
"""
import os
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

from . import optimizations
from .layers import relu_backward, sandwiches
from .optimizations import _ADAM_DEFAULTS, _start, _state

# split an element-wise update over threads only where each thread gets this many elements;
# numpy releases the GIL inside its loops, so the halves run at once
_MIN_CHUNK = 1 << 16
_THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_pool, _pool_size = None, 0


def _thread_count():
    """The threads numpy's BLAS was told to use (OMP/OPENBLAS/MKL_NUM_THREADS), else the cores."""
    for var in _THREAD_ENV_VARS:
        value = os.environ.get(var, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _forget_pool():
    """Drop the thread pool (a forked child inherits the pool object but not its threads)."""
    global _pool, _pool_size
    _pool, _pool_size = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _in_chunks(function, arrays, *scalars):
    """function(*chunks, *scalars) over equal slices of the flattened arrays, one per thread."""
    global _pool, _pool_size
    flat = [array.reshape(-1) for array in arrays]
    size = flat[0].size
    threads = min(_thread_count(), size // _MIN_CHUNK)
    if threads <= 1:
        function(*flat, *scalars)
        return
    if _pool_size < threads:
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dlscratch-fast")
        _pool_size = threads
    bounds = np.linspace(0, size, threads + 1).astype(int)
    jobs = [_pool.submit(function, *[a[lo:hi] for a in flat], *scalars)
            for lo, hi in zip(bounds[:-1], bounds[1:])]
    wait(jobs)                          # every chunk done (or failed) before anything is raised
    for job in jobs:
        job.result()


def _adam_chunk(w, dw, m, v, out, beta1, beta2, step_size, eps_hat):
    """One Adam step on a slice, written into out, with optimizations.adam's rounding steps."""
    np.multiply(dw, 1 - beta1, out=out)
    m *= beta1
    m += out
    np.multiply(dw, dw, out=out)
    out *= 1 - beta2
    v *= beta2
    v += out
    np.sqrt(v, out=out)
    out += eps_hat
    np.divide(m, out, out=out)
    out *= -step_size                       # w + (-s) x is w - s x, to the last bit
    out += w


def adam(w, dw, config=None):
    """optimizations.adam's step (same settings, state and numbers) without its temporary arrays,
    threaded."""
    if not _plain_arrays(w, dw, config):
        return optimizations.adam(w, dw, config)
    config = _start("adam", w, dw, config, ("m", "v"), **_ADAM_DEFAULTS)
    lr, eps = float(config["learning_rate"]), float(config["epsilon"])
    beta1, beta2 = float(config["beta1"]), float(config["beta2"])
    m, v = _state(config, "m", w), _state(config, "v", w)
    t = config["t"] = config["t"] + 1
    correction = (1 - beta2 ** t) ** 0.5
    step_size = lr * correction / (1 - beta1 ** t)
    next_w = np.empty_like(w)
    _in_chunks(_adam_chunk, (w, dw, m, v, next_w), beta1, beta2, step_size, eps * correction)
    return next_w, config


def _plain_arrays(w, dw, config, state=("m", "v")):
    """Whether w, dw and the state arrays are separate C-contiguous float arrays of one dtype and
    shape.

    Anything else (mixed precisions, views, state that shares memory with w or dw, something that
    is not an array) goes to the plain rule, which computes it or refuses it with its message.
    C order matters: reshape(-1) of any other layout is a copy, and the state written into it
    would be lost.
    """
    arrays = [w, dw] + [(config or {}).get(key) for key in state]
    arrays = [a for a in arrays if a is not None]
    if not all(isinstance(a, np.ndarray) for a in arrays):
        return False
    if not (w.dtype.kind == "f" and all(a.dtype == w.dtype and a.shape == w.shape
                                        and a.flags.c_contiguous for a in arrays)):
        return False
    kept = arrays[2:]                   # the state the twin updates in place
    return not any(np.may_share_memory(s, other) for i, s in enumerate(kept)
                   for other in arrays[:2] + kept[i + 1:])


def affine_relu_param_backward(dout, cache):
    """sandwiches.affine_relu_param_backward without the input gradient it would drop."""
    (x, w), relu_cache = cache
    da = relu_backward(dout, relu_cache)
    x2d = x.reshape(x.shape[0], -1)            # dw and db exactly as affine_backward makes them
    return x2d.T @ da, da.sum(axis=0)


def conv_relu_param_backward(dout, cache):
    """sandwiches.conv_relu_param_backward without the input gradient (the GEMM and col2im)."""
    (x_shape, w, cols, stride, pad), relu_cache = cache
    da = relu_backward(dout, relu_cache)
    da2d = da.transpose(1, 2, 3, 0).reshape(w.shape[0], -1)    # as conv_backward lays it out
    return (da2d @ cols.T).reshape(w.shape), da2d.sum(axis=1)


# the plain function -> its twin; dlscratch.twins.twin_of looks them up
TWINS = {optimizations.adam: adam,
         sandwiches.affine_relu_param_backward: affine_relu_param_backward,
         sandwiches.conv_relu_param_backward: conv_relu_param_backward}
