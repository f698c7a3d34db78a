"""Gradients that touch only a few rows of a big matrix, as word-embedding gradients do.

A minibatch of a few thousand (word, context) pairs touches a few thousand of the rows of a
(V, D) embedding matrix; the gradient is zero everywhere else. `RowGradient` stores just the touched
rows, so that a plain SGD step can update them in place instead of rewriting the whole matrix
(`apply`, which the Solver calls for any gradient that has it), and `to_dense()` gives the full
matrix the contract asks `loss` to return.

Summing the contributions of repeated ids is a product with a sparse matrix: if A (N, V) holds
the weight with which example n reads row v, the forward pass is h = A W and the gradient is
dW = Aᵀ dh. scipy.sparse computes that product in compiled code, many times faster than
np.add.at (the notebook 06 compares them).
"""
import numpy as np
from scipy import sparse

from .optimizations import sgd


class RowGradient:
    """A (V, D) gradient that is zero except in `rows` (u,), sorted and distinct, holding `values` (u, D)."""

    __slots__ = ("rows", "values", "shape")

    def __init__(self, rows, values, shape):
        self.rows, self.values, self.shape = rows, values, tuple(shape)

    @property
    def dtype(self):
        return self.values.dtype

    def to_dense(self):
        """The full (V, D) array."""
        dense = np.zeros(self.shape, dtype=self.values.dtype)
        dense[self.rows] = self.values
        return dense

    def apply(self, w, update_rule, config):
        """One step of update_rule on w with this gradient: (next_w, config).

        sgd updates the touched rows in place, the same step without the zeros; any other rule
        (whose state moves every row, as momentum's does) gets the full gradient.
        """
        if update_rule is not sgd:
            return update_rule(w, self.to_dense(), config)
        config.setdefault("learning_rate", 1e-2)
        w[self.rows] -= w.dtype.type(config["learning_rate"]) * self.values
        return w, config

    def __mul__(self, factor):
        """The gradient times a scalar, still a RowGradient."""
        return RowGradient(self.rows, self.values * factor, self.shape)

    def squared_norm(self):
        """The sum of the squares of its entries."""
        return float(np.sum(self.values * self.values))

    def __repr__(self):
        return f"RowGradient({len(self.rows)} of {self.shape[0]} rows, dtype={self.dtype})"


def densify(grad):
    """The gradient as a plain array (a RowGradient is expanded, arrays pass through)."""
    return grad.to_dense() if isinstance(grad, RowGradient) else grad


class RowReader:
    """The sparse matrix A (N, V) of a lookup h = A W: example owners[e] reads row ids[e] with weights[e].

    Only the touched rows of W are ever read or written: A is stored with compact columns, one per
    distinct id, so both products cost O(entries · D) whatever V is.
    """

    def __init__(self, ids, owners, weights, num_examples, num_rows):
        """ids, owners, weights (n,): entry e adds weights[e] · W[ids[e]] to example owners[e];
        owners must be sorted (non-decreasing), as they are when the entries are listed example
        by example."""
        self.num_rows = num_rows
        self.rows = np.flatnonzero(np.bincount(ids, minlength=num_rows))
        column = np.empty(num_rows, dtype=np.intp)
        column[self.rows] = np.arange(len(self.rows))
        # compressed sparse rows built directly: example n's entries are row_starts[n]:row_starts[n+1]
        row_starts = np.zeros(num_examples + 1, dtype=np.intp)
        np.cumsum(np.bincount(owners, minlength=num_examples), out=row_starts[1:])
        self.matrix = sparse.csr_matrix((weights, column[ids], row_starts),
                                        shape=(num_examples, len(self.rows)))

    def read(self, W):
        """h = A W: W (V, D) -> (N, D)."""
        return np.asarray(self.matrix @ W[self.rows])

    def gradient(self, dh):
        """dW = Aᵀ dh as a RowGradient: dh (N, D) -> (V, D) with only the touched rows stored."""
        values = np.asarray(self.matrix.T @ dh).astype(dh.dtype, copy=False)
        return RowGradient(self.rows, values, (self.num_rows, dh.shape[1]))
