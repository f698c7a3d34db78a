"""RecurrentNet: gradients, the carried state, perplexity, sampling, training with the Solver."""
import math

import numpy as np
import pytest

from dlscratch.gradient_check import check_model_gradients
from dlscratch.models import RecurrentNet
from dlscratch.solver import Solver
from dlscratch.data.text import stream_chunks
from dlscratch.data.vocabulary import Vocabulary

CELLS = ["rnn", "lstm", "gru"]
V, N, T = 11, 3, 5


def small_model(cell, dtype=np.float64, **kwargs):
    return RecurrentNet(V, wordvec_dim=4, hidden_dim=6, cell_type=cell, dtype=dtype, seed=0,
                        **kwargs)


def batch(seed=0, n=N):
    r = np.random.default_rng(seed)
    return r.integers(V, size=(n, T)), r.integers(V, size=(n, T))


@pytest.mark.parametrize("cell", CELLS)
def test_gradients(cell):
    model = small_model(cell, carry_state=False)
    X, y = batch()
    y[1, 2] = -1                      # a position with nothing to predict
    # h = 1e-4: some entries of Wh have gradients near 1e-6, and the rounding error of a centred
    # difference, about eps * loss / h, would be 1e-5 of such an entry with h = 1e-5
    errors = check_model_gradients(model, X, y, h=1e-4, verbose=False)
    assert set(errors) == set(model.params)
    assert max(errors.values()) < 1e-5, errors


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_from_a_carried_state(cell):
    # the carried state is a constant input (detached: no gradient flows into the previous
    # chunk), so the loss's gradients from it must match centred differences exactly
    model = small_model(cell)
    X, y = batch()
    model.loss(*batch(seed=1))        # leaves a non-zero state behind
    carried = model._state
    assert np.abs(carried[0]).max() > 0.01

    class FromCarriedState(RecurrentNet):
        def loss(self, X, y=None):
            self._state = carried
            return super().loss(X, y)

    model.__class__ = FromCarriedState
    errors = check_model_gradients(model, X, y, verbose=False)
    assert max(errors.values()) < 1e-5, errors


