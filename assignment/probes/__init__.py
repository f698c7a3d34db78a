"""Probes: what the grader asks a submission to compute, and how it judges the answers.

A probe is one case of one exercise: a function `run(rng)` that calls the package's code on
inputs drawn from rng and returns a flat dict of named arrays. The grader runs every case twice
with the same seed: once in a sandboxed worker against the submission, once against the
instructors' solution. Only arrays cross back (an .npz file read without pickle), and the case's
judge, in the grader's own process, compares the submission's arrays with the solution's.

This package is imported in three places: by the worker inside the sandbox (with the submission's
dlscratch on sys.path), by the worker that computes the reference (the solution's dlscratch), and
by the grader, which only reads CASES and the judges: nothing here imports dlscratch at import time.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

REPOSITORY = Path(".")   # the repository whose package the worker runs; set by the worker


@dataclass(frozen=True)
class Case:
    exercise: str
    name: str
    run: Callable       # rng -> {name: array}; runs in the worker
    judge: Callable     # (submission's outputs, reference outputs) -> None if right, else why
    cpu_seconds: float = None   # a budget of its own (on the reference machine): a case that
                                # checks speed runs alone in a worker limited to this much
    weight: float = 1.0         # its share of the exercise's points, relative to the others


CASES = {}   # exercise id -> [Case, ...] in the order they run


def probe(exercise, judge=None, cpu_seconds=None, weight=1.0):
    """Register the decorated function as a case of `exercise` (judged by `judge`, default close;
    with cpu_seconds, it runs alone with that CPU budget; weight: its share of the points)."""
    def register(run):
        CASES.setdefault(exercise, []).append(Case(exercise, run.__name__, run, judge or close,
                                                   cpu_seconds, weight))
        return run
    return register


# ------------------------------------------------------------------------------------------------
# Judges: they run in the grader's process on plain arrays
# ------------------------------------------------------------------------------------------------

TOLERANCE = {np.dtype(np.float64): (1e-5, 1e-7), np.dtype(np.float32): (2e-3, 2e-4)}


def close(student, reference):
    """Every reference array, with the same dtype and shape and equal values up to rounding."""
    for key, expected in reference.items():
        if key not in student:
            return f"no value for {key!r}"
        why = _differs(key, student[key], expected)
        if why:
            return why
    return None


def _differs(key, got, expected):
    """Why `got` is not `expected` (None when it is): dtype, shape, then values."""
    if got.dtype != expected.dtype:
        return f"{key} has dtype {got.dtype}, expected {expected.dtype}"
    if got.shape != expected.shape:
        return f"{key} has shape {got.shape}, expected {expected.shape}"
    if expected.dtype.kind not in "fc":
        return None if np.array_equal(got, expected) else f"{key} differs from the reference"
    rtol, atol = TOLERANCE.get(expected.dtype, (1e-5, 1e-7))
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    if not np.allclose(got, expected, rtol=rtol, atol=atol * scale, equal_nan=True):
        with np.errstate(invalid="ignore"):
            error = np.max(np.abs(got - expected), initial=0.0)
        return f"{key} differs from the reference (largest difference {error:.3g})"
    return None


def only(*keys):
    """A judge that compares just these outputs (the others are there for another judge)."""
    def judge(student, reference):
        return close(student, {key: reference[key] for key in keys})
    return judge


# ------------------------------------------------------------------------------------------------
# Helpers for the cases: they run in the worker
# ------------------------------------------------------------------------------------------------

def randn(rng, *shape, dtype=np.float64):
    """Standard normal numbers of the given shape and dtype."""
    return rng.standard_normal(shape).astype(dtype)


def untouched(name, before, after):
    """An output that tells the judge whether an input was modified: {name_changed: 0 or 1}."""
    return {f"{name}_changed": np.array(not np.array_equal(before, after, equal_nan=True))}


def named(prefix, out, grads):
    """{prefix_out: out, prefix_d0: first gradient, ...}: a call's results, for a case that also
    checks the inputs were left alone (the flags alone would pass code that computes nothing)."""
    grads = grads if isinstance(grads, tuple) else (grads,)
    return {f"{prefix}_out": out, **{f"{prefix}_d{i}": g for i, g in enumerate(grads)}}


from . import layers, conv, recurrent, models, notebooks, transformer  # noqa: E402,F401  (they fill CASES)
