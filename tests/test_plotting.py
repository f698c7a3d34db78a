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

def test_smooth_is_a_centred_mean_with_a_fitted_line_at_the_ends():
    values = [1.0, 2.0, 6.0, 3.0, 8.0]
    # window 3: the middle points average their two neighbours; an end's window holds two points,
    # and the line through them passes through the end's own value
    expected = [1.0, 3.0, 11 / 3, 17 / 3, 8.0]
    np.testing.assert_allclose(smooth(values, window=3), expected, rtol=1e-12)
    # window 5: the middle point averages all five; point 1 reads the least-squares line through
    # points 0..3 (slope 1, mean 3 at t = 1.5) at t = 1, point 3 the one through points 1..4
    np.testing.assert_allclose(smooth(values, window=5)[1:4], [2.5, 4.0, 5.5], rtol=1e-12)


def test_smooth_does_not_leave_the_last_point_raw():
    zigzag = 0.1 * np.arange(101) + np.where(np.arange(101) % 2, 1.0, -1.0)
    smoothed = smooth(zigzag, window=21)
    assert abs(smoothed[-1] - 10.0) < 0.2 and abs(smoothed[0]) < 0.2    # the raw ends are 1 off


def test_smooth_does_not_lag_a_trend_or_move_a_peak():
    line = 3.0 - 0.01 * np.arange(200)
    np.testing.assert_allclose(smooth(line, window=21), line, atol=1e-12)   # an EMA would lie above
    bump = np.exp(-0.5 * ((np.arange(300) - 140) / 12.0) ** 2)
    assert int(np.argmax(smooth(bump, window=31))) == 140


def test_smooth_of_constant_is_constant_and_window_one_is_identity():
    np.testing.assert_allclose(smooth([0.7] * 50), 0.7, rtol=1e-12)
    values = np.array([3.0, -1.0, 4.0, 1.5])
    np.testing.assert_array_equal(smooth(values, window=1), values)
    assert smooth([]).shape == (0,)


def test_smooth_default_window_grows_with_the_run():
    from dlscratch.experiments import default_window
    assert [default_window(n) for n in (5, 40, 1000)] == [1, 3, 51]


@pytest.mark.parametrize("window", [0, 2, 3.0, -1])
def test_smooth_rejects_a_window_that_is_not_a_positive_odd_integer(window):
    with pytest.raises(ValueError, match="positive odd integer"):
        smooth([1.0, 2.0], window=window)


# --- plot_loss / plot_accuracy / plot_training --------------------------------

def test_plot_loss_draws_raw_and_smoothed_lines_in_one_colour_with_labels():
    losses = [2.3, 2.0, 2.1, 1.5, 1.2, 1.3, 0.9]
    ax = plot_loss(fake_solver(losses, [], []), window=3, label="run")
    raw, smoothed = ax.get_lines()
    assert len(ax.get_lines()) == 2
    np.testing.assert_allclose(raw.get_ydata(), losses)
    np.testing.assert_allclose(smoothed.get_ydata(), smooth(losses, 3))
    np.testing.assert_array_equal(raw.get_xdata(), np.arange(len(losses)))
    assert raw.get_color() == smoothed.get_color()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["run"]
    assert ax.get_title() and "iteration" in ax.get_xlabel() and "nats" in ax.get_ylabel()
    assert ax.get_yscale() == "linear"          # 2.3 / 0.9 spans no decades


def test_plot_loss_goes_logarithmic_when_the_loss_spans_decades():
    decaying = 2.0 * 0.9 ** np.arange(100)       # from 2 down to 6e-5
    assert plot_loss(decaying).get_yscale() == "log"
    assert plot_loss(decaying, log_scale=False).get_yscale() == "linear"
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
    assert train_line.get_linestyle() != val_line.get_linestyle()
    assert ax.get_ylabel() == "IoU" and ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "val"]


def test_plot_accuracy_zooms_to_the_trained_epochs_inside_zero_one():
    solver = fake_solver([1.0], train=[0.1, 0.95, 0.97, 0.99], val=[0.1, 0.93, 0.94, 0.95])
    low, high = plot_accuracy(solver).get_ylim()
    assert 0.90 < low < 0.93 and 0.99 < high <= 1.0     # epoch 0's 0.1 would squash the rest
    perplexity = fake_solver([1.0], train=[90.0, 6.0, 5.0], val=[95.0, 7.0, 6.5])
    low, high = plot_accuracy(perplexity, metric_name="perplexity").get_ylim()
    assert 4.0 < low < 5.0 and 7.0 < high < 8.0


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

def test_compare_runs_one_labelled_smoothed_loss_line_per_run_each_in_its_own_style():
    runs = {
        "sgd": fake_solver([2.0, 1.8, 1.7, 1.6], [0.2, 0.4], [0.2, 0.3]),
        "adam": fake_solver([2.0, 1.2, 0.9, 0.7], [0.3, 0.7], [0.3, 0.6]),
        "rmsprop": fake_solver([2.0, 1.5, 1.1, 0.9], [0.3, 0.6], [0.3, 0.5]),
    }
    fig = compare_runs(runs, window=3, title="update rules")
    loss_ax, metric_ax = fig.axes
    lines = loss_ax.get_lines()
    assert [line.get_label() for line in lines] == list(runs)
    for line, solver in zip(lines, runs.values()):
        np.testing.assert_allclose(line.get_ydata(), smooth(solver.loss_history, 3))
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == list(runs)
    assert [t.get_text() for t in metric_ax.get_legend().get_texts()] == [*runs, "train (faint, same style)"]
    assert len({line.get_color() for line in lines}) == len(runs)
    assert len({line.get_linestyle() for line in lines}) == len(runs)      # not colour alone
    for ax in (loss_ax, metric_ax):
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert fig._suptitle.get_text() == "update rules"


