"""Probes for exercises written in a notebook cell: the student's cell runs, the grader's inputs go in.

Only the cells marked "# exercise: <id>" come from the student's notebook; the rest of the notebook
(its check cells, its plots) is replaced by the probe, which calls what the cell defines on inputs
of its own, and by the judge, which compares the results with the solution cell's (nbgrader's
practice of restoring the instructor's locked cells, with nothing of the student's left to judge).
"""
import json

import numpy as np

from . import probe


def exercise_namespace(notebook, exercise, setup):
    """Run `setup`, then the notebook's cells of this exercise, and return the names they define."""
    from . import REPOSITORY
    cells = json.loads((REPOSITORY / "notebooks" / f"{notebook}.ipynb").read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    marker = f"# exercise: {exercise}"   # on a line of its own, anywhere in the cell (as in the release)
    mine = [s for s in sources if any(line.strip() == marker for line in s.splitlines())]
    if not mine:
        raise LookupError(f"{notebook}.ipynb has no cell with the line '{marker}'")
    namespace = {"__name__": "__exercise__"}
    exec(setup, namespace)
    for source in mine:
        # IPython's magics and shell lines (%..., !...) mean nothing here: left out
        python = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                           for line in source.splitlines())
        exec(compile(python, f"{notebook}.ipynb[{exercise}]", "exec"), namespace)
    return namespace


def _initial_losses(counts):
    expected = cell_function("01_fully_connected_nets", "initial_loss", "expected_initial_losses")
    return {"losses": np.array([expected(int(c)) for c in counts], dtype=np.float64)}


@probe("initial_loss")
def initial_losses_for_two_classes(rng):
    return _initial_losses([2])


@probe("initial_loss")
def initial_losses_for_many_class_counts(rng):
    return _initial_losses(rng.integers(3, 1000, size=4))


def _two_layer(rng, reg):
    N, D, H, C = (int(n) for n in rng.integers(2, 9, size=4))
    X, y = rng.standard_normal((N, D)), rng.integers(C, size=N)
    params = {"W1": rng.standard_normal((D, H)), "b1": rng.standard_normal(H),
              "W2": rng.standard_normal((H, C)), "b2": rng.standard_normal(C)}
    two_layer_net = cell_function("01_fully_connected_nets", "two_layer_net", "two_layer_net",
                                  with_layers=True)
    loss, grads = two_layer_net(X, y, params, reg=reg)
    return {"loss": np.asarray(loss, dtype=np.float64),
            **{f"d{name}": np.asarray(grads[name]) for name in params}}


@probe("two_layer_net")
def two_layer_net_without_a_penalty(rng):
    return _two_layer(rng, 0.0)


@probe("two_layer_net")
def two_layer_net_with_a_penalty(rng):
    return _two_layer(rng, float(rng.uniform(0.1, 2.0)))


@probe("mc_dropout")
def mc_dropout_of_one_mask(rng):
    x, W = rng.standard_normal((4, 6)), rng.standard_normal((6, 3))
    seed = int(rng.integers(1 << 30))
    average = cell_function("03_normalization_and_dropout", "mc_dropout", "mc_dropout_average")
    return {"average": np.asarray(average(x, W, 0.6, 1, np.random.default_rng(seed)))}


@probe("mc_dropout")
def mc_dropout_of_many_masks(rng):
    x, W = rng.standard_normal((5, 7)), rng.standard_normal((7, 2))
    p, seed = float(rng.uniform(0.2, 0.9)), int(rng.integers(1 << 30))
    average = cell_function("03_normalization_and_dropout", "mc_dropout", "mc_dropout_average")
    return {"average": np.asarray(average(x, W, p, 37, np.random.default_rng(seed)))}


def _activation_stds(rng, normalize):
    sizes = [int(n) for n in rng.integers(3, 12, size=4)]
    X = rng.standard_normal((16, sizes[0])) * 2 + 0.5
    weights = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes, sizes[1:])]
    stds = cell_function("03_normalization_and_dropout", "activation_stds", "activation_stds")
    return {"stds": np.asarray(stds(X, weights, normalize), dtype=np.float64)}


@probe("activation_stds")
def activation_stds_plain(rng):
    return _activation_stds(rng, False)


@probe("activation_stds")
def activation_stds_standardised(rng):
    return _activation_stds(rng, True)


def _conv_dx(rng, K, pad):
    C, F = (int(n) for n in rng.integers(1, 4, size=2))
    size = int(rng.integers(K, K + 5))
    dout = rng.standard_normal((2, F, size + 2 * pad - K + 1, size + 2 * pad - K + 1))
    w = rng.standard_normal((F, C, K, K))
    dx_as_convolution = cell_function("04_convolutional_nets", "conv_dx_full",
                                      "conv_dx_as_convolution", with_layers=True)
    return {"dx": np.asarray(dx_as_convolution(dout, w, pad))}


