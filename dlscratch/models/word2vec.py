"""word2vec: skip-gram and CBOW word vectors, trained with negative sampling or the full softmax.

Both models read an input vector h for every example from the input embeddings W_in and score
words against it with the output embeddings W_out; they differ only in what they read and what
they predict:

    skip-gram  X: a centre word (N,)                     y: one word of its context (N,)
    CBOW       X: the context words (N, C), -1 = none    y: the centre word (N,)

    h = A W_in   with A (N, V) one-hot rows (skip-gram) or the average of the context (CBOW)

Full softmax: p(y | h) = softmax(h W_outᵀ)_y, costing O(V) per example. Negative sampling replaces
it by K binary decisions against words drawn from the noise distribution P(w) ∝ count(w)^0.75:

    loss = -log σ(u_y · h) - Σ_k log σ(-u_k · h)        u_w = W_out[w]

A noise word that happens to be the true word is ignored, as in the original word2vec. The loss
is the mean over the examples. y may also be given as (N, 1 + K): the true word followed by the
noise words to use, which makes the loss a deterministic function (gradient checks need that).
"""
import numpy as np

from .. import embeddings
from .._validate import require_ids, require_sizes
from ..layers import sigmoid, softmax_loss
from ..sparse import RowReader, densify
from .base import Model

LOSSES = ("negative_sampling", "softmax")


