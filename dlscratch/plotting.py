"""Training-curve and image-grid plots shared by the notebooks (matplotlib + numpy only).

Every function returns the Axes or Figure it drew on and never calls plt.show(),
so a notebook cell that ends with the call displays the figure once.
A "solver" here is anything with `loss_history`, `train_acc_history` and
`val_acc_history` lists, optionally a `metric_name` string (default "accuracy").
"""
import math

import matplotlib.pyplot as plt
import numpy as np

SIDE_BY_SIDE_FIGSIZE = (12, 4)
SINGLE_FIGSIZE = (6, 4)
GRID_CELL_INCHES = 1.2


def smooth(values, weight=0.9):
    """Exponential moving average of a 1-D sequence with bias correction; returns an array of the same length."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smooth: weight must lie in [0, 1), got {weight}")
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        return values.copy()
    # The bias-corrected average is shift-invariant (its weights sum to 1), so averaging
    # the offsets from the first value gives the same curve and keeps a constant exact.
    offsets = values - values[0]
    smoothed = np.empty_like(values)
    running = 0.0
    for t, offset in enumerate(offsets):
        running = weight * running + (1.0 - weight) * offset
        smoothed[t] = running / (1.0 - weight ** (t + 1))
    return values[0] + smoothed


def _loss_history_of(history_or_solver):
    """Return the per-iteration loss list of a solver, or the argument itself if it already is one."""
    return getattr(history_or_solver, "loss_history", history_or_solver)


def _metric_name_of(solver, metric_name=None):
    """Return the metric name to print: the explicit one, else the solver's, else "accuracy"."""
    return metric_name or getattr(solver, "metric_name", None) or "accuracy"


def _new_axes():
    """Create a single-axes figure of the standard size and return the Axes."""
    _, ax = plt.subplots(figsize=SINGLE_FIGSIZE)
    return ax