@probe("conv_dx_full")
def conv_dx_full_3x3_same_padding(rng):
    return _conv_dx(rng, 3, 1)


@probe("conv_dx_full")
def conv_dx_full_other_sizes(rng):
    K = int(rng.choice([1, 2, 4, 5]))
    return _conv_dx(rng, K, int(rng.integers(0, K)))


@probe("receptive_field")
def receptive_field_of_one_layer(rng):
    window, stride = (int(n) for n in rng.integers(1, 8, size=2))
    receptive_field = cell_function("04_convolutional_nets", "receptive_field", "receptive_field")
    field = receptive_field([(window, stride)])
    return {"field": np.array(field, dtype=np.int64)}


@probe("receptive_field")
def receptive_field_of_a_stack(rng):
    windows, strides = rng.integers(1, 6, size=5), rng.integers(1, 4, size=5)
    specs = [(int(k), int(s)) for k, s in zip(windows, strides)]
    field = cell_function("04_convolutional_nets", "receptive_field", "receptive_field")(specs)
    return {"field": np.array(field, dtype=np.int64)}


def _moving_averages(rng, shape, beta):
    values = rng.standard_normal(shape) + 2
    averages = exercise_namespace("02_optimizers", "moving_average", "import numpy as np")
    raw, corrected = averages["moving_averages"](values, beta)
    return {"raw": np.asarray(raw), "corrected": np.asarray(corrected)}


@probe("moving_average")
def moving_averages_of_a_series(rng):
    return _moving_averages(rng, (int(rng.integers(1, 30)),), float(rng.uniform(0.5, 0.99)))


@probe("moving_average")
def moving_averages_of_arrays(rng):
    return _moving_averages(rng, (12, 3, 2), 0.9)


def _bptt(rng, T):
    N, H = 3, int(rng.integers(2, 7))
    h = np.tanh(rng.standard_normal((N, T, H)))
    Wh = rng.standard_normal((H, H)) / np.sqrt(H)
    backprop = cell_function("05_recurrent_nets", "bptt", "backprop_through_time")
    grads = backprop(rng.standard_normal((N, H)), h, Wh)
    return {"grads": np.asarray(grads, dtype=np.float64)}


@probe("bptt")
def bptt_over_one_step(rng):
    return _bptt(rng, 1)


@probe("bptt")
def bptt_over_many_steps(rng):
    return _bptt(rng, int(rng.integers(5, 20)))


@probe("entropy")
def entropy_of_random_distributions(rng):
    p = rng.dirichlet(np.ones(int(rng.integers(2, 12))), size=(4, 3))
    entropy_bits = cell_function("05_recurrent_nets", "entropy", "entropy_bits")
    return {"bits": np.asarray(entropy_bits(p), dtype=np.float64)}


@probe("entropy")
def entropy_with_zero_probabilities(rng):
    p = rng.dirichlet(np.ones(6), size=5)
    p[:, :2] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    p[0] = np.eye(6)[int(rng.integers(6))]
    entropy_bits = cell_function("05_recurrent_nets", "entropy", "entropy_bits")
    return {"bits": np.asarray(entropy_bits(p), dtype=np.float64)}


@probe("cosine_neighbours")
def cosine_neighbours_of_random_vectors(rng):
    vectors = rng.standard_normal((40, 6))
    neighbours = cell_function("06_word2vec", "cosine_neighbours", "cosine_neighbours")
    return {"ids": np.asarray(neighbours(vectors, int(rng.integers(40)), 7), dtype=np.int64)}


@probe("cosine_neighbours")
def cosine_ignores_the_vectors_lengths(rng):
    vectors = rng.standard_normal((25, 4)) * rng.uniform(0.1, 10.0, size=(25, 1))
    neighbours = cell_function("06_word2vec", "cosine_neighbours", "cosine_neighbours")
    return {"ids": np.asarray(neighbours(vectors, 3, 24), dtype=np.int64)}


def _analogies(rng, vectors, count):
    answer = cell_function("06_word2vec", "analogy", "analogy_3cosadd")
    questions = [rng.choice(len(vectors), size=3, replace=False) for _ in range(count)]
    return {"answers": np.array([answer(vectors, *(int(i) for i in q)) for q in questions],
                                dtype=np.int64)}


@probe("analogy")
def analogies_in_random_vectors(rng):
    return _analogies(rng, rng.standard_normal((30, 5)), 6)


