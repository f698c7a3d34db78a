"""An encoder-decoder (sequence-to-sequence) model with optional attention.

    source ids (N, Ts) -> embedding -> encoder LSTM/GRU -> encoder states (N, Ts, H)
                                                      \\-> final state
    <start> + target (N, Tt) -> embedding -> decoder LSTM/GRU, started from the final state
                                          -> decoder states (N, Tt, H)
    attention=True:  query = decoder states W_q + b_q
                     context = attention(query, keys = values = encoder states)
                     hidden = tanh([decoder state; context] W_c + b_c)     (N, Tt, H)
    attention=False: hidden = decoder states
    scores = hidden W_out + b_out  (N, Tt, target_vocab_size)

Token ids follow a Vocabulary with SEQUENCE_SPECIALS (dlscratch.data.vocabulary): <pad> = 0,
<start> = 1, <end> = 2. Rows of X
and y are padded with <pad> on the right; each target row ends with <end>.

Padding never matters. The recurrences hold a sequence's state unchanged at its padded positions,
so the encoder's final state is the state after the sequence's last real token (and for an LSTM
both h and c are handed to the decoder); padded source positions get an attention weight of
exactly 0, and padded target positions are left out of the loss. A padded batch therefore gives
every sequence the same outputs and gradients as it would get alone.

The decoder is trained with teacher forcing: at step t it reads the true token t - 1 (<start> at
t = 0) and predicts token t. At test time it reads its own previous prediction: `translate` decodes
greedily or with beam search.
"""
import math

import numpy as np

from .._validate import require_ids, require_sizes
from ..layers import (attention_backward, attention_forward, attention_weights, log_softmax,
                      recurrence_backward, recurrence_forward, tanh_backward, tanh_forward,
                      temporal_affine_backward, temporal_affine_forward, temporal_softmax_loss,
                      word_embedding_backward, word_embedding_forward)
from ..data.vocabulary import SEQUENCE_SPECIALS, Vocabulary
from ..layers.recurrent import RECURRENCES
from .base import Model

PAD_ID, START_ID, END_ID = range(3)      # the order of SEQUENCE_SPECIALS


def _check_vocabulary(name, vocab, size):
    """A Seq2Seq vocabulary must number <pad>, <start>, <end> 0, 1, 2 and have `size` ids."""
    if vocab is None:
        return
    if not isinstance(vocab, Vocabulary) or vocab.specials[:3] != SEQUENCE_SPECIALS[:3]:
        raise ValueError(f"Seq2Seq: {name} must be a Vocabulary whose ids 0, 1, 2 are <pad>, "
                         "<start>, <end> (Vocabulary.from_pairs or specials=SEQUENCE_SPECIALS); "
                         f"got {vocab!r}")
    if len(vocab) != size:
        raise ValueError(f"Seq2Seq: {name} has {len(vocab)} ids but its vocab size is {size}")


# the recurrences Seq2Seq offers; each is read from the one table of dlscratch.layers.recurrent
CELL_TYPES = ("gru", "lstm")


