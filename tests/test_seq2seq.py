"""Seq2Seq: gradients, padding, greedy and beam-search decoding, metrics, training, errors."""
import itertools
import math

import numpy as np
import pytest

from dlscratch.data.vocabulary import Vocabulary
from dlscratch.gradient_check import check_model_gradients
from dlscratch.models import Seq2Seq
from dlscratch.solver import Solver

PAD, START, END = 0, 1, 2
VS, VT = 9, 7
CONFIGS = [("lstm", True), ("lstm", False), ("gru", True), ("gru", False)]
CONFIG_IDS = [f"{cell}-{'attention' if attention else 'plain'}" for cell, attention in CONFIGS]


def small_model(cell="lstm", attention=True, dtype=np.float64, seed=0, vt=VT, **kwargs):
    return Seq2Seq(VS, vt, wordvec_dim=4, hidden_dim=5, cell_type=cell, attention=attention,
                   dtype=dtype, seed=seed, **kwargs)


def padded_batch(seed=0):
    """Sources and targets of different lengths, padded on the right; targets end with <end>."""
    r = np.random.default_rng(seed)
    X = r.integers(3, VS, size=(3, 6))
    X[0, 4:], X[1, 2:] = PAD, PAD
    y = r.integers(3, VT, size=(3, 5))
    y[0, 2], y[0, 3:] = END, PAD
    y[1:, 4] = END
    return X, y


def unpadded(row):
    return row[None, :int(np.sum(row != PAD))]


def with_end(outputs):
    """Translations (lists of ids) as a target array: each followed by <end>, then padding."""
    y = np.zeros((len(outputs), max(len(o) for o in outputs) + 1), dtype=np.int64)
    for row, ids in zip(y, outputs):
        row[:len(ids) + 1] = [*ids, END]
    return y


# ------------------------------------------------------------------------------------------------
# Gradients and padding
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, attention", CONFIGS, ids=CONFIG_IDS)
def test_gradients(cell, attention):
    model = small_model(cell, attention, seed=3)
    X, y = padded_batch()
    errors = check_model_gradients(model, X, y, verbose=False)
    assert set(errors) == set(model.params)
    # the largest error over every entry; entries of ~1e-6 reach 1e-5 by rounding alone, while a
    # wrong term gives 1e-2 or worse
    assert max(errors.values()) < 1e-4, errors
    assert np.median(list(errors.values())) < 1e-6, errors