@probe("analogy")
def analogies_with_vectors_of_many_lengths(rng):
    return _analogies(rng, rng.standard_normal((30, 5)) * rng.uniform(0.1, 10.0, size=(30, 1)), 6)


def _softmax_rows(scores):
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@probe("softmax_backward")
def softmax_backward_of_one_row(rng):
    A = _softmax_rows(rng.standard_normal(int(rng.integers(2, 9))))
    softmax_backward = cell_function("07_seq2seq_attention", "softmax_backward", "softmax_backward")
    return {"dS": np.asarray(softmax_backward(
        A, rng.standard_normal(A.shape)))}


@probe("softmax_backward")
def softmax_backward_of_a_batch_of_rows(rng):
    A = _softmax_rows(3 * rng.standard_normal((2, 4, 6)))
    softmax_backward = cell_function("07_seq2seq_attention", "softmax_backward", "softmax_backward")
    return {"dS": np.asarray(softmax_backward(
        A, rng.standard_normal(A.shape)))}


def _scores(rng, scaled):
    D = int(rng.integers(1, 20))
    q, k = rng.standard_normal((2, 3, D)), rng.standard_normal((2, 5, D))
    attention_scores = cell_function("07_seq2seq_attention", "attention_scores", "attention_scores")
    return {"scores": np.asarray(attention_scores(q, k, scaled))}


@probe("attention_scores")
def attention_scores_unscaled(rng):
    return _scores(rng, False)


@probe("attention_scores")
def attention_scores_scaled(rng):
    return _scores(rng, True)


@probe("positions_table")
def positions_tables_of_several_sizes(rng):
    sinusoid_table = cell_function("08_transformers", "positions_table", "sinusoid_table")
    sizes = [(1, 2), (int(rng.integers(2, 40)), 2 * int(rng.integers(1, 20))), (64, 128)]
    return {f"table_{T}_{D}": np.asarray(sinusoid_table(T, D), dtype=np.float64) for T, D in sizes}


@probe("positions_table")
def positions_table_of_a_long_context(rng):
    sinusoid_table = cell_function("08_transformers", "positions_table", "sinusoid_table")
    T = int(rng.integers(900, 1100))
    return {"long_table": np.asarray(sinusoid_table(T, 16), dtype=np.float64)}


def _parameter_count_shapes(rng):
    return [(int(rng.integers(2, 300)), int(rng.integers(1, 512)), 4 * int(rng.integers(1, 64)),
             int(rng.integers(1, 13))) for _ in range(5)]


@probe("parameter_count")
def parameter_counts_of_random_shapes(rng):
    count = cell_function("08_transformers", "parameter_count", "transformer_parameter_count")
    return {"counts": np.array([count(*shape) for shape in _parameter_count_shapes(rng)],
                               dtype=np.int64)}


@probe("parameter_count")
def parameter_counts_with_a_narrow_mlp(rng):
    count = cell_function("08_transformers", "parameter_count", "transformer_parameter_count")
    return {"counts": np.array([count(*shape, mlp_ratio=2) for shape in _parameter_count_shapes(rng)],
                               dtype=np.int64)}


def cell_function(notebook, exercise, name, with_layers=False):
    """The function `name` defined by a notebook's cells of `exercise`, run after numpy (and the
    submission's own layers, for exercises that build on them)."""
    setup = "import numpy as np" + ("\nfrom dlscratch import layers" if with_layers else "")
    return exercise_namespace(notebook, exercise, setup)[name]


def _plain_rule(learning_rate):
    """Plain gradient descent written here, so the valley path does not depend on another exercise."""
    def rule(w, dw, config):
        return w - learning_rate * dw, config
    return rule


def _shrinking_rule(learning_rate):
    """Gradient descent whose step shrinks as 1 / (1 + t): no rule of the course's exercises."""
    def rule(w, dw, config):
        config["t"] = config.get("t", 0) + 1
        return w - learning_rate / config["t"] * dw, config
    return rule


def _valley(rng, rule, steps):
    ns = exercise_namespace("02_optimizers", "valley_path", "import numpy as np")
    return {"path": np.asarray(ns["valley_path"](rule, {}, steps=steps), dtype=np.float64)}


@probe("valley_path")
def valley_path_of_gradient_descent(rng):
    return _valley(rng, _plain_rule(float(rng.uniform(0.01, 0.07))), int(rng.integers(5, 40)))


@probe("valley_path")
def valley_path_with_a_shrinking_step(rng):
    return _valley(rng, _shrinking_rule(float(rng.uniform(0.02, 0.07))), 60)

