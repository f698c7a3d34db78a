"""Training-curve and image-grid plots shared by the notebooks (matplotlib + numpy only).

Every function returns the Axes or Figure it drew on and never calls plt.show(),
so a notebook cell that ends with the call displays the figure once.
A "solver" here is anything with `loss_history`, `train_acc_history` and
`val_acc_history` lists, optionally a `metric_name` string (default "accuracy").
Where a function compares runs, a run is one solver or a list of solvers (one per seed),
drawn as the mean over the seeds with a band of one standard deviation.
"""
import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np

from .experiments import smooth

SIDE_BY_SIDE_FIGSIZE = (12, 4)
SINGLE_FIGSIZE = (6, 4)
GRID_CELL_INCHES = 1.2
GRID_LABEL_INCHES = 0.16          # the height one line of an image's label takes
# Runs are told apart by line style and marker as well as by colour (colour-blind and greyscale
# readers, and curves that lie on top of each other).
LINE_STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
# A loss curve whose smoothed values span more than this factor is drawn on a log axis.
LOG_SCALE_SPAN = 30.0


def _loss_history_of(history_or_solver):
    """Return the per-iteration loss list of a solver, or the argument itself if it already is one."""
    return getattr(history_or_solver, "loss_history", history_or_solver)


def _metric_name_of(solver, metric_name=None):
    """Return the metric name to print: the explicit one, else the solver's, else "accuracy"."""
    return metric_name or getattr(solver, "metric_name", None) or "accuracy"


def _seeds_of(run):
    """A run as a list of solvers (one per seed): a single solver becomes a list of one."""
    runs = list(run) if isinstance(run, (list, tuple)) else [run]
    if not runs:
        raise ValueError("a run must be a solver or a non-empty list of solvers (one per seed)")
    return runs


def _stack(series):
    """Stack equal-length-or-not sequences (N seeds) into (N, shortest length) float64."""
    length = min(len(s) for s in series)
    return np.array([np.asarray(s, dtype=np.float64)[:length] for s in series])


def _new_axes():
    """Create a single-axes figure of the standard size and return the Axes."""
    _, ax = plt.subplots(figsize=SINGLE_FIGSIZE)
    return ax


def _use_log_scale(log_scale, curves):
    """True for log_scale=True, or for "auto" when every value is positive and they span decades."""
    if log_scale != "auto":
        return bool(log_scale)
    values = np.concatenate([np.ravel(c) for c in curves])
    values = values[np.isfinite(values)]
    return values.size > 0 and values.min() > 0 and values.max() / values.min() > LOG_SCALE_SPAN


def _zoom_to_trained_epochs(ax, curves, bounded):
    """Zoom the metric axis to the values after epoch 0 (the untrained model would squash them),
    padded by a tenth of their range and kept inside [0, 1] for a bounded metric like accuracy."""
    later = np.concatenate([np.atleast_2d(c)[:, 1:].ravel() for c in curves] or [np.zeros(0)])
    later = later[np.isfinite(later)]
    if later.size == 0:
        return
    low, high = later.min(), later.max()
    pad = max(0.1 * (high - low), 0.005 if bounded else 1e-3 * max(abs(high), 1.0))
    low, high = low - pad, high + pad
    if bounded:
        low, high = max(low, 0.0), min(high, 1.0)
    ax.set_ylim(low, high)


def _is_bounded(curves):
    """Whether a metric's values all lie in [0, 1] (accuracy-like) rather than being unbounded."""
    values = np.concatenate([np.ravel(c) for c in curves])
    values = values[np.isfinite(values)]
    return values.size > 0 and values.min() >= 0.0 and values.max() <= 1.0


def plot_loss(history_or_solver, ax=None, label=None, window=None, log_scale="auto"):
    """Draw the raw per-iteration loss faintly plus its centred moving average in one colour
    (log y axis when the loss spans decades, or as asked); returns the Axes."""
    ax = ax if ax is not None else _new_axes()
    losses = np.asarray(_loss_history_of(history_or_solver), dtype=np.float64)
    iterations = np.arange(len(losses))
    smoothed = smooth(losses, window)
    raw_line, = ax.plot(iterations, losses, alpha=0.25, linewidth=0.8)
    ax.plot(iterations, smoothed, color=raw_line.get_color(), linewidth=1.8, label=label)
    ax.set(xlabel="iteration (one minibatch each)", ylabel="training loss (nats)",
           title="training loss: each minibatch (faint), centred average (bold)")
    if _use_log_scale(log_scale, [smoothed]):
        ax.set_yscale("log")
    if label is not None:
        ax.legend()
    return ax


