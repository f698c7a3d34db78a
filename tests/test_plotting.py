"""Tests for dlscratch.plotting: the smoothing maths and what each plot actually draws."""
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlscratch.plotting import (  # noqa: E402
    compare_runs, plot_accuracy, plot_loss, plot_training, show_image_grid, smooth)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure after each test so they do not pile up in memory."""
    yield
    plt.close("all")


def fake_solver(losses, train, val, **extra):
    """Build a minimal duck-typed solver holding the given histories."""
    return types.SimpleNamespace(loss_history=list(losses), train_acc_history=list(train),
                                 val_acc_history=list(val), **extra)


def image_axes(fig):
    """Return the visible axes of a figure that show an image."""
    return [ax for ax in fig.axes if ax.get_visible() and ax.images]


# --- smooth -----------------------------------------------------------------

def test_smooth_matches_hand_computed_bias_corrected_ema():
    # weight 0.5: m1 = 0.5 -> 0.5/0.5; m2 = 0.25 + 1 = 1.25 -> 1.25/0.75; m3 = 0.625 + 1.5 -> 2.125/0.875
    expected = [1.0, 1.25 / 0.75, 2.125 / 0.875]
    np.testing.assert_allclose(smooth([1.0, 2.0, 3.0], weight=0.5), expected, rtol=1e-12)


def test_smooth_of_constant_is_exactly_constant():
    out = smooth([0.7] * 50, weight=0.9)
    assert out.shape == (50,)
    assert np.all(out == 0.7)


def test_smooth_first_point_is_not_dragged_to_zero():
    assert smooth([5.0, 1.0], weight=0.99)[0] == 5.0


def test_smooth_weight_zero_is_identity_and_empty_input_is_empty():
    values = np.array([3.0, -1.0, 4.0, 1.5])
    np.testing.assert_allclose(smooth(values, weight=0.0), values)
    assert smooth([]).shape == (0,)


@pytest.mark.parametrize("weight", [1.0, -0.1])
def test_smooth_rejects_weight_outside_unit_interval(weight):
    with pytest.raises(ValueError, match="weight"):
        smooth([1.0, 2.0], weight=weight)


# --- plot_loss / plot_accuracy / plot_training --------------------------------

def test_plot_loss_draws_raw_and_smoothed_lines_in_one_colour():
    losses = [2.3, 2.0, 2.1, 1.5, 1.2, 1.3, 0.9]
    ax = plot_loss(fake_solver(losses, [], []), smooth_weight=0.8, label="run")
    raw, smoothed = ax.get_lines()
    assert len(ax.get_lines()) == 2
    np.testing.assert_allclose(raw.get_ydata(), losses)
    np.testing.assert_allclose(smoothed.get_ydata(), smooth(losses, 0.8))
    np.testing.assert_array_equal(raw.get_xdata(), np.arange(len(losses)))
    assert raw.get_color() == smoothed.get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["run"]


def test_plot_loss_accepts_a_plain_list_and_log_scale():
    ax = plot_loss([1.0, 0.5, 0.25], log_scale=True)
    assert ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [1.0, 0.5, 0.25])


def test_plot_accuracy_lines_equal_histories_and_use_metric_name():
    solver = fake_solver([1.0], train=[0.1, 0.5, 0.8], val=[0.1, 0.4, 0.6], metric_name="IoU")
    ax = plot_accuracy(solver)
    train_line, val_line = ax.get_lines()
    np.testing.assert_allclose(train_line.get_ydata(), [0.1, 0.5, 0.8])
    np.testing.assert_allclose(val_line.get_ydata(), [0.1, 0.4, 0.6])
    np.testing.assert_array_equal(val_line.get_xdata(), [0, 1, 2])
    assert ax.get_ylabel() == "IoU"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "val"]


def test_plot_accuracy_defaults_to_accuracy_and_prefixes_label():
    ax = plot_accuracy(fake_solver([1.0], [0.2], [0.3]), label="sgd")
    assert ax.get_ylabel() == "accuracy"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd train", "sgd val"]


def test_plot_training_makes_loss_and_metric_axes_side_by_side():
    fig = plot_training(fake_solver([2.0, 1.0, 0.5], [0.3, 0.6], [0.2, 0.5]), title="mlp")
    loss_ax, metric_ax = fig.axes
    assert len(loss_ax.get_lines()) == 2 and len(metric_ax.get_lines()) == 2
    assert loss_ax.get_position().x1 <= metric_ax.get_position().x0
    assert fig._suptitle.get_text() == "mlp"


# --- compare_runs ---------------------------------------------------------------

def test_compare_runs_one_labelled_smoothed_loss_line_per_run():
    runs = {
        "sgd": fake_solver([2.0, 1.8, 1.7, 1.6], [0.2, 0.4], [0.2, 0.3]),
        "adam": fake_solver([2.0, 1.2, 0.9, 0.7], [0.3, 0.7], [0.3, 0.6]),
        "rmsprop": fake_solver([2.0, 1.5, 1.1, 0.9], [0.3, 0.6], [0.3, 0.5]),
    }
    fig = compare_runs(runs, smooth_weight=0.5, title="update rules")
    loss_ax, metric_ax = fig.axes
    lines = loss_ax.get_lines()
    assert [line.get_label() for line in lines] == list(runs)
    for line, solver in zip(lines, runs.values()):
        np.testing.assert_allclose(line.get_ydata(), smooth(solver.loss_history, 0.5))
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == list(runs)
    assert [t.get_text() for t in metric_ax.get_legend().get_texts()] == list(runs)
    assert len({line.get_color() for line in lines}) == len(runs)


def test_compare_runs_metric_axis_has_val_solid_and_train_dashed_in_run_colour():
    runs = {"plain": fake_solver([1.0, 0.9], [0.5, 0.6], [0.4, 0.5]),
            "batchnorm": fake_solver([1.0, 0.5], [0.6, 0.9], [0.5, 0.8])}
    loss_ax, metric_ax = compare_runs(runs).axes
    metric_lines = metric_ax.get_lines()
    assert len(metric_lines) == 2 * len(runs)
    for i, solver in enumerate(runs.values()):
        val_line, train_line = metric_lines[2 * i], metric_lines[2 * i + 1]
        np.testing.assert_allclose(val_line.get_ydata(), solver.val_acc_history)
        np.testing.assert_allclose(train_line.get_ydata(), solver.train_acc_history)
        assert val_line.get_linestyle() == "-" and train_line.get_linestyle() == "--"
        assert val_line.get_color() == train_line.get_color() == loss_ax.get_lines()[i].get_color()


def test_compare_runs_rejects_empty_dict():
    with pytest.raises(ValueError, match="non-empty"):
        compare_runs({})


# --- show_image_grid --------------------------------------------------------------

@pytest.mark.parametrize("n, ncols", [(7, 3), (10, 10), (1, 10), (12, 5)])
def test_show_image_grid_has_one_visible_image_axis_per_image(n, ncols):
    images = np.random.default_rng(0).normal(size=(n, 8, 8))
    fig = show_image_grid(images, ncols=ncols)
    assert len(image_axes(fig)) == n
    assert len([ax for ax in fig.axes if ax.get_visible()]) == n


def test_show_image_grid_single_channel_is_rescaled_greyscale_without_ticks():
    images = np.random.default_rng(1).normal(size=(4, 1, 6, 5)) * 40 + 100
    fig = show_image_grid(images, labels=[0, 1, 2, 3])
    axes = image_axes(fig)
    assert len(axes) == 4
    shown = axes[2].images[0].get_array()
    assert shown.shape == (6, 5)
    assert shown.min() == pytest.approx(0.0) and shown.max() == pytest.approx(1.0)
    assert axes[2].title.get_text() == "2"
    assert not axes[2].axison


def test_show_image_grid_three_channels_first_becomes_rgb():
    images = np.random.default_rng(2).uniform(-3, 3, size=(5, 3, 4, 4))
    fig = show_image_grid(images, ncols=2, title="filters")
    axes = image_axes(fig)
    assert len(axes) == 5
    shown = np.asarray(axes[0].images[0].get_array())
    expected = images[0].transpose(1, 2, 0)
    expected = (expected - expected.min()) / (expected.max() - expected.min())
    np.testing.assert_allclose(shown, expected)


@pytest.mark.parametrize("shape", [(8, 8), (2, 5, 8, 8), (2, 8, 8, 3), (2, 1, 1, 8, 8)])
def test_show_image_grid_rejects_bad_shapes_naming_the_expected_one(shape):
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) with C in \{1, 3\}"):
        show_image_grid(np.zeros(shape))


def test_show_image_grid_rejects_label_count_mismatch():
    with pytest.raises(ValueError, match="labels"):
        show_image_grid(np.zeros((3, 4, 4)), labels=[1, 2])


def test_plot_word_pairs_labels_every_word_and_draws_one_arrow_per_pair():
    from dlscratch.plotting import plot_word_pairs
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0]])
    words = ["man", "woman", "king", "queen"]
    ax = plot_word_pairs(points, words, [("man", "woman"), ("king", "queen")], title="gender")
    texts = [t for t in ax.texts]
    assert sorted(t.get_text() for t in texts if t.get_text()) == sorted(words)
    arrows = [t for t in texts if t.get_text() == ""]
    assert len(arrows) == 2 and tuple(arrows[1].xy) == (3.0, 1.0)
    assert ax.get_title() == "gender"
    with pytest.raises(ValueError, match="without a point"):
        plot_word_pairs(points, words, [("man", "prince")])
    with pytest.raises(ValueError, match=r"expected points \(n, 2\)"):
        plot_word_pairs(points[:, :1], words, [])
    plt.close("all")
