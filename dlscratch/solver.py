"""A generic training loop for every model in the package.

A model only needs `params` (name -> array) and `loss(X, y=None)`, which returns the scores when y
is None and `(loss, grads)` otherwise. Classifiers are scored by accuracy; a model that is not a
classifier defines `evaluate(X, y, batch_size) -> float` and the class attributes `metric_name`
and `higher_is_better` to report its own validation metric (perplexity, token accuracy, ...).

Two extensions serve the word-vector models, whose data and gradients are too big to handle whole:
- X_train (or X_val) may be an example set instead of an array, with y_train (y_val) None: len(X)
  positions, and X[positions] -> (X_batch, y_batch), made on the fly (dlscratch.data.words).
- A model may define `sparse_loss(X, y)`, used for training instead of `loss`, whose gradients may
  be dlscratch.sparse.RowGradient objects holding only the rows a batch touched. Such a gradient
  applies itself (`grad.apply(w, update_rule, config)`: with sgd only its rows are updated, in
  place), so the Solver needs no case of its own for it.

    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                    num_epochs=10, batch_size=100, seed=0)
    solver.train()
"""
import copy
import os
import sys
import time

import numpy as np
from tqdm.auto import tqdm as widget_or_text_tqdm

from . import checkpoint, settings
from .optimizations import get_update_rule
from .twins import twin_of

_REQUIRED_DATA = ("X_train", "y_train", "X_val", "y_val")