def plot_accuracy(solver, ax=None, label=None, metric_name=None):
    """Draw the train and validation metric per epoch with markers and a legend, the axis zoomed
    to the trained epochs; returns the Axes."""
    ax = ax if ax is not None else _new_axes()
    name = _metric_name_of(solver, metric_name)
    prefix = f"{label} " if label else ""
    train, val = solver.train_acc_history, solver.val_acc_history
    ax.plot(range(len(train)), train, marker="o", linestyle="--", label=f"{prefix}train")
    ax.plot(range(len(val)), val, marker="s", linestyle="-", label=f"{prefix}val")
    ax.set(xlabel="epoch (0 = before training)", ylabel=name, title=f"{name} per epoch")
    _zoom_to_trained_epochs(ax, [train, val], _is_bounded([train, val]))
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


def _mean_and_band(ax, x, curves, style, label):
    """Plot the mean of curves (seeds, T) in `style`, with a one-sd band when there are several."""
    mean = curves.mean(axis=0)
    line, = ax.plot(x, mean, label=label, **style)
    if len(curves) > 1:
        sd = curves.std(axis=0, ddof=1)
        ax.fill_between(x, mean - sd, mean + sd, color=line.get_color(), alpha=0.15, linewidth=0)
    return line


def _legend_corner_away_from_the_end(ax, curves):
    """'lower right' where the curves end in the upper half of the axis (a metric that rises to its
    ceiling would be hidden under an upper legend), 'upper right' where they end low."""
    middle = np.mean(ax.get_ylim())
    ends = [np.atleast_2d(c)[:, -1].mean() for c in curves if np.size(c)]
    return "lower right" if np.mean([end > middle for end in ends]) >= 0.5 else "upper right"


def compare_runs(runs, title=None, window=None, log_scale="auto", show_train=True, metric_name=None):
    """Overlay several named runs {name: solver or [solver per seed]}: smoothed losses left,
    validation metric (bold) and train metric (faint) right; seeds drawn as mean ± sd; returns the Figure."""
    if not runs:
        raise ValueError("compare_runs: runs must be a non-empty dict {run name: solver or [solvers]}")
    fig, (loss_ax, metric_ax) = plt.subplots(1, 2, figsize=SIDE_BY_SIDE_FIGSIZE)
    loss_curves, metric_curves = [], []
    for i, (name, run) in enumerate(runs.items()):
        seeds = _seeds_of(run)
        label = name if len(seeds) == 1 else f"{name} ({len(seeds)} seeds)"
        style = {"color": f"C{i % 10}", "linestyle": LINE_STYLES[i % len(LINE_STYLES)]}
        losses = _stack([smooth(_loss_history_of(s), window) for s in seeds])
        _mean_and_band(loss_ax, np.arange(losses.shape[1]), losses, dict(style, linewidth=1.6), label)
        val = _stack([s.val_acc_history for s in seeds])
        marker = MARKERS[i % len(MARKERS)]
        _mean_and_band(metric_ax, np.arange(val.shape[1]), val,
                       dict(style, linewidth=1.8, marker=marker, markersize=4), label)
        loss_curves.append(losses)
        metric_curves.append(val)
        if show_train:
            train = _stack([s.train_acc_history for s in seeds]).mean(axis=0)
            # A leading underscore keeps the train curve out of the legend: one grey entry explains them all.
            metric_ax.plot(np.arange(len(train)), train, linewidth=1.0, alpha=0.45,
                           label=f"_{name} train", **style)
            metric_curves.append(train[None])
    name = _metric_name_of(_seeds_of(next(iter(runs.values())))[0], metric_name)
    loss_ax.set(xlabel="iteration (one minibatch each)", ylabel="training loss (nats, centred average)",
                title="training loss" + (" (mean ± sd over seeds)" if any(len(c) > 1 for c in loss_curves) else ""))
    if _use_log_scale(log_scale, loss_curves):
        loss_ax.set_yscale("log")
    if show_train:
        metric_ax.plot([], [], color="0.5", linewidth=1.0, alpha=0.45, label="train (faint, same style)")
    metric_ax.set(xlabel="epoch (0 = before training)", ylabel=name,
                  title=f"validation {name}" + (" (bold) and train (faint)" if show_train else ""))
    _zoom_to_trained_epochs(metric_ax, metric_curves, _is_bounded(metric_curves))
    loss_ax.legend()
    metric_ax.legend(loc=_legend_corner_away_from_the_end(metric_ax, metric_curves))
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


def _rescale_to_unit(image, low=None, high=None):
    """Linearly map an image from [low, high] (its own min and max by default) to [0, 1];
    a constant image becomes all zeros."""
    image = image.astype(np.float64)
    low = image.min() if low is None else low
    high = image.max() if high is None else high
    if high == low:
        return np.zeros_like(image)
    return np.clip((image - low) / (high - low), 0.0, 1.0)


