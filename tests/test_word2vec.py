"""SkipGram and CBOW: gradients, both losses, repeated words, the noise, sparse updates, learning."""
import numpy as np
import pytest

from dlscratch.gradient_check import check_model_gradients, rel_error
from dlscratch.models import CBOW, SkipGram
from dlscratch.models.word2vec import NoiseSampler
from dlscratch.data.planted_corpus import planted_corpus
from dlscratch.solver import Solver
from dlscratch.sparse import RowGradient
from dlscratch.data.vocabulary import Vocabulary
from dlscratch.data.words import CBOWExamples, SkipGramExamples

V, D, K = 12, 5, 3
MODELS = {"skipgram": SkipGram, "cbow": CBOW}


def make_model(kind, loss="negative_sampling", dtype=np.float64, seed=0):
    """A model whose output vectors are random too (word2vec starts them at zero)."""
    model = MODELS[kind](V, D, loss=loss, num_negative=K, word_counts=np.arange(1, V + 1),
                         dtype=dtype, seed=seed)
    model.params["W_out"] = np.random.default_rng(seed).normal(0, 0.5, (V, D)).astype(dtype)
    model.params["W_in"] = np.random.default_rng(seed + 1).normal(0, 0.5, (V, D)).astype(dtype)
    return model


def make_batch(kind, loss, n=7, seed=0):
    """Inputs with repeated words (and padding for CBOW); explicit noise words for negative sampling,
    one of which equals the true word (it must be ignored)."""
    rng = np.random.default_rng(seed)
    if kind == "skipgram":
        X = np.array([1, 1, 4, 7, 1, 0, 11])[:n]
    else:
        X = rng.integers(0, V, (n, 4))
        X[::2, 3] = -1
        X[1, :] = [2, 2, -1, -1]                        # a word twice in one context
    y = rng.integers(0, V, n)
    if loss == "negative_sampling":
        noise = rng.integers(0, V, (n, K))
        noise[2, 1] = y[2]                             # collides with the true word
        y = np.concatenate([y[:, None], noise], axis=1)
    return X, y


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_gradients(kind, loss):
    model = make_model(kind, loss)
    X, y = make_batch(kind, loss)
    errors = check_model_gradients(model, X, y, verbose=False)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_loss_at_word2vec_initialisation(kind):
    """W_out starts at zero: every score is 0, so NS costs (1 + K) log 2 (minus ignored collisions)
    and the full softmax log V."""
    X, y = make_batch(kind, "negative_sampling")
    ns = MODELS[kind](V, D, num_negative=K, dtype=np.float64, seed=0)
    used = 1 + np.sum(y[:, 1:] != y[:, :1], axis=1)
    assert ns.loss(X, y)[0] == pytest.approx(np.mean(used) * np.log(2), rel=1e-12)
    softmax = MODELS[kind](V, D, loss="softmax", dtype=np.float64, seed=0)
    assert softmax.loss(X, y[:, 0])[0] == pytest.approx(np.log(V), rel=1e-12)


def test_skipgram_negative_sampling_known_values():
    """One example worked by hand: loss = -log σ(u_y·h) - Σ log σ(-u_k·h)."""
    model = make_model("skipgram")
    W_in, W_out = model.params["W_in"], model.params["W_out"]
    X, y = np.array([3]), np.array([[5, 6, 8, 9]])
    h = W_in[3]
    sigma = lambda z: 1 / (1 + np.exp(-z))
    expected = -np.log(sigma(W_out[5] @ h)) - sum(np.log(sigma(-W_out[k] @ h)) for k in (6, 8, 9))
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(expected, rel=1e-12)
    expected_dh = (sigma(W_out[5] @ h) - 1) * W_out[5] + sum(sigma(W_out[k] @ h) * W_out[k] for k in (6, 8, 9))
    assert rel_error(grads["W_in"][3], expected_dh) < 1e-12
    assert np.count_nonzero(np.abs(grads["W_in"]).sum(axis=1)) == 1


def test_cbow_reads_the_mean_of_its_context():
    model = make_model("cbow", "softmax")
    X = np.array([[1, 4, -1, -1], [2, -1, -1, -1]])
    expected = np.stack([model.params["W_in"][[1, 4]].mean(axis=0), model.params["W_in"][2]])
    assert rel_error(model.loss(X), expected @ model.params["W_out"].T) < 1e-12


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_repeated_words_accumulate(kind):
    """The gradient of a batch is the sum of its examples' gradients, rows shared or not."""
    model = make_model(kind)
    X, y = make_batch(kind, "negative_sampling")
    n = len(X)
    _, grads = model.loss(X, y)
    for name in model.params:
        summed = sum(model.loss(X[i:i + 1], y[i:i + 1])[1][name] for i in range(n)) / n
        assert rel_error(grads[name], summed) < 1e-12


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_noise_equal_to_the_true_word_is_ignored(kind):
    model = make_model(kind)
    X, y = make_batch(kind, "negative_sampling")
    row = 2
    y_row = y[row:row + 1].copy()
    assert y_row[0, 2] == y_row[0, 0]
    loss_with, _ = model.loss(X[row:row + 1], y_row)
    smaller = MODELS[kind](V, D, num_negative=K - 1, dtype=np.float64)
    smaller.params = model.params
    loss_without, _ = smaller.loss(X[row:row + 1], np.delete(y_row, 2, axis=1))
    assert loss_with == pytest.approx(loss_without, rel=1e-12)