class Solver:
    """Trains a model with minibatch gradient descent and keeps the best validation parameters."""

    def __init__(self, model, data, *, update_rule="sgd", optim_config=None, lr_decay=1.0,
                 batch_size=100, num_epochs=10, num_train_samples=1000, num_val_samples=None,
                 checkpoint_name=None, print_every=10, verbose=True, seed=0, grad_clip=None,
                 shuffle=True, keep_last=1, lr_schedule=None, callbacks=(), restore_best=True):
        """
        model:             an object with `params` and `loss(X, y=None)` (see the module docstring)
        data:              dict with X_train, y_train, X_val, y_val (arrays of equal first length,
                           or an example set as X with y None: see the module docstring)
        update_rule:       a name from dlscratch.optimizations ('sgd', 'adam', ...) or a function
        optim_config:      hyperparameters for the update rule; each parameter gets its own copy
        lr_decay:          the learning rate is multiplied by this after every epoch
        lr_schedule:       instead of lr_decay, a function epoch -> learning rate, called before
                           every epoch with the number of epochs done (0 before the first); a
                           schedule from dlscratch.schedules is called before every step instead,
                           with the fractional epoch (epoch + step / steps per epoch)
        callbacks:         functions called after every epoch as f(solver, metrics), metrics a
                           dict with epoch, loss (the epoch's mean), train and val (the model's
                           metric), metric (its name), learning_rate and seconds (the epoch's time)
        restore_best:      at the end, put the parameters of the best validation epoch into the
                           model (True) or keep the last ones (False)
        batch_size:        examples per step; every epoch visits the shuffled training set once
        num_epochs:        epochs to train for
        num_train_samples: training examples scored after every epoch (None: all of them)
        num_val_samples:   validation examples scored after every epoch (None: all of them)
        checkpoint_name:   if set, the solver's state is saved to '<name>_epoch_<k>.npz' after
                           every epoch (arrays and JSON only: loading one runs no code);
                           `load_checkpoint` resumes from such a file
        keep_last:         how many of those epoch checkpoints to keep (None: all of them)
        print_every:       iterations between refreshes of the loss shown on the progress bar
        verbose:           show the progress bar and one summary line per epoch
        seed:              seeds the shuffling and, through a separate stream, the subsampling of
                           the evaluation, so an evaluation setting never changes training
        grad_clip:         if set, rescale the gradients so their global L2 norm is at most this
        shuffle:           reshuffle the training set every epoch; False feeds the examples in order,
                           which truncated backpropagation through time needs (minibatch k+1 then
                           holds the continuation of minibatch k)
        """
        missing = [key for key in _REQUIRED_DATA if key not in data]
        if missing:
            raise KeyError(f"data is missing {missing}; expected a dict with keys {list(_REQUIRED_DATA)}")
        for split in ("train", "val"):
            X, y = data[f"X_{split}"], data[f"y_{split}"]
            if y is None and not hasattr(X, "__getitem__"):
                raise TypeError(f"y_{split} is None, so X_{split} must be an example set that "
                                "X[positions] turns into (X_batch, y_batch)")
            if y is not None and len(X) != len(y):
                raise ValueError(f"X_{split} has {len(X)} examples but y_{split} has {len(y)}")
        if len(data["X_train"]) == 0:
            raise ValueError("X_train is empty")
        for name, value, least in (("batch_size", batch_size, 1), ("num_epochs", num_epochs, 0)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")
        if not lr_decay >= 0:
            raise ValueError(f"lr_decay multiplies the learning rate after every epoch and must be "
                             f">= 0, got {lr_decay}")
        if lr_schedule is not None and (not callable(lr_schedule) or lr_decay != 1.0):
            raise ValueError("lr_schedule must be a function epoch -> learning rate, and it "
                             "replaces lr_decay (leave lr_decay at 1.0)")
        callbacks = [callbacks] if callable(callbacks) else list(callbacks)
        if not all(callable(c) for c in callbacks):
            raise TypeError("callbacks must be functions f(solver, metrics) (or a list of them)")
        if keep_last is not None and (not isinstance(keep_last, int) or keep_last < 1):
            raise ValueError(f"keep_last must be a whole number >= 1 or None, got {keep_last!r}")
        if grad_clip is not None and grad_clip <= 0:
            raise ValueError(f"grad_clip must be positive or None, got {grad_clip}")

        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        # the package's adam is stepped by its fast twin where this copy of the course has one
        self.update_rule = twin_of(get_update_rule(update_rule))
        self.optim_config = dict(optim_config or {})
        self.lr_decay = lr_decay
        self.lr_schedule = lr_schedule
        self.callbacks = callbacks
        self.restore_best = restore_best
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.checkpoint_name = checkpoint_name
        self.keep_last = keep_last
        self._saved_checkpoints = []
        self.print_every = print_every
        self.verbose = verbose
        self.grad_clip = grad_clip
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)                # shuffles the training set
        self.eval_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        self.metric_name = getattr(model, "metric_name", "accuracy")
        self.higher_is_better = getattr(model, "higher_is_better", True)
        self._reset()

    def _reset(self):
        """Start the bookkeeping of a fresh run."""
        self.epoch = 0
        self.best_val_acc = -np.inf if self.higher_is_better else np.inf
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        # every parameter gets its own config, because the rules keep per-parameter state in it
        self.optim_configs = {name: copy.deepcopy(self.optim_config) for name in self.model.params}

    @property
    def iterations_per_epoch(self):
        """Number of minibatches in one pass over the training set (the last may be smaller)."""
        return -(-len(self.X_train) // self.batch_size)

    # --------------------------------------------------------------------------------------------
    # Training
    # --------------------------------------------------------------------------------------------

    def train(self):
        """Run the remaining epochs, then put the best validation parameters into the model
        (unless restore_best=False)."""
        if self.epoch == 0 and not self.val_acc_history:
            self._record_metrics()           # epoch 0: the untrained model, for reference
        remaining = self.num_epochs - self.epoch
        with progress_bar(remaining * self.iterations_per_epoch, self.verbose) as bar:
            for _ in range(remaining):
                if self.lr_schedule is not None and not getattr(self.lr_schedule, "every_step", False):
                    self._set_learning_rate(self.lr_schedule(self.epoch))
                start = time.perf_counter()
                self._train_one_epoch(bar)
                self.epoch += 1
                learning_rate = self._learning_rate()
                self._decay_learning_rate()
                self._record_metrics()
                if self.verbose:
                    bar.write(self._epoch_summary())
                if self.checkpoint_name:
                    self._save_epoch_checkpoint()
                metrics = {"epoch": self.epoch, "loss": float(np.mean(self._epoch_losses())),
                           "train": self.train_acc_history[-1], "val": self.val_acc_history[-1],
                           "metric": self.metric_name, "learning_rate": learning_rate,
                           "seconds": time.perf_counter() - start}
                for callback in self.callbacks:
                    callback(self, metrics)
        if self.best_params and self.restore_best:
            self.model.params = {name: p.copy() for name, p in self.best_params.items()}

    def _train_one_epoch(self, bar):
        """One pass over the training set (freshly shuffled unless shuffle=False), one update per minibatch."""
        order = self.rng.permutation(len(self.X_train)) if self.shuffle else np.arange(len(self.X_train))
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            if getattr(self.lr_schedule, "every_step", False):
                self._set_learning_rate(self.lr_schedule(self.epoch + start / len(order)))
            loss = self._step(*take_examples(self.X_train, self.y_train, batch))
            bar.update(1)
            if len(self.loss_history) % self.print_every == 0:
                bar.set_postfix(epoch=self.epoch + 1, loss=f"{loss:.4f}", refresh=False)

    def _step(self, X_batch, y_batch):
        """Compute the loss and gradients on one minibatch and update every parameter."""
        loss, grads = getattr(self.model, "sparse_loss", self.model.loss)(X_batch, y_batch)
        loss = float(loss)
        if not np.isfinite(loss):
            raise FloatingPointError(
                f"the loss became {loss} at iteration {len(self.loss_history) + 1} "
                f"(epoch {self.epoch + 1}); training stopped. Try a smaller learning rate, "
                "a smaller weight_scale, or check the data for NaN/inf values.")
        self.loss_history.append(loss)
        if self.grad_clip is not None:
            grads = clip_by_global_norm(grads, self.grad_clip)
        for name in self.model.params:
            self._update_parameter(name, grads[name])
        return loss

    def _update_parameter(self, name, grad):
        """Apply the update rule to one parameter with its gradient (and keep the rule's state)."""
        if hasattr(grad, "apply"):          # a gradient that updates its parameter itself
            self.model.params[name], self.optim_configs[name] = grad.apply(
                self.model.params[name], self.update_rule, self.optim_configs[name])
            return
        ### BEGIN SOLUTION
        next_w, self.optim_configs[name] = self.update_rule(self.model.params[name], grad,
                                                            self.optim_configs[name])
        self.model.params[name] = next_w
        ### END SOLUTION

    def _learning_rate(self):
        """The learning rate the last steps used (None for a rule without one)."""
        rates = [c["learning_rate"] for c in self.optim_configs.values() if "learning_rate" in c]
        return float(rates[0]) if rates else None

    def _set_learning_rate(self, learning_rate):
        """Give every parameter's update rule this learning rate (from lr_schedule)."""
        if not learning_rate >= 0:
            raise ValueError(f"lr_schedule({self.epoch}) returned {learning_rate}; a learning rate "
                             "must be >= 0")
        for config in self.optim_configs.values():
            config["learning_rate"] = float(learning_rate)

    def _epoch_losses(self):
        return self.loss_history[-self.iterations_per_epoch:]

    def _decay_learning_rate(self):
        """Multiply every parameter's learning rate by lr_decay (once per epoch)."""
        for config in self.optim_configs.values():
            if "learning_rate" in config:
                config["learning_rate"] *= self.lr_decay

    def _record_metrics(self):
        """Score the model on training and validation data and remember the best parameters."""
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        improved = val_acc > self.best_val_acc if self.higher_is_better else val_acc < self.best_val_acc
        if improved:
            self.best_val_acc = val_acc
            self.best_params = {name: p.copy() for name, p in self.model.params.items()}

    def _epoch_summary(self):
        """One line: epoch, mean loss over the epoch, train and validation metric."""
        return (f"epoch {self.epoch}/{self.num_epochs}  loss {np.mean(self._epoch_losses()):.4f}  "
                f"train {self.metric_name} {self.train_acc_history[-1]:.4f}  "
                f"val {self.metric_name} {self.val_acc_history[-1]:.4f}")

    # --------------------------------------------------------------------------------------------
    # Evaluation
    # --------------------------------------------------------------------------------------------

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """The model's metric on (X, y), on a random subset of num_samples if given (default: accuracy)."""
        if num_samples is not None and len(X) > num_samples:
            X, y = take_examples(X, y, self.eval_rng.choice(len(X), num_samples, replace=False))
        elif y is None:
            X, y = take_examples(X, y, np.arange(len(X)))
        if hasattr(self.model, "evaluate"):
            return float(self.model.evaluate(X, y, batch_size=batch_size))
        correct = 0
        for start in range(0, len(X), batch_size):
            scores = self.model.loss(X[start:start + batch_size])
            correct += int(np.sum(np.argmax(scores, axis=1) == y[start:start + batch_size]))
        return correct / max(len(X), 1)

    # --------------------------------------------------------------------------------------------
    # Checkpoints
    # --------------------------------------------------------------------------------------------

    # what a checkpoint restores; the settings (num_epochs, batch_size, ...) stay the new solver's own
    _HISTORIES = ("loss_history", "train_acc_history", "val_acc_history")

    def _save_epoch_checkpoint(self):
        """Save '<name>_epoch_<k>.npz' and delete this run's older ones beyond keep_last."""
        path = f"{self.checkpoint_name}_epoch_{self.epoch}.npz"
        self.save_checkpoint(path)
        self._saved_checkpoints.append(path)
        if self.keep_last is not None:
            while len(self._saved_checkpoints) > self.keep_last:
                old = self._saved_checkpoints.pop(0)
                if os.path.exists(old):
                    os.unlink(old)

    def save_checkpoint(self, path):
        """Write the model's parameters and the solver's state to `path` (.npz, atomically)."""
        arrays = {f"param/{name}": p for name, p in self.model.params.items()}
        arrays.update({f"best/{name}": p for name, p in self.best_params.items()})
        scalars = {}
        for name, config in self.optim_configs.items():
            scalars[name] = {}
            for key, value in config.items():
                if isinstance(value, np.ndarray):
                    arrays[f"optim/{name}/{key}"] = value
                else:
                    scalars[name][key] = _plain(value, f"optim_configs[{name!r}][{key!r}]")
        header = {"model_class": _class_name(self.model), "epoch": self.epoch,
                  "best_val_acc": float(self.best_val_acc), "optim_scalars": scalars,
                  "rng_state": self.rng.bit_generator.state,
                  "eval_rng_state": self.eval_rng.bit_generator.state,
                  **{key: [float(v) for v in getattr(self, key)] for key in self._HISTORIES}}
        checkpoint.write(path, header, arrays)

    def load_checkpoint(self, path):
        """Restore the parameters and the solver's state from `path`; train() then resumes there.

        The model must be of the class, with the parameter names and shapes, the checkpoint was
        saved from (build it with the same arguments); anything else is refused with a message.
        """
        header, arrays = checkpoint.read(path)
        params = {key.split("/", 1)[1]: a for key, a in arrays.items() if key.startswith("param/")}
        self._check_fits(path, header["model_class"], params)
        for name, value in params.items():
            self.model.params[name] = value
        self.best_params = {key.split("/", 1)[1]: a for key, a in arrays.items()
                            if key.startswith("best/")}
        self.optim_configs = {name: dict(values) for name, values in header["optim_scalars"].items()}
        for key, value in arrays.items():
            if key.startswith("optim/"):
                _, name, setting = key.split("/", 2)
                self.optim_configs[name][setting] = value
        self.epoch, self.best_val_acc = header["epoch"], header["best_val_acc"]
        for key in self._HISTORIES:
            setattr(self, key, list(header[key]))
        self.rng.bit_generator.state = header["rng_state"]
        self.eval_rng.bit_generator.state = header["eval_rng_state"]

    def _check_fits(self, path, model_class, params):
        """Refuse a checkpoint of another model class or with other parameters, saying which."""
        if model_class != _class_name(self.model):
            raise checkpoint.CheckpointError(
                f"{path} holds a {model_class}, but this solver trains a {_class_name(self.model)}")
        ours = {name: (p.shape, p.dtype) for name, p in self.model.params.items()}
        theirs = {name: (p.shape, p.dtype) for name, p in params.items()}
        if ours != theirs:
            differ = sorted(n for n in set(ours) | set(theirs) if ours.get(n) != theirs.get(n))
            details = "; ".join(f"{n}: checkpoint {_describe(theirs.get(n))}, model "
                                f"{_describe(ours.get(n))}" for n in differ[:5])
            raise checkpoint.CheckpointError(
                f"{path} does not fit this model (build it with the arguments it was saved "
                f"from): {details}")


def _class_name(model):
    return f"{type(model).__module__}.{type(model).__qualname__}"


def _describe(shape_and_dtype):
    return "missing" if shape_and_dtype is None else f"{shape_and_dtype[1]}{shape_and_dtype[0]}"


def _plain(value, what):
    """A JSON-able scalar from an update rule's config value, or a TypeError naming it."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{what} is a {type(value).__name__}; a checkpoint stores numbers, strings "
                    "and arrays only")


def take_examples(X, y, index):
    """(X[index], y[index]) from arrays, or what an example set X makes of the positions (y None)."""
    return X[index] if y is None else (X[index], y[index])


def progress_bar(total, verbose):
    """A tqdm bar over `total` steps (a widget in Jupyter, text elsewhere); silent unless verbose.

    Under DLSCRATCH_PROGRESS=text (`make notebooks`) no bar is drawn: the run ends with one
    finished line, so a committed notebook shows that line instead of a bar's every refresh.
    """
    if settings.TEXT_PROGRESS:
        return FinishedLine(total, verbose)
    return widget_or_text_tqdm(total=total, disable=not verbose, desc="training", unit="step")


class FinishedLine:
    """Stands in for a tqdm bar: counts the steps and prints one line when the run ends."""

    def __init__(self, total, verbose):
        self.total, self.verbose, self.steps, self.postfix = total, verbose, 0, {}
        self.start = time.perf_counter()

    def update(self, steps):
        self.steps += steps

    def set_postfix(self, refresh=False, **values):
        self.postfix = values

    def write(self, line):
        print(line, file=sys.stdout)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.verbose:
            seconds = time.perf_counter() - self.start
            last = f", last loss {self.postfix['loss']}" if "loss" in self.postfix else ""
            print(f"training: {self.steps}/{self.total} steps in {seconds:.1f} s "
                  f"({self.steps / max(seconds, 1e-9):.1f} step/s){last}", file=sys.stdout)


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients by one factor so that their joint L2 norm is at most max_norm."""
    total = np.sqrt(sum(_squared_norm(g) for g in grads.values()))
    if total <= max_norm:
        return grads
    scale = max_norm / (total + 1e-12)
    return {name: g * g.dtype.type(scale) for name, g in grads.items()}


def _squared_norm(grad):
    """The sum of the squares of a gradient's entries (a sparse gradient counts its own)."""
    return grad.squared_norm() if hasattr(grad, "squared_norm") else float(np.sum(grad * grad))