def _wrapped_labels(labels, ncols):
    """Labels as strings wrapped to fit one grid cell, and the number of lines the longest takes."""
    width = 14 if ncols <= 8 else 11
    wrapped = ["\n".join(textwrap.wrap(str(label), width) or [""]) for label in labels]
    return wrapped, max(text.count("\n") + 1 for text in wrapped)


def show_image_grid(images, labels=None, ncols=10, cmap=None, title=None, shared_scale=False,
                    colorbar=None):
    """Show N images in a tick-free grid with optional labels; returns the Figure.

    By default each image is rescaled to [0, 1] on its own (photos, digits). With shared_scale=True
    one colour scale covers every image (compare filters or feature maps with each other): signed
    data gets a diverging map centred on 0, and a colour bar shows the values (colorbar=False hides it).
    """
    images = _images_for_display(images)
    count = len(images)
    if count == 0:
        raise ValueError("show_image_grid: got no images (N = 0)")
    if ncols < 1:
        raise ValueError(f"show_image_grid: ncols must be at least 1, got {ncols}")
    if labels is not None and len(labels) != count:
        raise ValueError(f"show_image_grid: got {len(labels)} labels for {count} images")
    colour = images.ndim == 4
    colorbar = shared_scale and not colour if colorbar is None else colorbar
    if colorbar and not (shared_scale and not colour):
        raise ValueError("show_image_grid: a colour bar needs shared_scale=True and single-channel images")
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    texts, label_lines = _wrapped_labels(labels, ncols) if labels is not None else (None, 0)
    cell_height = GRID_CELL_INCHES + label_lines * GRID_LABEL_INCHES
    figsize = (ncols * GRID_CELL_INCHES + (0.8 if colorbar else 0.0),
               nrows * cell_height + (0.4 if title else 0.0))
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    low, high, map_name = None, None, cmap or "gray"
    if shared_scale:
        low, high = float(images.min()), float(images.max())
        if low < 0 < high and not colour:
            high = max(-low, high)
            low, map_name = -high, cmap or "RdBu_r"
    shown = None
    for index, ax in enumerate(axes.flat):
        if index >= count:
            ax.set_visible(False)
            continue
        if shared_scale and not colour:
            shown = ax.imshow(images[index], cmap=map_name, vmin=low, vmax=high, interpolation="nearest")
        else:
            image = _rescale_to_unit(images[index], low, high)
            shown = ax.imshow(image, cmap=None if colour else map_name, vmin=0.0, vmax=1.0,
                              interpolation="nearest")
        ax.axis("off")
        if texts is not None:
            ax.set_title(texts[index], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if colorbar:
        fig.colorbar(shown, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02, label="value")
    return fig


# where a point's label may go, in order of preference: (x, y) offset in points, alignment
LABEL_PLACES = [((3, 3), "left"), ((3, -9), "left"), ((-3, 3), "right"), ((-3, -9), "right"),
                ((3, 10), "left"), ((-3, 10), "right"), ((3, -16), "left"), ((-3, -16), "right")]


def _overlap_area(a, b):
    """The area (in display units) that two boxes share."""
    return max(0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0, min(a.y1, b.y1) - max(a.y0, b.y0))


def _label_points_without_overlap(ax, points, words, fontsize=8):
    """Write each word next to its point, at the first place in LABEL_PLACES where it overlaps no
    label written before (or, if every place does, at the one that overlaps least)."""
    ax.autoscale_view()                 # the limits the points will be drawn with, not stale ones
    renderer = ax.figure.canvas.get_renderer()
    placed = []
    for word, (x, y) in zip(words, points):
        label = ax.annotate(word, (x, y), xytext=(3, 3), textcoords="offset points",
                            fontsize=fontsize)
        best = None
        for offset, align in LABEL_PLACES:
            label.set_position(offset)
            label.set_horizontalalignment(align)
            box = label.get_window_extent(renderer)
            overlap = sum(_overlap_area(box, other) for other in placed)
            if best is None or overlap < best[0]:
                best = (overlap, offset, align, box)
            if overlap == 0:
                break
        _, offset, align, box = best
        label.set_position(offset)
        label.set_horizontalalignment(align)
        placed.append(box)


def plot_word_pairs(points, words, pairs, ax=None, title=None,
                    axis_labels=("first principal component", "second principal component")):
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
    _label_points_without_overlap(ax, points, words)
    for first, second in pairs:
        start, end = points[where[first]], points[where[second]]
        ax.annotate("", xy=end, xytext=start,
                    arrowprops=dict(arrowstyle="->", color="tab:blue", alpha=0.7))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set(xlabel=axis_labels[0], ylabel=axis_labels[1])
    if title:
        ax.set_title(title)
    return ax