@pytest.mark.parametrize("loss", ["negative_sampling", "softmax"])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_sparse_loss_holds_the_same_gradients(kind, loss):
    model = make_model(kind, loss)
    X, y = make_batch(kind, loss)
    dense_loss, dense = model.loss(X, y)
    sparse_loss, sparse = model.sparse_loss(X, y)
    assert sparse_loss == dense_loss
    assert isinstance(sparse["W_in"], RowGradient)
    for name in model.params:
        as_array = sparse[name].to_dense() if isinstance(sparse[name], RowGradient) else sparse[name]
        assert np.array_equal(as_array, dense[name])
        assert type(dense[name]) is np.ndarray and dense[name].shape == model.params[name].shape
    touched = set(np.unique(X[X >= 0]))
    assert set(sparse["W_in"].rows) == touched


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_float32_is_kept(kind):
    model = make_model(kind, dtype=np.float32)
    X, y = make_batch(kind, "negative_sampling")
    loss, grads = model.loss(X, y)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert model.loss(X).dtype == np.float32
    reference = make_model(kind)
    assert loss == pytest.approx(reference.loss(X, y)[0], rel=1e-5)


def test_sampled_noise_follows_counts_to_the_three_quarters():
    counts = np.array([1000, 100, 10, 1, 0])
    sampler = NoiseSampler(counts)
    draws = sampler.sample((200_000,), np.random.default_rng(0))
    expected = counts ** 0.75 / np.sum(counts ** 0.75)
    observed = np.bincount(draws, minlength=len(counts)) / len(draws)
    assert np.allclose(observed, expected, atol=0.004)
    assert observed[-1] == 0


def test_negative_sampling_draws_noise_when_y_holds_only_true_words():
    model = make_model("skipgram")
    X, y = np.array([1, 2, 3]), np.array([4, 5, 6])
    first, second = model.loss(X, y)[0], model.loss(X, y)[0]
    assert first != second                         # fresh noise on every call
    assert model.evaluate(X, y) == model.evaluate(X, y)   # but fixed noise for evaluation