@pytest.mark.parametrize("cell, attention", CONFIGS, ids=CONFIG_IDS)
def test_padding_changes_nothing(cell, attention):
    model = small_model(cell, attention)
    X, y = padded_batch()
    together = model.log_likelihood(X, y)
    alone = [model.log_likelihood(unpadded(x), unpadded(t))[0] for x, t in zip(X, y)]
    np.testing.assert_allclose(together, alone, rtol=1e-12)
    # more padding on both sides: the same loss and the same gradients
    loss, grads = model.loss(X, y)
    more_loss, more_grads = model.loss(np.pad(X, ((0, 0), (0, 3))), np.pad(y, ((0, 0), (0, 2))))
    assert more_loss == pytest.approx(loss, rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(more_grads[name], grads[name], rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_final_encoder_state_is_the_state_at_the_last_real_token(cell):
    model = small_model(cell)
    X, _ = padded_batch()
    states, final, _ = model._encode(X)
    for n, x in enumerate(X):
        length = int(np.sum(x != PAD))
        alone_states, alone_final, _ = model._encode(unpadded(x))
        np.testing.assert_allclose(final[0][n], states[n, length - 1], rtol=1e-12)
        for part, alone_part in zip(final, alone_final):           # h, and c for an LSTM
            np.testing.assert_allclose(part[n], alone_part[0], rtol=1e-12)
        np.testing.assert_allclose(states[n, :length], alone_states[0], rtol=1e-12)
    assert not np.allclose(final[0][1], states[1, -1] * 0)


def test_padded_source_positions_get_no_attention():
    model = small_model()
    X, y = padded_batch()
    _, cache = model._forward(X, Seq2Seq.decoder_input(y))
    weights = cache[1][3].weights                                   # the attention cache
    assert weights.shape == (3, 5, 6)
    assert np.all(weights[np.broadcast_to((X == PAD)[:, None, :], weights.shape)] == 0)
    np.testing.assert_allclose(weights.sum(axis=2), 1, rtol=1e-12)


def test_loss_is_per_target_token_and_starts_near_log_V():
    model = Seq2Seq(VS, VT, wordvec_dim=8, hidden_dim=16, seed=0)
    model.params["W_out"] *= 0.01
    X, y = padded_batch()
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(math.log(VT), rel=0.01)
    assert {name: g.shape for name, g in grads.items()} == \
           {name: p.shape for name, p in model.params.items()}
    exact = -model.log_likelihood(X, y).sum() / np.sum(y != PAD)
    assert model.loss(X, y)[0] == pytest.approx(exact, rel=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    model = small_model("gru", dtype=dtype)
    X, y = padded_batch()
    assert all(p.dtype == dtype for p in model.params.values())
    loss, grads = model.loss(X, y)
    assert isinstance(loss, float)
    assert all(g.dtype == dtype for g in grads.values())
    assert model._forward(X, Seq2Seq.decoder_input(y))[0].dtype == dtype


def test_parameter_names_and_shapes():
    E, H = 4, 5
    with_attention, plain = small_model("lstm"), small_model("gru", attention=False)
    assert {n: p.shape for n, p in with_attention.params.items()} == {
        "W_src": (VS, E), "W_tgt": (VT, E), "Wx_enc": (E, 4 * H), "Wh_enc": (H, 4 * H),
        "b_enc": (4 * H,), "Wx_dec": (E, 4 * H), "Wh_dec": (H, 4 * H), "b_dec": (4 * H,),
        "W_q": (H, H), "b_q": (H,), "W_c": (2 * H, H), "b_c": (H,), "W_out": (H, VT),
        "b_out": (VT,)}
    assert "W_q" not in plain.params and "W_c" not in plain.params
    assert plain.params["Wx_enc"].shape == (E, 3 * H)
    assert np.all(with_attention.params["b_enc"][H:2 * H] == 1)    # forget gates start open


# ------------------------------------------------------------------------------------------------
# Decoding
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, attention", CONFIGS, ids=CONFIG_IDS)
def test_greedy_decoding_picks_the_most_likely_token_at_every_step(cell, attention):
    model = small_model(cell, attention, seed=1)
    X, _ = padded_batch()
    outputs, weights = model.translate(X, beam_width=1, max_length=12)
    y = with_end(outputs)
    scores = model._forward(X, Seq2Seq.decoder_input(y))[0]
    scores[..., [PAD, START]] = -np.inf                     # never generated
    for n, ids in enumerate(outputs):
        steps = len(ids) + (len(ids) < 12)                   # + the step that chose <end>
        assert np.array_equal(np.argmax(scores[n, :steps], axis=1), y[n, :steps])
    assert (weights is None) == (not attention)
    scores_at_test_time = model.loss(X)
    assert scores_at_test_time.shape[::2] == (3, VT)
    scores_at_test_time[..., [PAD, START]] = -np.inf
    assert np.array_equal(np.argmax(scores_at_test_time[0, :len(outputs[0])], axis=1), outputs[0])


@pytest.mark.parametrize("cell, attention", CONFIGS, ids=CONFIG_IDS)
def test_translations_do_not_depend_on_padding(cell, attention):
    model = small_model(cell, attention, seed=7, dtype=np.float32)
    X, _ = padded_batch()
    outputs, weights = model.translate(np.pad(X, ((0, 0), (0, 3))), beam_width=2, max_length=8)
    for n, x in enumerate(X):
        (alone,), alone_weights = model.translate(unpadded(x), beam_width=2, max_length=8)
        assert np.array_equal(alone, outputs[n])
        if attention:
            np.testing.assert_allclose(alone_weights[0], weights[n], rtol=1e-5)
    assert model.loss(X).dtype == np.float32


def reversal_task(n, seed, letters=5, longest=5):
    """Sources of 2 to `longest` tokens from ids 3, 4, ...; targets the same tokens reversed."""
    r = np.random.default_rng(seed)
    X, y = np.zeros((n, longest), dtype=np.int64), np.zeros((n, longest + 1), dtype=np.int64)
    for row_x, row_y, length in zip(X, y, r.integers(2, longest + 1, size=n)):
        row_x[:length] = r.integers(3, 3 + letters, size=length)
        row_y[:length + 1] = [*row_x[:length][::-1], END]
    return X, y


def train(model, train_set, val_set, num_epochs):
    """Train with Adam; returns the Solver."""
    data = dict(zip(("X_train", "y_train", "X_val", "y_val"), (*train_set, *val_set)))
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-2},
                    batch_size=50, num_epochs=num_epochs, grad_clip=5.0, verbose=False, seed=0)
    solver.train()
    return solver


@pytest.fixture(scope="module")
def half_trained():
    """A model trained for one epoch to reverse three letters: it knows something, not enough."""
    model = Seq2Seq(6, 6, wordvec_dim=8, hidden_dim=16, cell_type="gru", seed=0)
    val_set = reversal_task(200, seed=1, letters=3, longest=4)
    train(model, reversal_task(1000, seed=0, letters=3, longest=4), val_set, num_epochs=1)
    return model, val_set[0]


def test_beam_search_finds_the_most_likely_sequence(half_trained):
    # Every target of up to 4 tokens from {3, 4, 5}, scored by teacher forcing. A beam of 400
    # keeps every hypothesis through 5 steps, so it must find the best of them.
    model, X = half_trained
    candidates = [list(seq) for length in range(5)
                  for seq in itertools.product([3, 4, 5], repeat=length)]
    greedy, _ = model.translate(X[:20], max_length=8)
    greedy_missed = 0
    for x, greedy_output in zip(X[:20], greedy):
        likelihoods = model.log_likelihood(np.repeat(x[None], len(candidates), 0),
                                           with_end(candidates))
        best = candidates[int(np.argmax(likelihoods))]
        (output,), _ = model.translate(x[None], beam_width=400, max_length=8)
        assert output.tolist() == best
        greedy_missed += greedy_output.tolist() != best
    assert greedy_missed >= 5                  # the test would notice greedy decoding in disguise


def test_beam_search_scores_at_least_as_high_as_greedy(half_trained):
    model, X = half_trained
    greedy, _ = model.translate(X, beam_width=1, max_length=10)
    beam, attention = model.translate(X, beam_width=4, max_length=10)
    assert all(len(o) < 10 for o in greedy + beam)               # all ended
    gain = model.log_likelihood(X, with_end(beam)) - model.log_likelihood(X, with_end(greedy))
    assert np.all(gain >= -1e-5)              # float32 log-likelihoods: equal up to rounding
    assert np.sum(gain > 1e-6) >= 20                              # and often better
    assert [w.shape for w in attention] == [(len(o), int(np.sum(x != PAD)))
                                            for o, x in zip(beam, X)]


@pytest.mark.parametrize("beam_width", [1, 3])
def test_decoding_stops_at_the_end_token(beam_width):
    model = small_model(seed=2)
    X, _ = padded_batch()
    model.params["b_out"][END] = -1e3                             # never ends
    outputs, weights = model.translate(X, beam_width=beam_width, max_length=7)
    assert [len(o) for o in outputs] == [7, 7, 7]
    assert not any(np.isin(o, [PAD, START, END]).any() for o in outputs)
    np.testing.assert_allclose(weights[1].sum(axis=1), 1, rtol=1e-12)
    model.params["b_out"][END] = 1e3                              # ends at once
    outputs, weights = model.translate(X, beam_width=beam_width, max_length=7)
    assert [len(o) for o in outputs] == [0, 0, 0]
    assert [w.shape for w in weights] == [(0, 4), (0, 2), (0, 6)]
    # a target that ends after two tokens: <end> is produced and nothing follows it
    model.params["b_out"][END] = 0
    model.params["W_out"][:] = 0
    model.params["b_out"][4] = 5
    translated = model.translate(X[:1], beam_width=beam_width, max_length=7)[0][0]
    assert translated.tolist() == [4] * 7


def test_translate_accepts_lists_of_sequences():
    model = small_model(seed=4)
    X, _ = padded_batch()
    from_lists, weights = model.translate([x[x != PAD].tolist() for x in X], max_length=9)
    from_array, _ = model.translate(X, max_length=9)
    assert all(np.array_equal(a, b) for a, b in zip(from_lists, from_array))
    assert weights[1].shape[1] == 2


def test_translate_takes_and_returns_strings_through_the_models_vocabularies():
    pairs = [("ab", "ba"), ("abc", "cba"), ("ca", "ac")]
    source, target = Vocabulary.from_pairs(pairs)
    model = Seq2Seq(len(source), len(target), 8, 16, seed=3, source_vocab=source,
                    target_vocab=target)
    texts, weights = model.translate(["ab", "cab"], max_length=6)
    ids, same_weights = model.translate([source.encode("ab"), source.encode("cab")], max_length=6)
    assert texts == target.decode_batch(ids) and all(set(t) <= set("abc") for t in texts)
    assert all(np.array_equal(w, v) for w, v in zip(weights, same_weights))
    one, one_weights = model.translate("cab", max_length=6)
    assert one == texts[1] and np.array_equal(one_weights, weights[1])


@pytest.mark.parametrize("make, message", [
    (lambda s, t: Seq2Seq(len(s), len(t), source_vocab=s, target_vocab=t).translate([[4]]) and
     Seq2Seq(len(s), len(t)).translate(["ab"]), "strings need a model built with source_vocab"),
    (lambda s, t: Seq2Seq(len(s) + 1, len(t), source_vocab=s), "has 6 ids but its vocab size is 7"),
    (lambda s, t: Seq2Seq(4, len(t), source_vocab=Vocabulary("abc")), "ids 0, 1, 2 are <pad>"),
])
def test_vocabularies_that_do_not_fit_the_model_are_refused(make, message):
    source, target = Vocabulary.from_pairs([("ab", "ba"), ("b", "a")])
    with pytest.raises(ValueError, match=message):
        make(source, target)


# ------------------------------------------------------------------------------------------------
# Metrics and training
# ------------------------------------------------------------------------------------------------

def test_exact_match_and_token_accuracy():
    model = small_model(seed=6)
    model.params["b_out"][END] = 0.5              # translations that end within max_length
    X, _ = padded_batch()
    outputs, _ = model.translate(X, max_length=10)
    y = with_end(outputs)
    assert np.all(model.exact_matches(X, y)) and model.evaluate(X, y, batch_size=2) == 1.0
    assert model.token_accuracy(X, y) == 1.0
    wrong = y.copy()
    wrong[1, 0] = 3 if y[1, 0] != 3 else 4
    assert model.exact_matches(X, wrong).tolist() == [True, False, True]
    assert model.evaluate(X, wrong) == pytest.approx(2 / 3)
    # teacher forcing: only the changed token is wrong; later tokens still see the true prefix
    assert model.token_accuracy(X, wrong) < 1
    assert model.token_accuracy(X, wrong) >= 1 - 2 / np.sum(y != PAD)


def test_solver_learns_to_reverse_sequences():
    val_set = reversal_task(200, seed=1)
    model = Seq2Seq(8, 8, wordvec_dim=16, hidden_dim=32, cell_type="gru", seed=0)
    solver = train(model, reversal_task(1500, seed=0), val_set, num_epochs=6)
    assert solver.metric_name == "exact-match accuracy"
    assert solver.val_acc_history[0] < 0.1
    assert solver.best_val_acc > 0.9
    assert model.evaluate(*val_set) == solver.best_val_acc


# ------------------------------------------------------------------------------------------------
# Input errors
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    ({"cell_type": "rnn"}, ValueError, "cell_type must be one of"),
    ({"dtype": np.int32}, TypeError, "dtype must be np.float32 or np.float64"),
    ({"target_vocab_size": 2}, ValueError, "target_vocab_size must be an int > 2"),
])
def test_bad_constructor_arguments(kwargs, error, message):
    arguments = {"source_vocab_size": VS, "target_vocab_size": VT, **kwargs}
    with pytest.raises(error, match=message):
        Seq2Seq(**arguments)


def test_bad_inputs_raise_clear_errors():
    model = small_model()
    X, y = padded_batch()
    with pytest.raises(TypeError, match="X must be an integer numpy array"):
        model.loss(X.astype(float), y)
    with pytest.raises(ValueError, match=r"X must lie in \[0, 9\)"):
        model.loss(X + 5, y)
    with pytest.raises(ValueError, match=r"y must have shape \(3, Tt\)"):
        model.loss(X, y[:2])
    with pytest.raises(ValueError, match=r"y must lie in \[0, 7\)"):
        model.loss(X, y + 7)
    with pytest.raises(ValueError, match="y needs at least one column"):
        model.loss(X, y[:, :0])
    empty = X.copy()
    empty[2] = PAD
    with pytest.raises(ValueError, match=r"source rows \[2\] hold only <pad>"):
        model.loss(empty, y)
    with pytest.raises(ValueError, match="beam_width must be a positive int"):
        model.translate(X, beam_width=0)
    with pytest.raises(ValueError, match="max_length must be a positive int"):
        model.translate(X, max_length=0)
