"""What the language models share (RecurrentNet, TransformerLM): the loss per predicted token,
perplexity as the validation metric, bits per token, and drawing the next token when sampling."""
import math

import numpy as np

from ..layers import softmax, temporal_softmax_loss
from .base import Model


class LanguageModel(Model):
    """Base class of the models that predict the next token at every position of ids (N, T).

    Subclasses implement _scores(X) -> (N, T, V), the scores of X read from a fresh start (no
    carried state), and set self.vocab (None, or a vocabulary for text in and out of sample).
    Targets y < 0 mark positions with nothing to predict; they are left out.
    """

    metric_name = "perplexity"
    higher_is_better = False

    def _check_ids(self, X):
        """X as an integer array (N, T), or a ValueError that says what was expected."""
        X = np.asarray(X)
        if X.ndim != 2 or not np.issubdtype(X.dtype, np.integer):
            raise ValueError(f"{type(self).__name__} expects X of shape (N, T) holding integer "
                             f"token ids, got {X.dtype} of shape {X.shape}")
        return X

    @staticmethod
    def _token_loss(scores, y):
        """(mean cross-entropy per predicted token, dscores) for scores (N, T, V), y (N, T)."""
        y = np.asarray(y)
        mask = y >= 0
        num_tokens = max(int(mask.sum()), 1)
        # temporal_softmax_loss sums over time and averages over N; rescale to a mean per token
        loss, dscores = temporal_softmax_loss(scores, np.where(mask, y, 0), mask)
        per_token = len(scores) / num_tokens
        dscores *= scores.dtype.type(per_token)
        return loss * per_token, dscores

    def cross_entropy(self, X, y, batch_size=100):
        """Mean cross-entropy in nats per predicted token on (X, y), each row from a fresh start."""
        X, y = self._check_ids(X), np.asarray(y)
        total, count = 0.0, 0
        for start in range(0, len(X), batch_size):
            Xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            mask = yb >= 0
            loss, _ = temporal_softmax_loss(self._scores(Xb), np.where(mask, yb, 0), mask)
            total += loss * len(Xb)           # the summed cross-entropy of the batch
            count += int(mask.sum())
        if count == 0:
            raise ValueError("cross_entropy: there is no target to predict (every y < 0)")
        return total / count

    def evaluate(self, X, y, batch_size=100):
        """Perplexity exp(cross-entropy) on (X, y): the validation metric (lower is better)."""
        return math.exp(self.cross_entropy(X, y, batch_size))

    def bits_per_token(self, X, y, batch_size=100):
        """Cross-entropy in bits per predicted token (bits per character for a character model)."""
        return self.cross_entropy(X, y, batch_size) / math.log(2)

    def _prime_ids(self, prime, length, temperature):
        """(the prime as ids (T,), whether it was text), after checking sample()'s arguments."""
        is_text = isinstance(prime, str)
        if is_text and self.vocab is None:
            raise ValueError("sample: text needs a vocabulary; build the model with vocab=... or "
                             "pass the prime as ids")
        ids = self.vocab.encode(prime) if is_text else np.asarray(prime, dtype=np.int64).ravel()
        if ids.size == 0:
            raise ValueError("sample: the prime must hold at least one token")
        if temperature < 0 or length < 0:
            raise ValueError(f"sample: temperature and length must be >= 0, got {temperature} "
                             f"and {length}")
        return ids, is_text

    @staticmethod
    def _pick(scores, temperature, rng, top_k=None):
        """One id drawn from softmax(scores / temperature), or the argmax at temperature 0.

        top_k: draw among the k highest scores only (None: among all).
        """
        if temperature == 0:
            return int(np.argmax(scores))
        scores = scores.astype(np.float64) / temperature
        if top_k is not None and top_k < len(scores):
            cut = np.partition(scores, -top_k)[-top_k]
            scores = np.where(scores >= cut, scores, -np.inf)
        probs = softmax(scores)
        return int(rng.choice(len(probs), p=probs / probs.sum()))