def test_bad_input_is_refused_with_clear_messages():
    with pytest.raises(ValueError, match="loss must be one of"):
        SkipGram(V, D, loss="hierarchical")
    model = make_model("skipgram")
    with pytest.raises(ValueError, match=r"must lie in \[0, 12\), got values from 1 to 12"):
        model.loss(np.array([1, 12]), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"must lie in \[0, 12\), got values from -3"):
        make_model("cbow").loss(np.array([[1, -3]]), np.array([0]))
    with pytest.raises(TypeError, match="integer"):
        model.loss(np.array([1.0, 2.0]), np.array([0, 1]))
    with pytest.raises(ValueError, match="y"):
        model.loss(np.array([1, 2]), np.array([[0, 1]]))
    with pytest.raises(ValueError, match="at least one context word"):
        make_model("cbow").loss(np.array([[1, 2], [-1, -1]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="word_counts"):
        SkipGram(V, D, word_counts=np.ones(V + 1))
    with pytest.raises(ValueError, match="no vocabulary"):
        model.most_similar("cat")


class DenseOnly:
    """A model hiding sparse_loss, so the Solver takes the dense path."""

    def __init__(self, model):
        self.params, self.loss = model.params, model.loss


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_solver_row_updates_equal_dense_sgd(kind):
    X, y = make_batch(kind, "negative_sampling")
    runs = {}
    for name, wrap in (("sparse", lambda m: m), ("dense", DenseOnly)):
        model = make_model(kind)
        solver = Solver(wrap(model), {"X_train": X, "y_train": y, "X_val": X, "y_val": y},
                        update_rule="sgd", optim_config={"learning_rate": 0.5}, batch_size=3,
                        num_epochs=2, verbose=False, seed=0)
        for _ in range(2):
            solver._train_one_epoch(_NoBar())
        runs[name] = model.params
    for name in runs["dense"]:
        assert rel_error(runs["sparse"][name], runs["dense"][name]) < 1e-12


class _NoBar:
    def update(self, n):
        pass

    def set_postfix(self, **kwargs):
        pass


@pytest.fixture(scope="module")
def small_planted():
    corpus = planted_corpus(num_sentences=20_000, seed=1)
    vocab = Vocabulary.from_sentences(corpus["train"], min_count=5)
    return corpus, vocab


def train_on(corpus, vocab, kind, epochs, learning_rate, **model_options):
    """Train a model on the planted corpus with sgd; return it."""
    model_class, examples = {"skipgram": (SkipGram, SkipGramExamples),
                             "cbow": (CBOW, CBOWExamples)}[kind]
    train = examples(vocab.encode_sentences(corpus["train"]), vocab.counts, window=5, seed=0)
    X_val, y_val = examples(vocab.encode_sentences(corpus["val"]), vocab.counts).fixed_examples()
    model = model_class(len(vocab), 50, word_counts=vocab.counts, vocab=vocab, seed=0, **model_options)
    solver = Solver(model, {"X_train": train, "y_train": None, "X_val": X_val, "y_val": y_val},
                    update_rule="sgd", optim_config={"learning_rate": learning_rate}, batch_size=256,
                    num_epochs=epochs, verbose=False, seed=0)
    solver.train()
    return model, solver


def test_skipgram_learns_the_planted_analogies(small_planted):
    corpus, vocab = small_planted
    untrained = SkipGram(len(vocab), 50, vocab=vocab, seed=0)
    assert untrained.analogy_accuracy(corpus["questions"]).accuracy < 0.1
    model, solver = train_on(corpus, vocab, "skipgram", epochs=3, learning_rate=25.0)
    assert solver.val_acc_history[-1] < 0.6 * solver.val_acc_history[0]     # held-out loss
    report = model.analogy_accuracy(corpus["questions"])
    assert report.total.skipped == 0
    assert report.accuracy >= 0.9, report.table()
    assert model.most_similar("paris", k=3)[0][0] in {"berlin", "madrid", "rome", "moscow", "tokyo",
                                                      "beijing", "athens", "warsaw", "stockholm",
                                                      "lisbon", "ankara", "oslo", "cairo", "france"}
    assert model.analogy("king", "queen", "man")[0][0] == "woman"


def test_cbow_and_softmax_learn_too(small_planted):
    corpus, vocab = small_planted
    cbow, _ = train_on(corpus, vocab, "cbow", epochs=5, learning_rate=10.0)
    assert cbow.analogy_accuracy(corpus["questions"]).accuracy >= 0.7
    softmax, _ = train_on(corpus, vocab, "skipgram", epochs=3, learning_rate=10.0, loss="softmax")
    assert softmax.analogy_accuracy(corpus["questions"]).accuracy >= 0.9


def test_gradient_clipping_scales_row_gradients_like_dense_ones():
    from dlscratch.solver import clip_by_global_norm
    from dlscratch.sparse import densify
    model = make_model("skipgram")
    X, y = make_batch("skipgram", "negative_sampling")
    _, sparse = model.sparse_loss(X, y)
    _, dense = model.loss(X, y)
    clipped_sparse, clipped_dense = clip_by_global_norm(sparse, 0.01), clip_by_global_norm(dense, 0.01)
    assert isinstance(clipped_sparse["W_in"], RowGradient)
    norm = np.sqrt(sum(np.sum(g ** 2) for g in clipped_dense.values()))
    assert norm == pytest.approx(0.01, rel=1e-6)
    for name in dense:
        assert rel_error(densify(clipped_sparse[name]), clipped_dense[name]) < 1e-12


def test_solver_scores_an_example_set_given_as_validation_data():
    """With y_val None the Solver asks the example set for the examples of every position."""
    vocab_size = 1000                    # large, so that noise rarely equals the true word
    tokens = np.tile(np.arange(200), 3)  # a text that repeats itself: learnable
    counts = np.bincount(tokens, minlength=vocab_size)
    train = SkipGramExamples(tokens, counts, window=2, sample=0, seed=0)
    val = SkipGramExamples(tokens[:100], counts, window=2, sample=0, seed=0)
    model = SkipGram(vocab_size, D, word_counts=counts, seed=0)
    solver = Solver(model, {"X_train": train, "y_train": None, "X_val": val, "y_val": None},
                    update_rule="sgd", optim_config={"learning_rate": 20.0}, batch_size=50,
                    num_epochs=3, verbose=False)
    solver.train()
    # W_out starts at zero: every example costs (1 + K) log 2 before training
    assert solver.val_acc_history[0] == pytest.approx((1 + 5) * np.log(2), rel=0.02)
    assert solver.val_acc_history[-1] < 0.9 * solver.val_acc_history[0]