def test_compare_runs_metric_axis_has_val_bold_and_train_faint_in_run_style():
    runs = {"plain": fake_solver([1.0, 0.9], [0.5, 0.6], [0.4, 0.5]),
            "batchnorm": fake_solver([1.0, 0.5], [0.6, 0.9], [0.5, 0.8])}
    loss_ax, metric_ax = compare_runs(runs).axes
    metric_lines = [line for line in metric_ax.get_lines() if len(line.get_xdata())]
    assert len(metric_lines) == 2 * len(runs)
    for i, solver in enumerate(runs.values()):
        val_line, train_line = metric_lines[2 * i], metric_lines[2 * i + 1]
        np.testing.assert_allclose(val_line.get_ydata(), solver.val_acc_history)
        np.testing.assert_allclose(train_line.get_ydata(), solver.train_acc_history)
        assert val_line.get_linestyle() == train_line.get_linestyle() == loss_ax.get_lines()[i].get_linestyle()
        assert val_line.get_color() == train_line.get_color() == loss_ax.get_lines()[i].get_color()
        assert train_line.get_alpha() < 1 and val_line.get_linewidth() > train_line.get_linewidth()


def test_compare_runs_draws_seeds_as_mean_with_a_one_sd_band():
    seeds = [fake_solver([2.0, 1.0, 0.5], [0.1, 0.6, 0.8], [0.1, 0.5, 0.7]),
             fake_solver([2.0, 1.2, 0.7], [0.1, 0.7, 0.9], [0.1, 0.6, 0.9])]
    loss_ax, metric_ax = compare_runs({"adam": seeds}, window=1, show_train=False).axes
    (loss_line,) = loss_ax.get_lines()
    np.testing.assert_allclose(loss_line.get_ydata(), [2.0, 1.1, 0.6])
    assert loss_line.get_label() == "adam (2 seeds)"
    (val_line,) = metric_ax.get_lines()
    np.testing.assert_allclose(val_line.get_ydata(), [0.1, 0.55, 0.8])
    band = metric_ax.collections[0].get_paths()[0].vertices[:, 1]
    sd = np.std([0.7, 0.9], ddof=1)
    assert band.max() == pytest.approx(0.8 + sd) and "seeds" in loss_ax.get_title()
    assert [t.get_text() for t in metric_ax.get_legend().get_texts()] == ["adam (2 seeds)"]
    assert metric_ax.get_ylim()[0] > 0.4           # zoomed past both seeds' epoch 0 (0.1)


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


def test_show_image_grid_shared_scale_uses_one_diverging_scale_and_a_colour_bar():
    filters = np.array([[[-2.0, 0.0], [1.0, 0.5]], [[0.1, -0.1], [0.2, 0.0]]])
    fig = show_image_grid(filters, shared_scale=True, title="filters")
    axes = image_axes(fig)
    assert len(axes) == 2
    for ax in axes:
        image = ax.images[0]
        assert image.get_clim() == (-2.0, 2.0) and image.get_cmap().name == "RdBu_r"
        np.testing.assert_array_equal(image.get_array(), filters[axes.index(ax)])  # not rescaled
    colour_bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(colour_bars) == 1
    assert len(image_axes(show_image_grid(filters, shared_scale=True, colorbar=False))) == 2
    with pytest.raises(ValueError, match="colour bar"):
        show_image_grid(filters, colorbar=True)


def test_show_image_grid_wraps_long_labels_and_makes_room_for_them():
    images = np.zeros((4, 5, 5))
    short = show_image_grid(images, labels=list("abcd"), ncols=4)
    long = show_image_grid(images, labels=["vertical edge (Sobel)"] * 4, ncols=4)
    assert image_axes(long)[0].title.get_text() == "vertical edge\n(Sobel)"
    assert long.get_size_inches()[1] > short.get_size_inches()[1]


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
    assert ax.get_title() == "gender" and ax.get_xlabel() and ax.get_ylabel()
    with pytest.raises(ValueError, match="without a point"):
        plot_word_pairs(points, words, [("man", "prince")])
    plt.close("all")


def test_plot_word_pairs_moves_labels_apart_when_points_nearly_coincide():
    from dlscratch.plotting import plot_word_pairs
    points = np.array([[0.0, 0.0], [0.001, 0.0], [0.0, 0.001], [1.0, 1.0]])
    words = ["paris", "moscow", "berlin", "tokyo"]
    ax = plot_word_pairs(points, words, [("paris", "tokyo")])
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text()]
    assert len(boxes) == 4
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    with pytest.raises(ValueError, match=r"expected points \(n, 2\)"):
        plot_word_pairs(points[:, :1], words, [])
    plt.close("all")


def test_compare_runs_puts_the_metric_legend_away_from_where_the_curves_end():
    rising = [fake_solver([1.0, 0.5, 0.2], [0.1, 0.9, 1.0, 1.0], [0.1, 0.9, 1.0, 1.0]),
              fake_solver([1.0, 0.4], [0.1, 0.8, 0.99, 1.0], [0.1, 0.8, 0.99, 1.0])]
    fig = compare_runs({"a": rising[0], "b": rising[1]})
    assert fig.axes[1].get_legend()._loc == 4                       # lower right: curves end high
    falling = fake_solver([1.0, 0.5], [9.0, 5.0, 3.0, 2.0], [9.0, 5.0, 3.0, 2.0])
    fig = compare_runs({"a": falling, "b": falling}, metric_name="perplexity")
    assert fig.axes[1].get_legend()._loc == 1                       # upper right: curves end low
    plt.close("all")