@pytest.mark.parametrize("cell", CELLS)
def test_loss_is_per_token_and_starts_near_log_V(cell):
    model = RecurrentNet(V, wordvec_dim=8, hidden_dim=16, cell_type=cell, seed=0,
                         carry_state=False)
    model.params["W_out"] *= 0.01
    X, y = batch()
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(math.log(V), rel=0.01)
    assert {name: g.shape for name, g in grads.items()} == \
           {name: p.shape for name, p in model.params.items()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    model = small_model("lstm", dtype=dtype)
    X, y = batch()
    assert all(p.dtype == dtype for p in model.params.values())
    loss, grads = model.loss(X, y)
    assert isinstance(loss, float)
    assert all(g.dtype == dtype for g in grads.values())
    assert model.loss(X).dtype == dtype


def test_scores_shape():
    model = small_model("gru")
    X, _ = batch()
    assert model.loss(X).shape == (N, T, V)


def test_uniform_model_has_perplexity_vocab_size():
    model = small_model("lstm")
    model.params["W_out"][:] = 0
    model.params["b_out"][:] = 0
    X, y = batch(n=7)
    assert model.evaluate(X, y, batch_size=3) == pytest.approx(V)
    assert model.bits_per_token(X, y) == pytest.approx(math.log2(V))


def test_evaluate_averages_over_tokens_and_skips_negative_targets():
    model = small_model("rnn")
    X, y = batch(n=6)
    whole = model.cross_entropy(X, y, batch_size=100)
    assert model.cross_entropy(X, y, batch_size=4) == pytest.approx(whole)   # uneven batches
    # by hand: mean over every position of -log softmax(scores)[target]
    scores = model.loss(X)
    log_probs = scores - np.log(np.exp(scores).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(log_probs, y[..., None], axis=2)[..., 0]
    assert whole == pytest.approx(-picked.mean())
    y_masked = y.copy()
    y_masked[:, :2] = -1
    assert model.cross_entropy(X, y_masked) == pytest.approx(-picked[:, 2:].mean())
    assert model.evaluate(X, y) == pytest.approx(math.exp(whole))


# ------------------------------------------------------------------------------------------------
# The hidden state carried between training calls
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
def test_state_is_carried_between_training_calls_and_reset(cell):
    model = small_model(cell)
    X, y = batch()
    first, _ = model.loss(X, y)
    second, _ = model.loss(X, y)
    assert second != pytest.approx(first, abs=1e-9)       # started from the carried state
    model.reset_state()
    assert model.loss(X, y)[0] == pytest.approx(first, abs=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_two_chunks_with_a_carried_state_equal_one_long_sequence(cell):
    model = small_model(cell)
    r = np.random.default_rng(3)
    X, y = r.integers(V, size=(N, 2 * T)), r.integers(V, size=(N, 2 * T))
    scores_whole = model.loss(X)
    model.loss(X[:, :T], y[:, :T])
    # the loss of the second chunk from the carried state = the long sequence's second half
    loss_second, _ = model.loss(X[:, T:], y[:, T:])
    log_probs = scores_whole - np.log(np.exp(scores_whole).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(log_probs, y[..., None], axis=2)[..., 0]
    assert loss_second == pytest.approx(-picked[:, T:].mean(), rel=1e-10)


def test_state_is_not_carried_when_switched_off_or_batch_size_changes():
    model = small_model("lstm", carry_state=False)
    X, y = batch()
    assert model.loss(X, y)[0] == model.loss(X, y)[0]
    model.carry_state = True
    first, _ = model.loss(X, y)
    X3, y3 = batch(seed=4, n=N + 1)
    fresh = small_model("lstm")
    assert model.loss(X3, y3)[0] == pytest.approx(fresh.loss(X3, y3)[0], abs=1e-12)


def test_scoring_and_evaluation_leave_the_state_alone():
    model = small_model("gru")
    X, y = batch()
    model.loss(X, y)
    state = [s.copy() for s in model._state if s is not None]
    scores = model.loss(X)
    model.evaluate(X, y)
    model.sample([1, 2], 5, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(state, model._state))
    model.reset_state()
    assert np.allclose(model.loss(X), scores)     # scoring always starts from zeros


# ------------------------------------------------------------------------------------------------
# Sampling
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
def test_sample_shapes_and_determinism(cell):
    model = small_model(cell, dtype=np.float32)
    ids = model.sample([1, 2, 3], 20, seed=5)
    assert ids.shape == (20,) and ids.dtype == np.int64
    assert ids.min() >= 0 and ids.max() < V
    assert np.array_equal(ids, model.sample([1, 2, 3], 20, seed=5))
    assert not np.array_equal(ids, model.sample([1, 2, 3], 20, seed=6))
    assert model.sample([4], 0, seed=0).shape == (0,)


def test_sample_follows_the_model():
    model = small_model("lstm")
    greedy = model.sample([1, 2], 6, temperature=0)
    # temperature 0: each token is the argmax of the scores of everything so far
    seq = [1, 2]
    for token in greedy:
        assert token == np.argmax(model.loss(np.array([seq]))[0, -1])
        seq.append(int(token))
    # a very low temperature is (almost surely) greedy, a high one is not
    assert np.array_equal(model.sample([1, 2], 6, temperature=1e-4, seed=0), greedy)
    model.params["b_out"][3] = 30.0           # one token far more likely than every other
    assert np.all(model.sample([1], 10, temperature=1.0, seed=0) == 3)


def test_sample_with_a_vocabulary_and_unseen_characters():
    vocab = Vocabulary.from_text("hello world")
    model = RecurrentNet(len(vocab), wordvec_dim=4, hidden_dim=8, seed=0, vocab=vocab)
    text = model.sample("hé!", 15, seed=0)          # é and ! are not in the vocabulary
    assert isinstance(text, str) and len(text) == 15
    assert set(text) <= set("helo wrd") | {Vocabulary.unk_char}
    assert text == model.sample("hé!", 15, seed=0)
    assert vocab.encode("hé!").tolist() == [vocab.encode("h")[0], vocab.unk_id, vocab.unk_id]


def test_bad_sample_arguments():
    model = small_model("rnn")
    with pytest.raises(ValueError, match="vocab"):
        model.sample("abc", 5)
    with pytest.raises(ValueError, match="at least one"):
        model.sample([], 5)
    with pytest.raises(ValueError, match="temperature"):
        model.sample([1], 5, temperature=-1)


def test_bad_constructor_arguments_and_inputs():
    with pytest.raises(ValueError, match="cell_type"):
        RecurrentNet(V, cell_type="transformer")
    with pytest.raises(TypeError, match="dtype"):
        RecurrentNet(V, dtype=np.int32)
    with pytest.raises(ValueError, match="vocab_size"):
        RecurrentNet(V + 1, vocab=Vocabulary("abc"))
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        small_model("rnn").loss(np.zeros((2, 3)))


# ------------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------------

def test_solver_learns_a_repeating_text_with_truncated_bptt():
    # the period (17) is longer than a chunk (8), so the model needs the carried state
    vocab = Vocabulary.from_text("abcdefghijklmnopq")
    ids = vocab.encode("abcdefghijklmnopqrstuvw"[:17] * 120)
    X, y = stream_chunks(ids, num_streams=4, seq_length=8)
    model = RecurrentNet(len(vocab), wordvec_dim=8, hidden_dim=32, cell_type="lstm", seed=0,
                         vocab=vocab)
    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X, "y_val": y},
                    update_rule="adam", optim_config={"learning_rate": 1e-2}, batch_size=4,
                    num_epochs=8, shuffle=False, grad_clip=5.0, verbose=False, seed=0)
    solver.train()
    assert solver.metric_name == "perplexity"
    assert solver.val_acc_history[0] > 10 and solver.best_val_acc < 1.5
    assert model.sample("abc", 14, temperature=0) == "defghijklmnopq"
