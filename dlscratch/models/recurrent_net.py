"""A language model over characters (or words): embedding -> RNN/LSTM/GRU -> temporal affine.

Trained with truncated backpropagation through time: long text is cut into chunks (see
dlscratch.data.text.stream_chunks), and the hidden state at the end of one training chunk is where the
next one starts. The state is carried as plain numbers, with no gradient flowing back into the
previous chunk.
"""
import math

import numpy as np

from .._validate import require_sizes
from ..layers import (recurrence_backward, recurrence_forward, temporal_affine_backward,
                      temporal_affine_forward, word_embedding_backward, word_embedding_forward)
from ..layers.recurrent import RECURRENCES
from .language_model import LanguageModel


class RecurrentNet(LanguageModel):
    """Predicts the next token at every position: ids (N, T) -> scores (N, T, vocab_size).

    Parameters: W_embed (V, wordvec_dim); Wx (wordvec_dim, kH), Wh (H, kH), b (kH,) of the
    recurrent layer with k = 1, 4, 3 for 'rnn', 'lstm', 'gru'; W_out (H, V), b_out (V,).

    The loss is the cross-entropy per predicted token (nats), so exp(loss) is the perplexity.
    Targets y < 0 mark positions with nothing to predict; they are left out.

    Hidden state across calls: with carry_state=True (the default) every training call,
    loss(X, y), starts from the state the previous training call ended in, provided the batch
    size is the same (else from zeros), and stores its own final state. Feed it chunks laid out by
    stream_chunks with Solver(..., shuffle=False, batch_size=num_streams). reset_state() forgets
    the state. Scoring, loss(X), evaluate() and sample() always start from zeros and leave the
    carried state alone. Set carry_state=False for calls that must not depend on each other,
    such as a gradient check, which evaluates the loss many times on the same batch.
    """

    def __init__(self, vocab_size, wordvec_dim=64, hidden_dim=128, cell_type="lstm",
                 dtype=np.float32, seed=None, carry_state=True, vocab=None):
        """vocab: an optional vocabulary (a dlscratch.data.vocabulary.Vocabulary) of len vocab_size, with
        encode(text) and decode(ids), which lets sample() take and return text."""
        if cell_type not in RECURRENCES:
            raise ValueError(f"cell_type must be one of {sorted(RECURRENCES)}, got {cell_type!r}")
        if vocab is not None and len(vocab) != vocab_size:
            raise ValueError(f"the vocabulary has {len(vocab)} ids but vocab_size is {vocab_size}")
        require_sizes("RecurrentNet", vocab_size=vocab_size, wordvec_dim=wordvec_dim,
                      hidden_dim=hidden_dim)
        self.vocab_size, self.wordvec_dim, self.hidden_dim = vocab_size, wordvec_dim, hidden_dim
        self.cell_type = cell_type
        super().__init__(dtype, seed)
        self.carry_state = carry_state
        self.vocab = vocab
        self._state = None

        gates = RECURRENCES[cell_type].gates
        H = hidden_dim
        self.params = {
            "W_embed": self._gaussian((vocab_size, wordvec_dim), std=1.0),
            "Wx": self._gaussian((wordvec_dim, gates * H), std=1 / math.sqrt(wordvec_dim)),
            "Wh": self._gaussian((H, gates * H), std=1 / math.sqrt(H)),
            "b": np.zeros(gates * H, dtype=self.dtype),
            "W_out": self._gaussian((H, vocab_size), std=1 / math.sqrt(H)),
            "b_out": np.zeros(vocab_size, dtype=self.dtype),
        }
        if cell_type == "lstm":
            # a forget gate that starts open (σ(1) ≈ 0.73) lets memory and gradients last longer
            self.params["b"][H:2 * H] = 1

    # --------------------------------------------------------------------------------------------
    # Hidden state carried between training calls
    # --------------------------------------------------------------------------------------------

    def reset_state(self):
        """Forget the carried hidden state: the next training call starts from zeros."""
        self._state = None

    def _zero_state(self, N):
        """The state of zeros for a batch of N: a tuple (h,) or, for an LSTM, (h, c), each (N, H)."""
        count = RECURRENCES[self.cell_type].states
        return tuple(np.zeros((N, self.hidden_dim), dtype=self.dtype) for _ in range(count))

    def _initial_state(self, N, training):
        """Where a call on N sequences starts: the carried state when it applies, else zeros."""
        state = self._state
        if training and self.carry_state and state is not None and state[0].shape[0] == N:
            return state
        return self._zero_state(N)

    @staticmethod
    def _final_state(cache):
        """The state, (h,) or (h, c), a _forward call ended in."""
        return cache[-1]

    # --------------------------------------------------------------------------------------------
    # Forward and backward passes
    # --------------------------------------------------------------------------------------------

    def _forward(self, X, state):
        """Scores (N, T, V) for ids X (N, T) from the initial state, and the caches.

        state: a tuple (h,) or, for an LSTM, (h, c), each (N, H). The cache ends with the final
        state, a tuple of the same kind.
        """
        p = self.params
        ### BEGIN SOLUTION
        embedded, embed_cache = word_embedding_forward(X, p["W_embed"])
        h, final_state, rnn_cache = recurrence_forward(embedded, state, p["Wx"], p["Wh"], p["b"],
                                                       self.cell_type)
        scores, out_cache = temporal_affine_forward(h, p["W_out"], p["b_out"])
        ### END SOLUTION
        return scores, (embed_cache, rnn_cache, out_cache, final_state)

    def _backward(self, dscores, cache):
        """Gradients of every parameter given dscores (N, T, V) and the forward's caches."""
        embed_cache, rnn_cache, out_cache, _ = cache
        grads = {}
        ### BEGIN SOLUTION
        dh, grads["W_out"], grads["b_out"] = temporal_affine_backward(dscores, out_cache)
        # the final state reaches no loss (None: zero gradient); the initial state's gradient is
        # dropped, as the initial state is a constant carried from the previous chunk
        dembedded, _, grads["Wx"], grads["Wh"], grads["b"] = recurrence_backward(dh, None,
                                                                                 rnn_cache)
        grads["W_embed"] = word_embedding_backward(dembedded, embed_cache)
        ### END SOLUTION
        return grads

    def loss(self, X, y=None):
        """Scores (N, T, V) when y is None; otherwise (loss per token, grads keyed like params).

        X, y: (N, T) integer ids; y holds the next token at each position (< 0: none).
        """
        X = self._check_ids(X)
        training = y is not None
        scores, cache = self._forward(X, self._initial_state(len(X), training))
        if not training:
            return scores
        loss, dscores = self._token_loss(scores, y)
        grads = self._backward(dscores, cache)
        if self.carry_state:
            self._state = self._final_state(cache)
        return loss, grads

    # --------------------------------------------------------------------------------------------
    # Evaluation
    # --------------------------------------------------------------------------------------------

    def _scores(self, X):
        """Scores (N, T, V) for ids X (N, T) from a zero state (evaluation and sampling)."""
        return self._forward(X, self._zero_state(len(X)))[0]

    # --------------------------------------------------------------------------------------------
    # Generation
    # --------------------------------------------------------------------------------------------

    def sample(self, prime, length, temperature=1.0, seed=None):
        """Generate `length` tokens following the non-empty prime.

        prime: text (needs the model's vocab) or a sequence of ids. Each token is drawn from
        softmax(scores / temperature); temperature 0 picks the most likely token every time.
        seed: an int or a np.random.Generator. Returns text when prime is text, else ids (length,).
        """
        ids, is_text = self._prime_ids(prime, length, temperature)
        rng = np.random.default_rng(seed)
        scores, cache = self._forward(ids[None], self._zero_state(1))
        generated = np.empty(length, dtype=np.int64)
        for t in range(length):
            generated[t] = self._pick(scores[0, -1], temperature, rng)
            state = self._final_state(cache)
            scores, cache = self._forward(generated[None, t:t + 1], state)
        return self.vocab.decode(generated) if is_text else generated