class Seq2Seq(Model):
    """Translates id sequences: source ids (N, Ts) -> target ids, trained with teacher forcing.

    Parameters: W_src (Vs, E), W_tgt (Vt, E) embeddings; Wx_enc (E, kH), Wh_enc (H, kH), b_enc (kH,)
    and Wx_dec, Wh_dec, b_dec of the two recurrent layers (k = 4 for 'lstm', 3 for 'gru');
    with attention, W_q (H, H), b_q (H,) of the query and W_c (2H, H), b_c (H,) of the
    combination layer; W_out (H, Vt), b_out (Vt,).

    The loss is the cross-entropy per target token (the <end> token included, padding left out).
    The validation metric is the exact-match accuracy of greedy translations: the fraction of
    sequences whose every token, up to and including <end>, is right.
    """

    metric_name = "exact-match accuracy"
    higher_is_better = True

    def __init__(self, source_vocab_size, target_vocab_size, wordvec_dim=32, hidden_dim=64,
                 cell_type="lstm", attention=True, dtype=np.float32, seed=None, source_vocab=None,
                 target_vocab=None):
        """source_vocab, target_vocab: optional Vocabulary objects with SEQUENCE_SPECIALS (as
        Vocabulary.from_pairs makes them), of the two sizes; with them `translate` takes and
        returns strings."""
        for name, vocab, size in (("source_vocab", source_vocab, source_vocab_size),
                                  ("target_vocab", target_vocab, target_vocab_size)):
            _check_vocabulary(name, vocab, size)
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        if cell_type not in CELL_TYPES:
            raise ValueError(f"cell_type must be one of {sorted(CELL_TYPES)}, got {cell_type!r}")
        for name, size in (("source_vocab_size", source_vocab_size),
                           ("target_vocab_size", target_vocab_size)):
            if not isinstance(size, (int, np.integer)) or size <= END_ID:
                raise ValueError(f"{name} must be an int > {END_ID} (ids 0-{END_ID} are <pad>, "
                                 f"<start>, <end>), got {size!r}")
        self.source_vocab_size = int(source_vocab_size)
        self.target_vocab_size = int(target_vocab_size)
        require_sizes("Seq2Seq", wordvec_dim=wordvec_dim, hidden_dim=hidden_dim)
        self.wordvec_dim, self.hidden_dim = wordvec_dim, hidden_dim
        self.cell_type, self.attention = cell_type, bool(attention)
        super().__init__(dtype, seed)
        self.params = self._initial_params()

    def _initial_params(self):
        """Gaussian weights scaled by 1/√fan-in, zero biases; an LSTM's forget gates start open."""
        E, H, gates = self.wordvec_dim, self.hidden_dim, RECURRENCES[self.cell_type].gates
        params = {"W_src": self._gaussian((self.source_vocab_size, E), std=1.0),
                  "W_tgt": self._gaussian((self.target_vocab_size, E), std=1.0)}
        for side in ("enc", "dec"):
            params[f"Wx_{side}"] = self._gaussian((E, gates * H), std=1 / math.sqrt(E))
            params[f"Wh_{side}"] = self._gaussian((H, gates * H), std=1 / math.sqrt(H))
            params[f"b_{side}"] = np.zeros(gates * H, dtype=self.dtype)
            if self.cell_type == "lstm":
                params[f"b_{side}"][H:2 * H] = 1     # σ(1) ≈ 0.73: remember by default
        if self.attention:
            params["W_q"] = self._gaussian((H, H), std=1 / math.sqrt(H))
            params["b_q"] = np.zeros(H, dtype=self.dtype)
            params["W_c"] = self._gaussian((2 * H, H), std=1 / math.sqrt(2 * H))
            params["b_c"] = np.zeros(H, dtype=self.dtype)
        params["W_out"] = self._gaussian((H, self.target_vocab_size), std=1 / math.sqrt(H))
        params["b_out"] = np.zeros(self.target_vocab_size, dtype=self.dtype)
        return params


    def _weights(self, side):
        """(Wx, Wh, b) of the encoder ('enc') or the decoder ('dec')."""
        return tuple(self.params[f"{name}_{side}"] for name in ("Wx", "Wh", "b"))

    def _zero_state(self, N):
        """The encoder's initial state: a tuple of (N, H) zero arrays."""
        count = RECURRENCES[self.cell_type].states
        return tuple(np.zeros((N, self.hidden_dim), dtype=self.dtype) for _ in range(count))

    # --------------------------------------------------------------------------------------------
    # Forward and backward passes
    # --------------------------------------------------------------------------------------------

    def _encode(self, X):
        """Encoder states (N, Ts, H), the final state and the caches for source ids X (N, Ts)."""
        source_mask = X != PAD_ID
        ### BEGIN SOLUTION
        embedded, embed_cache = word_embedding_forward(X, self.params["W_src"])
        states, final, rnn_cache = recurrence_forward(embedded, self._zero_state(len(X)),
                                                      *self._weights("enc"), self.cell_type,
                                                      mask=source_mask)
        ### END SOLUTION
        return states, final, (embed_cache, rnn_cache)

    def _decode(self, decoder_input, state, encoder_states, source_mask):
        """Scores (N, T, Vt) for decoder input ids (N, T) from `state`, the final state, the caches.

        encoder_states (N, Ts, H) and source_mask (N, Ts) are what attention looks at.
        """
        p = self.params
        query_cache = attention_cache = combine_cache = tanh_cache = None
        ### BEGIN SOLUTION
        embedded, embed_cache = word_embedding_forward(decoder_input, p["W_tgt"])
        hidden, final, rnn_cache = recurrence_forward(embedded, state, *self._weights("dec"),
                                                      self.cell_type)
        if self.attention:
            query, query_cache = temporal_affine_forward(hidden, p["W_q"], p["b_q"])
            context, attention_cache = attention_forward(query, encoder_states, encoder_states,
                                                         source_mask)
            combined, combine_cache = temporal_affine_forward(
                np.concatenate([hidden, context], axis=2), p["W_c"], p["b_c"])
            hidden, tanh_cache = tanh_forward(combined)
        scores, out_cache = temporal_affine_forward(hidden, p["W_out"], p["b_out"])
        ### END SOLUTION
        caches = (embed_cache, rnn_cache, query_cache, attention_cache, combine_cache, tanh_cache,
                  out_cache)
        return scores, final, caches

    def _forward(self, X, decoder_input):
        """Scores (N, Tt, Vt) for source ids X (N, Ts) and decoder input ids (N, Tt); the caches."""
        ### BEGIN SOLUTION
        encoder_states, final, encoder_cache = self._encode(X)
        scores, _, decoder_cache = self._decode(decoder_input, final, encoder_states, X != PAD_ID)
        ### END SOLUTION
        return scores, (encoder_cache, decoder_cache, encoder_states.shape)

    def _backward(self, dscores, cache):
        """Gradients of every parameter given dscores (N, Tt, Vt) and the caches of _forward."""
        (src_embed_cache, encoder_cache), decoder_cache, encoder_shape = cache
        (tgt_embed_cache, decoder_rnn_cache, query_cache, attention_cache, combine_cache,
         tanh_cache, out_cache) = decoder_cache
        grads = {}
        dencoder_states = np.zeros(encoder_shape, dtype=dscores.dtype)
        ### BEGIN SOLUTION
        dhidden, grads["W_out"], grads["b_out"] = temporal_affine_backward(dscores, out_cache)
        if self.attention:
            dcombined = tanh_backward(dhidden, tanh_cache)
            dconcat, grads["W_c"], grads["b_c"] = temporal_affine_backward(dcombined, combine_cache)
            H = self.hidden_dim
            dhidden, dcontext = dconcat[..., :H], dconcat[..., H:]
            dquery, dkeys, dvalues = attention_backward(dcontext, attention_cache)
            dhidden_via_query, grads["W_q"], grads["b_q"] = temporal_affine_backward(dquery,
                                                                                     query_cache)
            dhidden = dhidden + dhidden_via_query
            dencoder_states += dkeys + dvalues
        # the decoder's final state reaches nothing: its gradient is zero (None)
        dembedded, dstate, grads["Wx_dec"], grads["Wh_dec"], grads["b_dec"] = \
            recurrence_backward(dhidden, None, decoder_rnn_cache)
        grads["W_tgt"] = word_embedding_backward(dembedded, tgt_embed_cache)
        # the decoder started from the encoder's final state: its gradient flows back into it
        dembedded, _, grads["Wx_enc"], grads["Wh_enc"], grads["b_enc"] = \
            recurrence_backward(dencoder_states, dstate, encoder_cache)
        grads["W_src"] = word_embedding_backward(dembedded, src_embed_cache)
        ### END SOLUTION
        return grads

    # --------------------------------------------------------------------------------------------
    # Input checks
    # --------------------------------------------------------------------------------------------

    def _check_source(self, X):
        """X as an int array (N, Ts) of source ids in which every row has a non-<pad> token."""
        X = np.asarray(X)
        require_ids("Seq2Seq", "X", X, ("N", "Ts"), self.source_vocab_size)
        empty = np.flatnonzero(~(X != PAD_ID).any(axis=1))
        if empty.size:
            raise ValueError(f"Seq2Seq: source rows {empty[:10].tolist()} hold only <pad> "
                             f"(id {PAD_ID}); every source needs at least one token")
        return X

    def _check_target(self, y, N):
        """y as an int array (N, Tt) of target ids, Tt >= 1."""
        y = np.asarray(y)
        require_ids("Seq2Seq", "y", y, (N, "Tt"), self.target_vocab_size)
        if y.shape[1] == 0:
            raise ValueError("Seq2Seq: y needs at least one column (the <end> token)")
        return y

    # --------------------------------------------------------------------------------------------
    # Loss
    # --------------------------------------------------------------------------------------------

    @staticmethod
    def decoder_input(y):
        """Teacher forcing: <start> followed by y without its last column, (N, Tt) -> (N, Tt)."""
        return np.concatenate([np.full((len(y), 1), START_ID, dtype=y.dtype), y[:, :-1]], axis=1)

    def loss(self, X, y=None):
        """(loss per target token, grads keyed like params); without y, the test-time scores.

        X (N, Ts) source ids, y (N, Tt) target ids ending in <end>, both padded with <pad>.
        Without y: the scores (N, Ts + 10, Vt) of the model's own greedy translation; at each
        step, the argmax over the ids other than <pad> and <start> is the token it chose.
        """
        X = self._check_source(X)
        if y is None:
            tokens, _ = self._search(X, beam_width=1, max_length=X.shape[1] + 10)
            return self._forward(X, self.decoder_input(tokens))[0]
        y = self._check_target(y, len(X))
        scores, cache = self._forward(X, self.decoder_input(y))
        mask = y != PAD_ID
        loss, dscores = temporal_softmax_loss(scores, y, mask)
        # temporal_softmax_loss sums over time and averages over N; rescale to a mean per token
        per_token = len(X) / max(int(mask.sum()), 1)
        dscores *= self.dtype.type(per_token)
        return loss * per_token, self._backward(dscores, cache)

    def log_likelihood(self, X, y):
        """log p(y | X) of every row, (N,): the sum over y's non-<pad> tokens, <end> included."""
        X = self._check_source(X)
        y = self._check_target(y, len(X))
        log_probs = log_softmax(self._forward(X, self.decoder_input(y))[0].astype(np.float64))
        picked = np.take_along_axis(log_probs, y[..., None], axis=2)[..., 0]
        return np.sum(picked * (y != PAD_ID), axis=1)

    # --------------------------------------------------------------------------------------------
    # Decoding
    # --------------------------------------------------------------------------------------------

    def _search(self, X, beam_width, max_length):
        """Beam search over the target for every row of X (N, Ts); beam_width 1 is greedy decoding.

        A hypothesis scores the sum of the log-probabilities of its tokens (no length
        normalisation); <pad> and <start> are never generated. Returns the best hypothesis of
        every row as ids (N, T), T <= max_length, with <end> and then <pad> once it has ended,
        and its attention weights (N, T, Ts) (None without attention).
        """
        N, Ts = X.shape
        B, V = beam_width, self.target_vocab_size
        encoder_states, state, _ = self._encode(X)
        # each row becomes B hypotheses, rows n*B ... n*B + B - 1 of the decoder's batch
        encoder_states, source_mask = np.repeat(encoder_states, B, 0), np.repeat(X != PAD_ID, B, 0)
        state = tuple(np.repeat(s, B, axis=0) for s in state)
        scores = np.full((N, B), -np.inf)
        scores[:, 0] = 0                      # one hypothesis to start with, not B identical ones
        tokens = np.zeros((N, B, 0), dtype=np.int64)
        weights = np.zeros((N, B, 0, Ts))
        ended = np.zeros((N, B), dtype=bool)
        previous = np.full(N * B, START_ID, dtype=np.int64)
        # <pad> and <start> are never generated; a hypothesis that has ended can only go on with
        # <pad>, at no cost
        never = np.zeros(V)
        never[[PAD_ID, START_ID]] = -np.inf
        after_end = np.full(V, -np.inf)
        after_end[PAD_ID] = 0
        for _ in range(max_length):
            step_scores, state, cache = self._decode(previous[:, None], state, encoder_states,
                                                     source_mask)
            log_probs = log_softmax(step_scores[:, 0].astype(np.float64)).reshape(N, B, V)
            ### BEGIN SOLUTION
            log_probs = np.where(ended[..., None], after_end, log_probs + never)
            candidates = (scores[..., None] + log_probs).reshape(N, B * V)
            best = np.argsort(-candidates, axis=1, kind="stable")[:, :B]     # (N, B), best first
            scores = np.take_along_axis(candidates, best, axis=1)
            parent, token = np.divmod(best, V)
            tokens = np.concatenate([_pick_beams(tokens, parent), token[..., None]], axis=2)
            ended = _pick_beams(ended, parent) | (token == END_ID)
            state = tuple(_pick_beams(s.reshape(N, B, -1), parent).reshape(N * B, -1)
                          for s in state)
            if self.attention:
                step_weights = attention_weights(cache[3]).reshape(N, B, 1, Ts)
                weights = np.concatenate([_pick_beams(weights, parent),
                                          _pick_beams(step_weights, parent)], axis=2)
            previous = token.ravel()
            # scores only fall as a hypothesis grows, so once every row's best hypothesis has
            # ended, nothing can overtake it
            if np.all(ended[:, 0] | ~np.isfinite(scores[:, 0])):
                break
            ### END SOLUTION
        return tokens[:, 0], (weights[:, 0] if self.attention else None)

    def _sequences(self, sequences):
        """The source as an int array (N, Ts): a 2-D id array as it is, or id sequences padded."""
        if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
            return self._check_source(sequences)
        rows = [np.asarray(s).ravel() for s in sequences]
        X = np.full((len(rows), max((len(r) for r in rows), default=0)), PAD_ID, dtype=np.int64)
        for row, ids in zip(X, rows):
            if len(ids) and not np.issubdtype(ids.dtype, np.integer):
                raise TypeError(f"Seq2Seq: every sequence must hold integer ids, got {ids.dtype}")
            row[:len(ids)] = ids
        return self._check_source(X)

    def translate(self, sequences, beam_width=1, max_length=50):
        """Translate source sequences, greedily (beam_width 1) or with beam search.

        sequences: a 2-D id array (N, Ts) padded with <pad>, a list of N id sequences, or (for a
        model built with source_vocab and target_vocab) a string or a list of N strings.
        max_length: the most tokens to generate per sequence, <end> included.
        Returns (outputs, attention): outputs is a list of N int arrays, the generated ids without
        <end> (for strings: the N translated strings, or one string for one string given);
        attention is a list of N arrays (len(outputs[n]), number of source tokens of row n), row t
        being the weights output token t gave the source tokens (None without attention).
        """
        if isinstance(sequences, str) or (isinstance(sequences, (list, tuple)) and sequences
                                          and all(isinstance(s, str) for s in sequences)):
            return self._translate_texts(sequences, beam_width, max_length)
        if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
            raise ValueError(f"translate: beam_width must be a positive int, got {beam_width!r}")
        if not isinstance(max_length, (int, np.integer)) or max_length < 1:
            raise ValueError(f"translate: max_length must be a positive int, got {max_length!r}")
        X = self._sequences(sequences)
        tokens, weights = self._search(X, int(beam_width), int(max_length))
        lengths = [_length_before_end(row) for row in tokens]
        outputs = [row[:n] for row, n in zip(tokens, lengths)]
        if weights is None:
            return outputs, None
        real = X != PAD_ID
        return outputs, [w[:n][:, r] for w, n, r in zip(weights, lengths, real)]

    def _translate_texts(self, texts, beam_width, max_length):
        """translate() of strings, through the model's two vocabularies."""
        if self.source_vocab is None or self.target_vocab is None:
            raise ValueError("translate: strings need a model built with source_vocab= and "
                             "target_vocab= (for example from Vocabulary.from_pairs); otherwise "
                             "pass id arrays")
        one = isinstance(texts, str)
        sources = [self.source_vocab.encode(text) for text in ([texts] if one else texts)]
        ids, attention = self.translate(sources, beam_width, max_length)
        outputs = self.target_vocab.decode_batch(ids)
        if one:
            return outputs[0], None if attention is None else attention[0]
        return outputs, attention

    # --------------------------------------------------------------------------------------------
    # Evaluation
    # --------------------------------------------------------------------------------------------

    def _batches(self, X, y, batch_size):
        """(X, y) in checked batches of at most batch_size rows."""
        X = self._check_source(X)
        y = self._check_target(y, len(X))
        for start in range(0, len(X), batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]

    def exact_matches(self, X, y, batch_size=100, beam_width=1):
        """Whether the translation of each row equals y up to and including <end>: bool (N,)."""
        matches = []
        for Xb, yb in self._batches(X, y, batch_size):
            tokens, _ = self._search(Xb, beam_width, max_length=yb.shape[1])
            padded = np.full(yb.shape, PAD_ID, dtype=np.int64)
            padded[:, :tokens.shape[1]] = tokens
            matches.append(np.all(padded == yb, axis=1))
        return np.concatenate(matches) if matches else np.zeros(0, dtype=bool)

    def evaluate(self, X, y, batch_size=100):
        """Exact-match accuracy of greedy translations on (X, y): the Solver's validation metric."""
        matches = self.exact_matches(X, y, batch_size)
        return float(matches.mean()) if matches.size else 0.0

    def token_accuracy(self, X, y, batch_size=100):
        """Fraction of y's non-<pad> tokens predicted right with teacher forcing (true prefix)."""
        right = total = 0
        for Xb, yb in self._batches(X, y, batch_size):
            predicted = np.argmax(self._forward(Xb, self.decoder_input(yb))[0], axis=2)
            real = yb != PAD_ID
            right += int(np.sum((predicted == yb) & real))
            total += int(real.sum())
        return right / max(total, 1)


def _pick_beams(a, parent):
    """The rows a[n, parent[n, j]] for all n, j: a (N, B, ...), parent (N, B) -> (N, B, ...)."""
    return a[np.arange(len(a))[:, None], parent]


def _length_before_end(ids):
    """The number of ids before the first <end> (all of them if there is none)."""
    ends = np.flatnonzero(ids == END_ID)
    return int(ends[0]) if ends.size else len(ids)