def log_sigmoid(x):
    """log σ(x) = -log(1 + e^(-x)), exact for large |x|: min(x, 0) - log(1 + e^(-|x|))."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


class Word2Vec(Model):
    """What skip-gram and CBOW share: the parameters, both losses, evaluation and word queries.

    Parameters: W_in (V, D), the word vectors, initialised uniform in ±0.5/D as in word2vec, and
    W_out (V, D), the output vectors, initialised to zero (W_in already breaks the symmetry).
    word_counts (V,) sets the noise distribution (uniform if None); vocab (a Vocabulary of words, see
    dlscratch.data.vocabulary) lets the queries take words instead of ids.
    """

    metric_name = "loss"
    higher_is_better = False

    def __init__(self, vocab_size, embed_dim=100, loss="negative_sampling", num_negative=5,
                 word_counts=None, vocab=None, dtype=np.float32, seed=None):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if vocab is not None and len(vocab) != vocab_size:
            raise ValueError(f"the vocabulary has {len(vocab)} words but vocab_size is {vocab_size}")
        if num_negative < 1:
            raise ValueError(f"num_negative must be at least 1, got {num_negative}")
        require_sizes(type(self).__name__, vocab_size=vocab_size, embed_dim=embed_dim)
        self.vocab_size, self.embed_dim = vocab_size, embed_dim
        self.loss_type, self.num_negative = loss, num_negative
        self.vocab = vocab
        super().__init__(dtype, seed)
        self.noise = NoiseSampler(word_counts if word_counts is not None else np.ones(vocab_size))
        if len(self.noise.probabilities) != vocab_size:
            raise ValueError(f"word_counts has {len(self.noise.probabilities)} entries, "
                             f"expected vocab_size = {vocab_size}")
        bound = 0.5 / embed_dim
        self.params = {
            "W_in": self.rng.uniform(-bound, bound, (vocab_size, embed_dim)).astype(self.dtype),
            "W_out": np.zeros((vocab_size, embed_dim), dtype=self.dtype),
        }

    # --------------------------------------------------------------------------------------------
    # What the two architectures define
    # --------------------------------------------------------------------------------------------

    def _reader(self, X):
        """The lookup A of the input vectors: X -> RowReader with N examples."""
        raise NotImplementedError

    def _check_inputs(self, X):
        """Raise a clear error unless X has the shape and ids this architecture expects."""
        raise NotImplementedError

    # --------------------------------------------------------------------------------------------
    # Loss and gradients
    # --------------------------------------------------------------------------------------------

    def loss(self, X, y=None):
        """Scores over the vocabulary (N, V) when y is None, else (loss, grads keyed like params)."""
        if y is None:
            reader = self._reader(self._check_inputs(X))
            return reader.read(self.params["W_in"]) @ self.params["W_out"].T
        loss, grads = self.sparse_loss(X, y)
        return loss, {name: densify(grad) for name, grad in grads.items()}

    def sparse_loss(self, X, y):
        """As loss(X, y), but W_in's (and, with negative sampling, W_out's) gradient is a RowGradient
        holding only the rows the batch touched: the Solver updates just those rows with sgd."""
        X = self._check_inputs(X)
        targets = self._targets(y, len(X))
        loss, cache = self._forward(X, targets)
        return loss, self._backward(cache)

    def _targets(self, y, n):
        """Softmax: the labels (N,). Negative sampling: (N, 1 + K) true word then noise words."""
        y = np.asarray(y)
        shape = (n, 1 + self.num_negative) if self.loss_type == "negative_sampling" and y.ndim == 2 else (n,)
        require_ids(type(self).__name__, "y", y, shape, self.vocab_size)
        if self.loss_type == "negative_sampling" and y.ndim == 1:
            y = np.concatenate([y[:, None], self.noise.sample((n, self.num_negative), self.rng)], axis=1)
        return y

    def _forward(self, X, targets):
        """The mean loss over the examples, and what the backward pass needs."""
        W_in, W_out = self.params["W_in"], self.params["W_out"]
        reader = self._reader(X)
        ### BEGIN SOLUTION
        h = reader.read(W_in)                                            # (N, D)
        if self.loss_type == "softmax":
            loss, dscores = softmax_loss(h @ W_out.T, targets)
            return loss, (reader, h, targets, dscores)
        u = W_out[targets]                                               # (N, 1 + K, D)
        scores = np.einsum("nd,nkd->nk", h, u)
        # +1 for the true word, -1 for a noise word, 0 for noise equal to the true word (ignored)
        signs = np.where(targets == targets[:, :1], 0, -1).astype(h.dtype)
        signs[:, 0] = 1
        signed = signs * scores
        loss = np.sum(np.abs(signs) * -log_sigmoid(signed)) / len(X)
        ### END SOLUTION
        return loss, (reader, h, targets, (signs, signed))

    def _backward(self, cache):
        """Gradients of every parameter: W_in as a RowGradient, W_out as one too (negative
        sampling) or a dense array (softmax, where every output vector gets a gradient)."""
        reader, h, targets, saved = cache
        W_out = self.params["W_out"]
        ### BEGIN SOLUTION
        if self.loss_type == "softmax":
            dscores = saved                                              # (N, V)
            dh = dscores @ W_out
            return {"W_in": reader.gradient(dh), "W_out": dscores.T @ h}
        signs, signed = saved
        # d/ds of -|sign|·log σ(sign·s) is -sign·σ(-sign·s)
        dscores = signs * sigmoid(-signed) * h.dtype.type(-1 / len(h))    # (N, 1 + K)
        # With B (N, V) holding dscores[n, k] in column targets[n, k] of row n, the scores'
        # gradients flow back as dh = B W_out (dh[n] = Σ_k dscores[n, k] u_k) and dW_out = Bᵀ h.
        n, k = targets.shape
        B = RowReader(targets.ravel(), np.repeat(np.arange(n), k), dscores.ravel(), n,
                      self.vocab_size)
        dh = B.read(W_out)
        return {"W_in": reader.gradient(dh), "W_out": B.gradient(h)}
        ### END SOLUTION

    def evaluate(self, X, y, batch_size=1000):
        """The mean loss on (X, y) with the same noise words on every call (a validation metric)."""
        noise_rng = np.random.default_rng(0)
        total = 0.0
        for start in range(0, len(X), batch_size):
            X_batch, y_batch = self._check_inputs(X[start:start + batch_size]), y[start:start + batch_size]
            if self.loss_type == "negative_sampling" and np.ndim(y_batch) == 1:
                noise = self.noise.sample((len(y_batch), self.num_negative), noise_rng)
                y_batch = np.concatenate([np.asarray(y_batch)[:, None], noise], axis=1)
            total += self._forward(X_batch, self._targets(y_batch, len(X_batch)))[0] * len(X_batch)
        return total / max(len(X), 1)

    # --------------------------------------------------------------------------------------------
    # The word vectors and what to ask them
    # --------------------------------------------------------------------------------------------

    @property
    def word_vectors(self):
        """The learned vectors, one row per word id: W_in (V, D)."""
        return self.params["W_in"]

    def _require_vocab(self):
        if self.vocab is None:
            raise ValueError("this model has no vocabulary: pass vocab=Vocabulary.from_sentences(...) to the constructor")
        return self.vocab

    def most_similar(self, word, k=10):
        """The k words closest to `word` by cosine similarity, as (word, similarity) pairs."""
        return embeddings.most_similar(self.word_vectors, self._require_vocab(), word, k)

    def analogy(self, a, b, c, k=1):
        """a is to b as c is to ...? The k best answers by 3CosAdd, as (word, similarity) pairs."""
        return embeddings.analogy(self.word_vectors, self._require_vocab(), a, b, c, k)

    def analogy_accuracy(self, questions):
        """Accuracy per section and in total over analogy questions (see embeddings.analogy_accuracy)."""
        return embeddings.analogy_accuracy(self.word_vectors, self._require_vocab(), questions)

    def similarity_correlation(self, pairs):
        """Spearman correlation of cosine similarities with human scores (embeddings.similarity_correlation)."""
        return embeddings.similarity_correlation(self.word_vectors, self._require_vocab(), pairs)


class SkipGram(Word2Vec):
    """Skip-gram: predict a context word from the centre word. X (N,) centre ids, y (N,) context ids."""

    def _check_inputs(self, X):
        X = np.asarray(X)
        require_ids("SkipGram", "X (centre-word ids)", X, ("N",), self.vocab_size)
        return X

    def _reader(self, X):
        n = len(X)
        return RowReader(X, np.arange(n), np.ones(n, dtype=self.dtype), n, self.vocab_size)


class CBOW(Word2Vec):
    """Continuous bag of words: predict the centre word from the mean of its context vectors.

    X (N, C) context ids, padded with -1 (every row needs at least one word); y (N,) centre ids.
    """

    def _check_inputs(self, X):
        X = np.asarray(X)
        padding_as_zero = np.where(X == -1, 0, X) if np.issubdtype(X.dtype, np.integer) else X
        require_ids("CBOW", "X (context ids, -1 = none)", padding_as_zero, ("N", "C"),
                     self.vocab_size)
        if len(X) and not np.all(np.any(X >= 0, axis=1)):
            raise ValueError("every CBOW example needs at least one context word (ids >= 0; -1 pads)")
        return X

    def _reader(self, X):
        owners, slots = np.nonzero(X >= 0)
        counts = np.bincount(owners, minlength=len(X)).astype(self.dtype)
        return RowReader(X[owners, slots], owners, 1 / counts[owners], len(X), self.vocab_size)


class NoiseSampler:
    """Draws noise words with P(w) ∝ count(w)^0.75, the distribution of word2vec's negative sampling.

    Walker's alias method makes each draw cost O(1) whatever the vocabulary size: every word owns
    one of V equally likely slots; the slot keeps its word with probability keep[slot] and hands the
    draw to alias[slot] otherwise. The table is built so that the result follows P exactly.
    """

    def __init__(self, counts, power=0.75):
        counts = np.asarray(counts, dtype=np.float64)
        if counts.ndim != 1 or np.any(counts < 0) or not counts.sum() > 0:
            raise ValueError("word counts must be a non-negative vector with a positive sum")
        weights = counts ** power
        self.probabilities = weights / weights.sum()
        self.keep, self.alias = alias_table(self.probabilities)

    def sample(self, shape, rng):
        """Word ids of the given shape, drawn independently from the noise distribution."""
        slots = rng.integers(0, len(self.keep), size=shape)
        return np.where(rng.random(shape) < self.keep[slots], slots, self.alias[slots])


def alias_table(probabilities):
    """Walker's alias table for a distribution (V,): -> keep (V,) probabilities, alias (V,) ids."""
    n = len(probabilities)
    share = probabilities * n                       # each slot holds 1 unit of probability
    keep, alias = np.ones(n), np.arange(n)
    under = [i for i in range(n) if share[i] < 1]
    over = [i for i in range(n) if share[i] >= 1]
    while under and over:
        small, large = under.pop(), over.pop()
        keep[small], alias[small] = share[small], large      # the rest of small's slot goes to large
        share[large] -= 1 - share[small]
        (under if share[large] < 1 else over).append(large)
    return keep, alias