def plot_loss(history_or_solver, ax=None, label=None, smooth_weight=0.9, log_scale=False):
    """Draw the raw per-iteration loss faintly plus its smoothed curve in one colour; returns the Axes."""
    ax = ax if ax is not None else _new_axes()
    losses = np.asarray(_loss_history_of(history_or_solver), dtype=np.float64)
    iterations = np.arange(len(losses))
    raw_line, = ax.plot(iterations, losses, alpha=0.25, linewidth=0.8)
    ax.plot(iterations, smooth(losses, smooth_weight), color=raw_line.get_color(),
            linewidth=1.8, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    if label is not None:
        ax.legend()
    return ax


def plot_accuracy(solver, ax=None, label=None, metric_name=None):
    """Draw the train and validation metric per epoch with markers and a legend; returns the Axes."""
    ax = ax if ax is not None else _new_axes()
    name = _metric_name_of(solver, metric_name)
    prefix = f"{label} " if label else ""
    train, val = solver.train_acc_history, solver.val_acc_history
    ax.plot(range(len(train)), train, marker="o", label=f"{prefix}train")
    ax.plot(range(len(val)), val, marker="s", label=f"{prefix}val")
    ax.set_xlabel("epoch")
    ax.set_ylabel(name)
    ax.legend()
    return ax


def plot_training(solver, title=None):
    """Draw one run's loss (left) and train/val metric (right) side by side; returns the Figure."""
    fig, (loss_ax, metric_ax) = plt.subplots(1, 2, figsize=SIDE_BY_SIDE_FIGSIZE)
    plot_loss(solver, ax=loss_ax)
    plot_accuracy(solver, ax=metric_ax)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def compare_runs(solvers, title=None, smooth_weight=0.9, log_scale=False):
    """Overlay several named runs: smoothed losses left, val (solid) and train (dashed) metric right; returns the Figure."""
    if not solvers:
        raise ValueError("compare_runs: solvers must be a non-empty dict {run name: solver}")
    fig, (loss_ax, metric_ax) = plt.subplots(1, 2, figsize=SIDE_BY_SIDE_FIGSIZE)
    for name, solver in solvers.items():
        losses = np.asarray(_loss_history_of(solver), dtype=np.float64)
        loss_line, = loss_ax.plot(smooth(losses, smooth_weight), label=name)
        colour = loss_line.get_color()
        val, train = solver.val_acc_history, solver.train_acc_history
        metric_ax.plot(range(len(val)), val, color=colour, marker="o", label=name)
        # A leading underscore keeps the train curve out of the legend: colour already names the run.
        metric_ax.plot(range(len(train)), train, color=colour, linestyle="--", alpha=0.7,
                       label=f"_{name} train")
    metric_name = _metric_name_of(next(iter(solvers.values())))
    loss_ax.set(xlabel="iteration", ylabel="loss (smoothed)", title="training loss")
    if log_scale:
        loss_ax.set_yscale("log")
    metric_ax.set(xlabel="epoch", ylabel=metric_name,
                  title=f"{metric_name}: val (solid), train (dashed)")
    loss_ax.legend()
    metric_ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _images_for_display(images):
    """Turn (N,H,W) or channels-first (N,C,H,W), C in {1,3}, into (N,H,W) or (N,H,W,3) for imshow."""
    images = np.asarray(images)
    expected = "expected images of shape (N, H, W) or (N, C, H, W) with C in {1, 3}"
    if images.ndim == 3:
        return images
    if images.ndim == 4 and images.shape[1] == 1:
        return images[:, 0]
    if images.ndim == 4 and images.shape[1] == 3:
        return images.transpose(0, 2, 3, 1)
    raise ValueError(f"show_image_grid: {expected}, got shape {images.shape}")


def _rescale_to_unit(image):
    """Linearly map one image to [0, 1] (a constant image becomes all zeros)."""
    image = image.astype(np.float64)
    low, high = image.min(), image.max()
    if high == low:
        return np.zeros_like(image)
    return (image - low) / (high - low)


def show_image_grid(images, labels=None, ncols=10, cmap=None, title=None):
    """Show N images, each rescaled to [0, 1] on its own, in a tick-free grid with optional labels; returns the Figure."""
    images = _images_for_display(images)
    count = len(images)
    if count == 0:
        raise ValueError("show_image_grid: got no images (N = 0)")
    if ncols < 1:
        raise ValueError(f"show_image_grid: ncols must be at least 1, got {ncols}")
    if labels is not None and len(labels) != count:
        raise ValueError(f"show_image_grid: got {len(labels)} labels for {count} images")
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    title_room = 0.4 if title else 0.0
    figsize = (ncols * GRID_CELL_INCHES, nrows * GRID_CELL_INCHES + title_room)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    grey_default = cmap if cmap is not None else "gray"
    for index, ax in enumerate(axes.flat):
        if index >= count:
            ax.set_visible(False)
            continue
        image = _rescale_to_unit(images[index])
        ax.imshow(image, cmap=grey_default if image.ndim == 2 else None,
                  vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.axis("off")
        if labels is not None:
            ax.set_title(str(labels[index]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_word_pairs(points, words, pairs, ax=None, title=None):
    """Label 2-D points (n, 2) with their words and draw an arrow from the first to the second word
    of each pair (e.g. from a PCA projection); returns the Axes."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) != len(words):
        raise ValueError(f"plot_word_pairs: expected points (n, 2) for {len(words)} words, "
                         f"got shape {points.shape}")
    where = {word: i for i, word in enumerate(words)}
    missing = sorted({w for pair in pairs for w in pair} - set(where))
    if missing:
        raise ValueError(f"plot_word_pairs: the pairs name words without a point: {missing}")
    ax = ax if ax is not None else _new_axes()
    ax.scatter(points[:, 0], points[:, 1], s=12, color="0.4")
    for word, (x, y) in zip(words, points):
        ax.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=8)
    for first, second in pairs:
        start, end = points[where[first]], points[where[second]]
        ax.annotate("", xy=end, xytext=start,
                    arrowprops=dict(arrowstyle="->", color="tab:blue", alpha=0.7))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax
