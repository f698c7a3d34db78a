"""Probes of the models: fc_net, solver_step, conv_net, recurrent_net, word2vec and seq2seq(_decoding)."""
from contextlib import contextmanager

import numpy as np

from . import probe, randn, untouched


# ------------------------------------------------------------------------------------------------
# Helpers (they run in the worker; each imports dlscratch only when called)
# ------------------------------------------------------------------------------------------------

def _loss_and_grads(model, X, y, prefix="", loss_as_float=False):
    """{loss, d<param>...} of one training call, every key prefixed; the loss keeps its dtype
    unless loss_as_float (a float32 classifier with reg > 0: whether its loss is float32 or float64
    hangs on the type of the penalty _add_regularization returns, which no contract fixes)."""
    loss, grads = model.loss(X, y)
    out = {f"{prefix}loss": np.asarray(float(loss) if loss_as_float else loss)}
    out.update({f"{prefix}d{name}": grad for name, grad in grads.items()})
    return out


def _params(model, prefix=""):
    """The model's parameters as outputs named p_<name>."""
    return {f"{prefix}p_{name}": p for name, p in model.params.items()}


def _jitter_biases(model, rng):
    """Small random biases, keeping the ReLU inputs off the kink at 0."""
    for name, p in model.params.items():
        if name.startswith("b"):
            p += (0.1 * randn(rng, *p.shape)).astype(p.dtype)


def _history(solver, prefix=""):
    """The Solver's loss and metric histories and its best metric."""
    return {f"{prefix}loss_history": np.array(solver.loss_history),
            f"{prefix}train_history": np.array(solver.train_acc_history),
            f"{prefix}val_history": np.array(solver.val_acc_history),
            f"{prefix}best_val": np.array(float(solver.best_val_acc))}


@contextmanager
def _dropout_with_fixed_masks():
    """Run the models' dropout with a fixed mask pattern, the same in any submission: the fc_net
    cases check how the model wires dropout in, not how a dropout layer draws its mask (that is
    the dropout exercise's business). The pattern depends on the shape alone, never on the seed,
    so it is no dropout layer a student could borrow: the dropout probes refuse such masks."""
    from dlscratch import layers
    from dlscratch.models import fc_net

    def dropout_forward(x, dropout_param):
        if dropout_param.get("mode", "train") != "train":
            return x.copy(), None
        p = float(dropout_param["p"])
        kept = (np.arange(x.size).reshape(x.shape) * 7919 % 97) < round(97 * p)
        mask = kept.astype(x.dtype) / x.dtype.type(p)
        return x * mask, mask

    def dropout_backward(dout, cache):
        return dout.copy() if cache is None else dout * cache

    saved = [(module, name, getattr(module, name)) for module in (layers, fc_net)
             for name in ("dropout_forward", "dropout_backward")]
    for module, name, _ in saved:
        setattr(module, name, dropout_forward if name == "dropout_forward" else dropout_backward)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


# ------------------------------------------------------------------------------------------------
# fc_net: FullyConnectedNet._forward, _backward and Classifier._add_regularization
# ------------------------------------------------------------------------------------------------

N_FC, D_FC, C_FC = 6, 5, 4


def _fc_model(rng, **kwargs):
    from dlscratch.models import FullyConnectedNet
    options = dict(input_dim=D_FC, num_classes=C_FC, weight_scale=0.3, dtype=np.float64, seed=1)
    options.update(kwargs)
    model = FullyConnectedNet([7, 6], **options)
    if rng is not None:
        _jitter_biases(model, rng)
    return model


def _fc_batch(rng, n=N_FC):
    return randn(rng, n, D_FC), rng.integers(C_FC, size=n)


@probe("fc_net")
def fc_net_plain_gradients_with_regularisation(rng):
    """Plain two-hidden-layer net, reg 0.7 and 0: loss, every gradient, test-mode scores."""
    model = _fc_model(rng, reg=0.7)
    X, y = _fc_batch(rng)
    X_before = X.copy()
    out = _loss_and_grads(model, X, y)
    out["scores"] = model.loss(X)
    plain = _fc_model(None, reg=0.0)
    plain.params = {name: p.copy() for name, p in model.params.items()}
    out.update(_loss_and_grads(plain, X, y, prefix="noreg_"))
    out.update(untouched("X", X_before, X))
    return out


@probe("fc_net")
def fc_net_batchnorm_gradients_and_test_mode(rng):
    """Batchnorm net: loss, gradients, running statistics, test-mode scores of a batch and of one row."""
    model = _fc_model(rng, normalization="batchnorm", reg=0.3)
    X, y = _fc_batch(rng)
    out = _loss_and_grads(model, X, y)
    for i, bn in enumerate(model.bn_params, start=1):
        out[f"running_mean{i}"] = bn["running_mean"].copy()
        out[f"running_var{i}"] = bn["running_var"].copy()
    out["scores"] = model.loss(X)
    out["scores_first_alone"] = model.loss(X[:1])
    out["running_mean1_after_test"] = model.bn_params[0]["running_mean"]
    return out


@probe("fc_net")
def fc_net_layernorm_dropout_gradients(rng):
    """Layernorm, seeded dropout, reg: loss, gradients, same mask per batch, no dropout at test time."""
    with _dropout_with_fixed_masks():
        model = _fc_model(rng, normalization="layernorm", dropout_keep_ratio=0.6, reg=0.5)
        X, y = _fc_batch(rng)
        X2, _ = _fc_batch(rng)
        out = _loss_and_grads(model, X, y)
        out["loss_again"] = np.asarray(model.loss(X, y)[0])
        out["loss_other_batch"] = np.asarray(model.loss(X2, y)[0])
        out["scores"] = model.loss(X)
        unseeded = _fc_model(None, normalization="layernorm",
                             dropout_keep_ratio=0.6, reg=0.5, seed=None)
        unseeded.params = {name: p.copy() for name, p in model.params.items()}
        out["unseeded_masks_are_fresh"] = np.array(unseeded.loss(X, y)[0] != unseeded.loss(X, y)[0])
    return out


@probe("fc_net")
def fc_net_batchnorm_dropout_gradients(rng):
    """Batchnorm followed by seeded dropout (keep 0.5, wide layers): loss and every gradient."""
    from dlscratch.models import FullyConnectedNet
    with _dropout_with_fixed_masks():
        model = FullyConnectedNet([12, 10], input_dim=D_FC, num_classes=C_FC,
                                  normalization="batchnorm", dropout_keep_ratio=0.5,
                                  weight_scale=0.3, dtype=np.float64, seed=4)
        _jitter_biases(model, rng)
        X, y = _fc_batch(rng, n=8)
        out = _loss_and_grads(model, X, y)
        out["scores"] = model.loss(X)
    return out


@probe("fc_net")
def fc_net_float32_keeps_dtype(rng):
    """Float32 batchnorm net fed float64 inputs, reg 0.5 and 0: losses, float32 gradients and scores."""
    model = _fc_model(rng, normalization="batchnorm", reg=0.5, dtype=np.float32, seed=2)
    X, y = _fc_batch(rng)
    out = _loss_and_grads(model, X, y, loss_as_float=True)
    out["scores"] = model.loss(X)
    plain = _fc_model(None, normalization="batchnorm", dtype=np.float32, seed=2)
    plain.params = {name: p.copy() for name, p in model.params.items()}
    out.update(_loss_and_grads(plain, X, y, prefix="noreg_"))
    return out


@probe("fc_net")
def fc_net_initial_loss_is_log_of_the_number_of_classes(rng):
    """Tiny weights: the loss of a 10-class net starts at about log 10 (exact value compared)."""
    from dlscratch.models import FullyConnectedNet
    model = FullyConnectedNet([50], input_dim=D_FC, num_classes=10, weight_scale=1e-3,
                              dtype=np.float64, seed=0)
    X = randn(rng, N_FC, D_FC)
    return _loss_and_grads(model, X, rng.integers(10, size=N_FC))


# ------------------------------------------------------------------------------------------------
# solver_step: Solver._update_parameter
# ------------------------------------------------------------------------------------------------

class _ScriptedModel:
    """A model with one parameter: its gradients come from a list, its validation metric follows a
    script (lower is better), and it records every batch it is given."""

    metric_name = "perplexity"
    higher_is_better = False

    def __init__(self, w, gradients, val_metrics, num_val):
        self.params = {"w": w}
        self.gradients = list(gradients)
        self.val_metrics = list(val_metrics)
        self.num_val = num_val
        self.batches = []

    def loss(self, X, y=None):
        self.batches.append(np.array(X[:, 0]))
        gradient = self.gradients.pop(0) if self.gradients else np.ones_like(self.params["w"])
        return float(np.sum(X)), {"w": gradient}

    def evaluate(self, X, y, batch_size=100):
        # the solver scores train, then val after every epoch; only val draws from the script
        return self.val_metrics.pop(0) if len(X) == self.num_val else 0.0


def _scripted_data(n_train, num_val=7):
    return {"X_train": np.arange(n_train, dtype=np.float64)[:, None],
            "y_train": np.zeros(n_train, dtype=np.int64),
            "X_val": np.zeros((num_val, 1)), "y_val": np.zeros(num_val, dtype=np.int64)}


def _blobs(rng, n, num_classes=3, dim=4, dtype=np.float64):
    centres = 3 * randn(rng, num_classes, dim)
    y = rng.integers(num_classes, size=n)
    return (centres[y] + randn(rng, n, dim)).astype(dtype), y


class _LeastSquaresClassifier:
    """A linear classifier trained by least squares to the one-hot labels, written here so that
    the solver's cases need no student model (and give away no exercise): params W (D, C), b (C,)
    of the given dtype; loss(X) -> scores, loss(X, y) -> (mean of ½|scores - onehot|², grads)."""

    def __init__(self, rng, dim=4, num_classes=3, dtype=np.float64):
        self.params = {"W": (0.3 * randn(rng, dim, num_classes)).astype(dtype),
                       "b": np.zeros(num_classes, dtype=dtype)}

    def loss(self, X, y=None):
        W, b = self.params["W"], self.params["b"]
        scores = X.astype(W.dtype) @ W + b
        if y is None:
            return scores
        residual = scores - np.eye(W.shape[1], dtype=W.dtype)[y]
        n = W.dtype.type(len(X))
        dscores = residual / n
        return 0.5 * float(np.sum(residual * residual)) / len(X), \
            {"W": X.astype(W.dtype).T @ dscores, "b": dscores.sum(axis=0)}


@probe("solver_step")
def solver_sgd_trains_a_linear_classifier(rng):
    """Two shuffled epochs of sgd on a linear classifier: histories and the restored best parameters."""
    from dlscratch.solver import Solver
    X, y = _blobs(rng, 20)
    model = _LeastSquaresClassifier(rng)
    solver = Solver(model, {"X_train": X[:14], "y_train": y[:14], "X_val": X[14:], "y_val": y[14:]},
                    update_rule="sgd", optim_config={"learning_rate": 0.2}, batch_size=4,
                    num_epochs=2, verbose=False, seed=1)
    solver.train()
    return {**_params(model), **_history(solver)}


@probe("solver_step")
def solver_uses_a_callable_rule_and_keeps_its_state_per_parameter(rng):
    """A callable momentum rule whose velocity and step count live in each parameter's config."""
    from dlscratch.solver import Solver
    calls = []

    def momentum(w, dw, config):
        calls.append(1)
        v = 0.9 * config.get("velocity", np.zeros_like(w)) - config["learning_rate"] * dw
        # a new dict, not the one given: the solver must keep what the rule returns
        return w + v, {**config, "velocity": v, "t": config.get("t", 0) + 1}

    X, y = _blobs(rng, 15)
    model = _LeastSquaresClassifier(rng)
    solver = Solver(model, {"X_train": X[:10], "y_train": y[:10], "X_val": X[10:], "y_val": y[10:]},
                    update_rule=momentum, optim_config={"learning_rate": 0.1}, batch_size=4,
                    num_epochs=2, num_train_samples=None, verbose=False, seed=0)
    solver.train()
    out = {**_history(solver), "calls": np.array(len(calls))}
    for name, config in solver.optim_configs.items():
        out[f"velocity_{name}"] = config.get("velocity", np.zeros(0))
        out[f"t_{name}"] = np.array(config.get("t", 0))
    out["caller_config_untouched"] = np.array(solver.optim_config == {"learning_rate": 0.1})
    return out


@probe("solver_step")
def solver_restores_the_best_parameters_by_the_models_metric(rng):
    """sgd on a scripted model whose lower-is-better metric is best at epoch 2: its parameters return."""
    from dlscratch.solver import Solver
    gradients = [randn(rng, 3) for _ in range(4)]
    model = _ScriptedModel(randn(rng, 3), gradients, [9.0, 4.0, 1.0, 6.0, 8.0], num_val=7)
    solver = Solver(model, _scripted_data(10), update_rule="sgd",
                    optim_config={"learning_rate": 0.5}, num_epochs=4, batch_size=10,
                    verbose=False)
    solver.train()
    return {"w": model.params["w"], "best_w": solver.best_params["w"], **_history(solver)}


@probe("solver_step")
def solver_shuffle_false_feeds_the_examples_in_order(rng):
    """shuffle=False: the same in-order batches every epoch (the last one short), and sgd's steps."""
    from dlscratch.solver import Solver
    gradients = [randn(rng, 2, 2) for _ in range(8)]
    model = _ScriptedModel(randn(rng, 2, 2), gradients, [5.0, 4.0, 3.0], num_val=5)
    solver = Solver(model, _scripted_data(7, num_val=5), update_rule="sgd",
                    optim_config={"learning_rate": 0.3}, num_epochs=2, batch_size=2,
                    shuffle=False, verbose=False)
    solver.train()
    return {"seen": np.concatenate(model.batches), "w": model.params["w"],
            "batch_sizes": np.array([len(b) for b in model.batches]), **_history(solver)}


@probe("solver_step")
def solver_each_epoch_visits_every_example_once(rng):
    """Shuffled epochs (seed 3): the order of the examples seen and the parameter they drove."""
    from dlscratch.solver import Solver
    # a metric (lower is better) that improves every epoch, so the parameters kept are the last
    # ones the updates made
    model = _ScriptedModel(randn(rng, 3), [randn(rng, 3) for _ in range(9)], [4.0, 3.0, 2.0, 1.0],
                           num_val=7)
    solver = Solver(model, _scripted_data(10), update_rule="sgd",
                    optim_config={"learning_rate": 0.1}, num_epochs=3, batch_size=4, verbose=False,
                    seed=3)
    solver.train()
    seen = np.concatenate(model.batches)
    every_epoch_complete = all(sorted(seen[10 * e:10 * e + 10]) == list(range(10)) for e in range(3))
    return {"seen": seen, "every_epoch_complete": np.array(every_epoch_complete),
            "w": model.params["w"]}


@probe("solver_step")
def solver_float32_model_stays_float32(rng):
    """One epoch of sgd on a float32 classifier: the updated parameters stay float32."""
    from dlscratch.solver import Solver
    X, y = _blobs(rng, 12, dtype=np.float32)
    model = _LeastSquaresClassifier(rng, dtype=np.float32)
    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X[:4], "y_val": y[:4]},
                    update_rule="sgd", optim_config={"learning_rate": 0.1}, batch_size=5,
                    num_epochs=1, verbose=False, seed=0)
    solver.train()
    return {**_params(model), "loss_history": np.array(solver.loss_history)}


# ------------------------------------------------------------------------------------------------
# conv_net: ThreeLayerConvNet and ConvNet
# ------------------------------------------------------------------------------------------------

CONV_INPUT, CONV_CLASSES = (2, 8, 8), 5


def _images(rng, n, input_dim=CONV_INPUT):
    return randn(rng, n, *input_dim), rng.integers(CONV_CLASSES, size=n)


def _convnet(rng, reg=0.0, dtype=np.float64, seed=1, input_dim=CONV_INPUT, **config):
    from dlscratch.models import ConvNet
    model = ConvNet(input_dim=input_dim, num_classes=CONV_CLASSES, reg=reg, dtype=dtype, seed=seed,
                    **config)
    _jitter_biases(model, rng)
    return model


@probe("conv_net")
def three_layer_convnet_gradients_with_regularisation(rng):
    """ThreeLayerConvNet (3x3 filters, reg 0.5): loss, every gradient and test-mode scores."""
    from dlscratch.models import ThreeLayerConvNet
    model = ThreeLayerConvNet(input_dim=CONV_INPUT, num_filters=3, filter_size=3, hidden_dim=7,
                              num_classes=CONV_CLASSES, weight_scale=0.3, reg=0.5,
                              dtype=np.float64, seed=0)
    _jitter_biases(model, rng)
    X, y = _images(rng, 4)
    return {**_loss_and_grads(model, X, y), "scores": model.loss(X)}


@probe("conv_net")
def three_layer_convnet_float32_odd_image_and_5x5_filters(rng):
    """Float32 ThreeLayerConvNet, reg 0.1, 3x7x5 images, 5x5 filters: loss, float32 gradients, scores."""
    from dlscratch.models import ThreeLayerConvNet
    model = ThreeLayerConvNet(input_dim=(3, 7, 5), num_filters=4, filter_size=5, hidden_dim=6,
                              num_classes=CONV_CLASSES, weight_scale=0.2, reg=0.1, seed=0)
    _jitter_biases(model, rng)
    X, y = _images(rng, 3, input_dim=(3, 7, 5))
    return {**_loss_and_grads(model, X, y, loss_as_float=True), "scores": model.loss(X)}


@probe("conv_net")
def convnet_mixed_filter_sizes_and_one_pool_gradients(rng):
    """ConvNet of a 5x5 block with pool then a 3x3 block without, no hidden layer, reg 0.7."""
    model = _convnet(rng, reg=0.7, num_filters=(4, 3), filter_size=[5, 3], pool=[True, False],
                     hidden_dims=())
    X, y = _images(rng, 4)
    return {**_loss_and_grads(model, X, y), "scores": model.loss(X)}


@probe("conv_net")
def convnet_three_blocks_and_unpooled_two_hidden_gradients(rng):
    """Three pooled 3x3 blocks; one unpooled 1x1 block with two hidden layers: losses, gradients."""
    deep = _convnet(rng, reg=0.3, num_filters=(2, 3, 4), filter_size=3, pool=True, hidden_dims=(5,))
    wide = _convnet(rng, num_filters=(3,), filter_size=1, pool=False, hidden_dims=(5, 4), seed=2)
    X, y = _images(rng, 4)
    return {**_loss_and_grads(deep, X, y, prefix="deep_"),
            **_loss_and_grads(wide, X, y, prefix="wide_")}


@probe("conv_net")
def convnet_batchnorm_gradients_and_running_statistics(rng):
    """Spatial batchnorm blocks: loss, gradients, running statistics, test-mode scores per example."""
    model = _convnet(rng, num_filters=(4, 4), filter_size=3, pool=[False, True], hidden_dims=(6,),
                     normalization="batchnorm", reg=0.2)
    X, y = _images(rng, 6)
    out = _loss_and_grads(model, X, y)
    for i, norm in enumerate(model.norm_params, start=1):
        out[f"running_mean{i}"] = norm["running_mean"].copy()
        out[f"running_var{i}"] = norm["running_var"].copy()
    out["scores"] = model.loss(X)
    out["scores_first_alone"] = model.loss(X[:1])
    return out


@probe("conv_net")
def convnet_groupnorm_float32_gradients(rng):
    """Float32 groupnorm ConvNet (2 groups, reg 0.25), float64 images: loss, float32 gradients, scores."""
    model = _convnet(rng, reg=0.25, dtype=np.float32, num_filters=(4, 6), filter_size=3, pool=True,
                     hidden_dims=(6,), normalization="groupnorm", num_groups=2)
    X, y = _images(rng, 4)
    return {**_loss_and_grads(model, X, y, loss_as_float=True), "scores": model.loss(X)}


@probe("conv_net")
def convnet_trains_with_the_solver(rng):
    """Three epochs of Adam memorising random-label images: histories and the restored parameters."""
    from dlscratch.models import ConvNet
    from dlscratch.solver import Solver
    X, y = _images(rng, 20)
    model = ConvNet(input_dim=CONV_INPUT, num_filters=(4, 4), hidden_dims=(8,),
                    num_classes=CONV_CLASSES, dtype=np.float64, seed=0)
    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X, "y_val": y},
                    update_rule="adam", optim_config={"learning_rate": 1e-2}, num_epochs=3,
                    batch_size=10, num_train_samples=None, verbose=False, seed=0)
    solver.train()
    return {**_params(model), **_history(solver)}


# ------------------------------------------------------------------------------------------------
# recurrent_net: RecurrentNet._forward and _backward
# ------------------------------------------------------------------------------------------------

V_RNN, N_RNN, T_RNN = 11, 3, 5


def _language_model(cell, dtype=np.float64, **kwargs):
    from dlscratch.models import RecurrentNet
    return RecurrentNet(V_RNN, wordvec_dim=4, hidden_dim=6, cell_type=cell, dtype=dtype, seed=0,
                        **kwargs)


def _ids(rng, n=N_RNN, t=T_RNN):
    return rng.integers(V_RNN, size=(n, t)), rng.integers(V_RNN, size=(n, t))


@probe("recurrent_net")
def recurrent_net_rnn_gradients_with_a_masked_target(rng):
    """Vanilla RNN, no carried state, one target < 0: per-token loss, every gradient, the scores."""
    model = _language_model("rnn", carry_state=False)
    X, y = _ids(rng)
    y[1, 2] = -1
    X_before, y_before = X.copy(), y.copy()
    out = _loss_and_grads(model, X, y)
    out["scores"] = model.loss(X)
    out.update(untouched("X", X_before, X))
    out.update(untouched("y", y_before, y))
    return out


@probe("recurrent_net")
def recurrent_net_lstm_gradients_from_a_carried_state(rng):
    """LSTM: a second training call starts from the carried state; reset_state forgets it."""
    model = _language_model("lstm")
    X1, y1 = _ids(rng)
    X2, y2 = _ids(rng)
    y2[0, 0] = -1
    first = model.loss(X1, y1)[0]
    out = _loss_and_grads(model, X2, y2)
    out["first_loss"] = np.asarray(first)
    out["state_h"], out["state_c"] = model._state[0], model._state[1]
    model.reset_state()
    out["loss_after_reset"] = np.asarray(model.loss(X1, y1)[0])
    return out


@probe("recurrent_net")
def recurrent_net_gru_two_chunks_equal_one_long_sequence(rng):
    """GRU: scores of a long sequence, then its two halves trained in turn, the state carried."""
    model = _language_model("gru")
    X, y = _ids(rng, t=2 * T_RNN)
    out = {"scores_whole": model.loss(X)}
    out.update(_loss_and_grads(model, X[:, :T_RNN], y[:, :T_RNN], prefix="first_"))
    out.update(_loss_and_grads(model, X[:, T_RNN:], y[:, T_RNN:], prefix="second_"))
    return out


@probe("recurrent_net")
def recurrent_net_float32_keeps_dtype_and_batch_size_change_resets(rng):
    """Float32 LSTM: loss, float32 gradients and scores; a batch of another size starts at zero."""
    model = _language_model("lstm", dtype=np.float32)
    X, y = _ids(rng)
    X4, y4 = _ids(rng, n=N_RNN + 1)
    out = _loss_and_grads(model, X, y)
    out["scores"] = model.loss(X)
    out.update(_loss_and_grads(model, X4, y4, prefix="bigger_batch_"))
    return out


@probe("recurrent_net")
def recurrent_net_evaluation_skips_negative_targets_and_leaves_the_state(rng):
    """Cross-entropy (uneven batches, masked targets), perplexity, bits; scoring keeps the state."""
    model = _language_model("gru")
    X, y = _ids(rng, n=6)
    y[:, :2] = -1
    y[3, 4] = -1
    out = {"cross_entropy": np.array(model.cross_entropy(X, y, batch_size=4)),
           "perplexity": np.array(model.evaluate(X, y, batch_size=100)),
           "bits": np.array(model.bits_per_token(X, y))}
    model.loss(X[:N_RNN], np.abs(y[:N_RNN]))
    state = model._state[0].copy()
    model.loss(X)
    model.evaluate(X, y)
    model.sample([1, 2], 4, seed=0)
    out["state_unchanged"] = np.array(np.array_equal(state, model._state[0]))
    out["state"] = state
    return out


@probe("recurrent_net")
def recurrent_net_sampling_is_seeded_and_greedy_follows_the_model(rng):
    """Seeded and greedy samples of every cell, a peaked output bias, text with unseen characters."""
    from dlscratch.models import RecurrentNet
    from dlscratch.data.vocabulary import Vocabulary
    prime = rng.integers(V_RNN, size=3)
    out = {}
    for cell in ("rnn", "lstm", "gru"):
        model = _language_model(cell)
        out[f"{cell}_sample"] = model.sample(prime, 12, seed=5)
        out[f"{cell}_greedy"] = model.sample(prime, 8, temperature=0)
        out[f"{cell}_empty"] = model.sample(prime[:1], 0, seed=0)
    model = _language_model("lstm")
    model.params["b_out"][3] = 30.0
    out["peaked"] = model.sample(prime[:1], 6, temperature=1.0, seed=0)
    vocab = Vocabulary.from_text("hello world")
    model = RecurrentNet(len(vocab), wordvec_dim=4, hidden_dim=8, seed=0, vocab=vocab,
                         dtype=np.float64)
    out["text"] = vocab.encode(model.sample("hé!", 10, seed=0))
    return out


@probe("recurrent_net")
def recurrent_net_solver_with_truncated_backpropagation(rng):
    """Two in-order epochs of Adam on streamed chunks, state carried, gradients clipped."""
    from dlscratch.models import RecurrentNet
    from dlscratch.solver import Solver
    from dlscratch.data.text import stream_chunks
    period = rng.integers(1, 8, size=9)
    X, y = stream_chunks(np.tile(period, 12), num_streams=3, seq_length=6)
    model = RecurrentNet(8, wordvec_dim=4, hidden_dim=8, cell_type="lstm", dtype=np.float64,
                         seed=0)
    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X, "y_val": y},
                    update_rule="adam", optim_config={"learning_rate": 1e-2}, batch_size=3,
                    num_epochs=2, shuffle=False, grad_clip=5.0, verbose=False, seed=0)
    solver.train()
    return {**_params(model), **_history(solver)}


# ------------------------------------------------------------------------------------------------
# word2vec: Word2Vec._forward and _backward
# ------------------------------------------------------------------------------------------------

V_W2V, D_W2V, K_W2V = 12, 5, 3


def _word2vec(rng, kind, loss="negative_sampling", dtype=np.float64, seed=0):
    """A model whose output vectors are random too (word2vec starts them at zero)."""
    from dlscratch.models import CBOW, SkipGram
    model = {"skipgram": SkipGram, "cbow": CBOW}[kind](
        V_W2V, D_W2V, loss=loss, num_negative=K_W2V, word_counts=np.arange(1, V_W2V + 1),
        dtype=dtype, seed=seed)
    model.params["W_in"] = (0.5 * randn(rng, V_W2V, D_W2V)).astype(dtype)
    model.params["W_out"] = (0.5 * randn(rng, V_W2V, D_W2V)).astype(dtype)
    return model


def _word2vec_batch(rng, kind, loss, n=7):
    """Repeated words (and padding for CBOW); given noise words, one equal to the true word."""
    if kind == "skipgram":
        X = rng.integers(0, V_W2V, n)
        X[[1, 4]] = X[0]
    else:
        X = rng.integers(0, V_W2V, (n, 4))
        X[::2, 3] = -1
        X[1] = [X[1, 0], X[1, 0], -1, -1]                 # a word twice in one context
    y = rng.integers(0, V_W2V, n)
    if loss == "negative_sampling":
        noise = rng.integers(0, V_W2V, (n, K_W2V))
        noise[2, 1] = y[2]                                 # collides with the true word: ignored
        y = np.concatenate([y[:, None], noise], axis=1)
    return X, y


@probe("word2vec")
def skipgram_negative_sampling_gradients(rng):
    """Skip-gram, negative sampling, given noise, repeated centres: loss, gradients, scores."""
    model = _word2vec(rng, "skipgram")
    X, y = _word2vec_batch(rng, "skipgram", "negative_sampling")
    out = _loss_and_grads(model, X, y)
    out.update(_loss_and_grads(model, X[:1], y[:1], prefix="one_"))
    out["scores"] = model.loss(X)
    return out


@probe("word2vec")
def cbow_negative_sampling_gradients(rng):
    """CBOW, negative sampling, given noise, padded contexts, a word twice: loss, gradients, scores."""
    model = _word2vec(rng, "cbow")
    X, y = _word2vec_batch(rng, "cbow", "negative_sampling")
    X_before = X.copy()
    out = _loss_and_grads(model, X, y)
    out.update(_loss_and_grads(model, X[1:2], y[1:2], prefix="one_"))
    out["scores"] = model.loss(X)
    out.update(untouched("X", X_before, X))
    return out


@probe("word2vec")
def skipgram_and_cbow_softmax_gradients(rng):
    """The full-softmax variant of both models: loss and gradients."""
    out = {}
    for kind in ("skipgram", "cbow"):
        model = _word2vec(rng, kind, loss="softmax")
        X, y = _word2vec_batch(rng, kind, "softmax")
        out.update(_loss_and_grads(model, X, y, prefix=f"{kind}_"))
    return out


@probe("word2vec")
def word2vec_float32_keeps_dtype(rng):
    """Float32 skip-gram and CBOW, both losses: losses, float32 gradients and scores."""
    out = {}
    for kind in ("skipgram", "cbow"):
        for loss in ("negative_sampling", "softmax"):
            model = _word2vec(rng, kind, loss=loss, dtype=np.float32)
            X, y = _word2vec_batch(rng, kind, loss)
            out.update(_loss_and_grads(model, X, y, prefix=f"{kind}_{loss}_"))
        out[f"{kind}_scores"] = model.loss(X)
    return out


@probe("word2vec")
def word2vec_sparse_gradients_and_solver_row_updates(rng):
    """sparse_loss: W_in's gradient as the touched rows; two epochs of sgd on those rows (both models)."""
    from dlscratch.solver import Solver
    from dlscratch.sparse import RowGradient
    out = {}
    for kind in ("skipgram", "cbow"):
        model = _word2vec(rng, kind)
        X, y = _word2vec_batch(rng, kind, "negative_sampling")
        loss, grads = model.sparse_loss(X, y)
        out[f"{kind}_sparse_loss"] = np.asarray(loss)
        out[f"{kind}_W_in_is_rows"] = np.array(isinstance(grads["W_in"], RowGradient))
        if isinstance(grads["W_in"], RowGradient):
            out[f"{kind}_W_in_rows"] = np.asarray(grads["W_in"].rows)
        for name, grad in grads.items():
            dense = grad.to_dense() if isinstance(grad, RowGradient) else grad
            out[f"{kind}_sparse_d{name}"] = dense
        solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X, "y_val": y},
                        update_rule="sgd", optim_config={"learning_rate": 0.5}, batch_size=3,
                        num_epochs=2, verbose=False, seed=0)
        solver.train()
        out.update(_params(model, prefix=f"{kind}_"))
        out.update(_history(solver, prefix=f"{kind}_"))
    return out


@probe("word2vec")
def word2vec_noise_drawn_when_y_holds_only_true_words(rng):
    """Seeded noise, fresh per training call, fixed for evaluate; losses at word2vec's initialisation."""
    from dlscratch.models import CBOW, SkipGram
    model = _word2vec(rng, "skipgram", seed=3)
    X, y = rng.integers(0, V_W2V, 5), rng.integers(0, V_W2V, 5)
    out = {"first": np.asarray(model.loss(X, y)[0]), "second": np.asarray(model.loss(X, y)[0]),
           "evaluate": np.array(model.evaluate(X, y)),
           "evaluate_again": np.array(model.evaluate(X, y))}
    for kind, model_class in (("skipgram", SkipGram), ("cbow", CBOW)):
        X, y = _word2vec_batch(rng, kind, "negative_sampling")
        fresh = model_class(V_W2V, D_W2V, num_negative=K_W2V, dtype=np.float64, seed=0)
        out.update(_loss_and_grads(fresh, X, y, prefix=f"{kind}_initial_"))
        fresh = model_class(V_W2V, D_W2V, loss="softmax", dtype=np.float64, seed=0)
        out.update(_loss_and_grads(fresh, X, y[:, 0], prefix=f"{kind}_softmax_initial_"))
    return out


# ------------------------------------------------------------------------------------------------
# seq2seq: Seq2Seq._encode, _decode, _forward, _backward
# ------------------------------------------------------------------------------------------------

VS, VT, PAD, END = 9, 7, 0, 2


def _seq2seq(cell="lstm", attention=True, dtype=np.float64, seed=0, **kwargs):
    from dlscratch.models import Seq2Seq
    options = dict(wordvec_dim=4, hidden_dim=5)
    options.update(kwargs)
    return Seq2Seq(VS, VT, cell_type=cell, attention=attention, dtype=dtype, seed=seed, **options)


def _padded_batch(rng):
    """Sources and targets of different lengths, padded on the right; targets end with <end>."""
    X = rng.integers(3, VS, size=(3, 6))
    X[0, 4:], X[1, 2:] = PAD, PAD
    y = rng.integers(3, VT, size=(3, 5))
    y[0, 2], y[0, 3:] = END, PAD
    y[1:, 4] = END
    return X, y


@probe("seq2seq")
def seq2seq_lstm_attention_gradients(rng):
    """LSTM with attention on a padded batch: loss per target token and every gradient."""
    model = _seq2seq("lstm", True, seed=3)
    X, y = _padded_batch(rng)
    X_before, y_before = X.copy(), y.copy()
    out = _loss_and_grads(model, X, y)
    out.update(untouched("X", X_before, X))
    out.update(untouched("y", y_before, y))
    return out


@probe("seq2seq")
def seq2seq_gru_attention_gradients(rng):
    """GRU with attention on a padded batch: loss per target token and every gradient."""
    model = _seq2seq("gru", True, seed=3)
    X, y = _padded_batch(rng)
    return _loss_and_grads(model, X, y)


@probe("seq2seq")
def seq2seq_without_attention_gradients(rng):
    """LSTM and GRU without attention on a padded batch: losses and every gradient."""
    out = {}
    for cell in ("lstm", "gru"):
        X, y = _padded_batch(rng)
        out.update(_loss_and_grads(_seq2seq(cell, False, seed=3), X, y, prefix=f"{cell}_"))
    return out


@probe("seq2seq")
def seq2seq_padding_changes_nothing(rng):
    """Log-likelihoods of a padded batch and of each row alone; loss, gradients with more padding."""
    out = {}
    for cell in ("lstm", "gru"):
        model = _seq2seq(cell, True)
        X, y = _padded_batch(rng)
        out[f"{cell}_log_likelihood"] = model.log_likelihood(X, y)
        out[f"{cell}_alone"] = np.concatenate([
            model.log_likelihood(x[None, :int(np.sum(x != PAD))], t[None, :int(np.sum(t != PAD))])
            for x, t in zip(X, y)])
        out.update(_loss_and_grads(model, np.pad(X, ((0, 0), (0, 3))), np.pad(y, ((0, 0), (0, 2))),
                                   prefix=f"{cell}_more_padding_"))
    return out


@probe("seq2seq")
def seq2seq_encoder_states_and_attention_weights(rng):
    """Encoder states, final state (h, c) at the last real token; attention weights, 0 on padding."""
    from dlscratch.layers import attention_weights
    from dlscratch.models import Seq2Seq
    out = {}
    for cell in ("lstm", "gru"):
        model = _seq2seq(cell, True, seed=1)
        X, y = _padded_batch(rng)
        states, final, _ = model._encode(X)
        out[f"{cell}_states"] = states
        for i, part in enumerate(final):
            out[f"{cell}_final{i}"] = part
        scores, cache = model._forward(X, Seq2Seq.decoder_input(y))
        out[f"{cell}_scores"] = scores
        out[f"{cell}_weights"] = attention_weights(cache[1][3])
    return out


@probe("seq2seq")
def seq2seq_float32_keeps_dtype(rng):
    """Float32 GRU with attention: the loss, float32 gradients and teacher-forced scores."""
    from dlscratch.models import Seq2Seq
    model = _seq2seq("gru", True, dtype=np.float32)
    X, y = _padded_batch(rng)
    out = _loss_and_grads(model, X, y)
    out["scores"] = model._forward(X, Seq2Seq.decoder_input(y))[0]
    return out


# ------------------------------------------------------------------------------------------------
# seq2seq_decoding: Seq2Seq._search (greedy and beam search)
# ------------------------------------------------------------------------------------------------

CONFIGS = (("lstm", True), ("lstm", False), ("gru", True), ("gru", False))


def _translations(outputs, weights, prefix):
    """Translations (a list of id arrays) and their attention weights as flat arrays."""
    out = {f"{prefix}lengths": np.array([len(o) for o in outputs], dtype=np.int64),
           f"{prefix}ids": np.concatenate([np.asarray(o, dtype=np.int64) for o in outputs])}
    if weights is not None:
        out[f"{prefix}weight_shapes"] = np.array([w.shape for w in weights], dtype=np.int64)
        # as float64: translate does not promise the weights' dtype, only their values
        out[f"{prefix}weights"] = np.concatenate([np.ravel(w) for w in weights]).astype(np.float64)
    return out


def _test_time_scores(model, X):
    """loss(X)'s scores at the steps of the greedy translation (the step choosing <end> included),
    row after row: a search may stop at once or go on after every row has ended."""
    scores = model.loss(X)
    max_length = X.shape[1] + 10
    outputs, _ = model.translate(X, beam_width=1, max_length=max_length)
    return np.concatenate([scores[n, :len(o) + (len(o) < max_length)]
                           for n, o in enumerate(outputs)])


def _with_end(outputs):
    """Translations as a target array: each followed by <end>, then padding."""
    y = np.zeros((len(outputs), max(len(o) for o in outputs) + 1), dtype=np.int64)
    for row, ids in zip(y, outputs):
        row[:len(ids) + 1] = [*ids, END]
    return y


def _reversal_task(rng, n, letters=3, longest=4):
    """Sources of 2 to `longest` ids from 3, 4, ...; targets the same ids reversed, then <end>."""
    X, y = np.zeros((n, longest), dtype=np.int64), np.zeros((n, longest + 1), dtype=np.int64)
    for row_x, row_y, length in zip(X, y, rng.integers(2, longest + 1, size=n)):
        row_x[:length] = rng.integers(3, 3 + letters, size=length)
        row_y[:length + 1] = [*row_x[:length][::-1], END]
    return X, y


def _half_trained(rng, cell="gru", attention=True, dtype=np.float64, steps=20):
    """A model trained by a few Adam steps (written here) to reverse sequences: it knows something,
    not enough, so greedy and beam search often disagree. Trained in float64, then cast to dtype."""
    from dlscratch.models import Seq2Seq
    model = Seq2Seq(6, 6, wordvec_dim=6, hidden_dim=10, cell_type=cell, attention=attention,
                    dtype=np.float64, seed=0)
    m = {name: np.zeros_like(p) for name, p in model.params.items()}
    v = {name: np.zeros_like(p) for name, p in model.params.items()}
    for t in range(1, steps + 1):
        _, grads = model.loss(*_reversal_task(rng, 40))
        for name, g in grads.items():
            m[name] = 0.9 * m[name] + 0.1 * g
            v[name] = 0.999 * v[name] + 0.001 * g * g
            model.params[name] -= 1e-2 * (m[name] / (1 - 0.9 ** t)) / (
                np.sqrt(v[name] / (1 - 0.999 ** t)) + 1e-8)
    if dtype != np.float64:
        trained = model.params
        model = Seq2Seq(6, 6, wordvec_dim=6, hidden_dim=10, cell_type=cell, attention=attention,
                        dtype=dtype, seed=0)
        model.params = {name: p.astype(dtype) for name, p in trained.items()}
    return model


@probe("seq2seq_decoding")
def greedy_translations_of_every_configuration(rng):
    """Greedy translations and attention weights of four half-trained models; test-time scores."""
    out = {}
    for cell, attention in CONFIGS:
        model = _half_trained(rng, cell, attention)
        X, _ = _reversal_task(rng, 8)
        name = f"{cell}_{'attention' if attention else 'plain'}_"
        out.update(_translations(*model.translate(X, beam_width=1, max_length=6), prefix=name))
        out[f"{name}test_scores"] = _test_time_scores(model, X)
    return out


@probe("seq2seq_decoding")
def beam_search_translations_do_not_depend_on_padding(rng):
    """Float32 models, beam width 2: translations of extra-padded sources and of each one alone."""
    out = {}
    for cell in ("lstm", "gru"):
        model = _half_trained(rng, cell, True, dtype=np.float32)
        X, _ = _reversal_task(rng, 6)
        out.update(_translations(*model.translate(np.pad(X, ((0, 0), (0, 3))), beam_width=2,
                                                  max_length=6), prefix=f"{cell}_padded_"))
        alone = [model.translate(x[None, :int(np.sum(x != PAD))], beam_width=2, max_length=6)[0][0]
                 for x in X]
        out.update(_translations(alone, None, prefix=f"{cell}_alone_"))
        out[f"{cell}_test_scores"] = _test_time_scores(model, X)
    return out


@probe("seq2seq_decoding")
def beam_search_finds_more_likely_translations_than_greedy(rng):
    """Half-trained GRU and LSTM: greedy, beam 3 and beam 40 translations and their likelihoods."""
    out = {}
    for cell in ("gru", "lstm"):
        model = _half_trained(rng, cell, True)
        X, _ = _reversal_task(rng, 12)
        for width in (1, 3, 40):
            outputs, weights = model.translate(X, beam_width=width, max_length=6)
            out.update(_translations(outputs, weights, prefix=f"{cell}_beam{width}_"))
            out[f"{cell}_beam{width}_log_likelihood"] = model.log_likelihood(X, _with_end(outputs))
    return out


@probe("seq2seq_decoding")
def decoding_stops_at_the_end_token(rng):
    """Greedy and beam 3 when <end> is never chosen, chosen at once, or one token always wins."""
    X, _ = _padded_batch(rng)
    out = {}
    for width in (1, 3):
        model = _seq2seq(seed=2)
        model.params["b_out"][END] = -1e3
        out.update(_translations(*model.translate(X, beam_width=width, max_length=7),
                                 prefix=f"beam{width}_never_"))
        model.params["b_out"][END] = 1e3
        out.update(_translations(*model.translate(X, beam_width=width, max_length=7),
                                 prefix=f"beam{width}_at_once_"))
        model.params["b_out"][END] = 0
        model.params["W_out"][:] = 0
        model.params["b_out"][4] = 5
        out.update(_translations(*model.translate(X[:1], beam_width=width, max_length=7),
                                 prefix=f"beam{width}_fixed_"))
    return out


@probe("seq2seq_decoding")
def translate_accepts_lists_and_metrics_follow_the_translations(rng):
    """Translations of id lists; exact matches and accuracies of right and wrong targets."""
    model = _half_trained(rng, "lstm", True)
    X, _ = _reversal_task(rng, 6)
    out = _translations(*model.translate([x[x != PAD].tolist() for x in X], max_length=6),
                        prefix="lists_")
    outputs, _ = model.translate(X, max_length=6)
    y = _with_end(outputs)
    wrong = y.copy()
    wrong[1, 0] = 3 if y[1, 0] != 3 else 4
    for name, target in (("right", y), ("wrong", wrong)):
        out[f"{name}_target"] = target
        out[f"{name}_exact"] = model.exact_matches(X, target)
        out[f"{name}_accuracy"] = np.array(model.evaluate(X, target, batch_size=2))
        out[f"{name}_token_accuracy"] = np.array(model.token_accuracy(X, target))
    return out


@probe("seq2seq_decoding")
def solver_trains_seq2seq_with_exact_match_validation(rng):
    """Three epochs of Adam learning to reverse, validated by greedy exact match; translations."""
    from dlscratch.models import Seq2Seq
    from dlscratch.solver import Solver
    (X, y), (X_val, y_val) = _reversal_task(rng, 80, longest=3), _reversal_task(rng, 20, longest=3)
    model = Seq2Seq(6, 6, wordvec_dim=6, hidden_dim=8, cell_type="gru", dtype=np.float64, seed=0)
    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X_val, "y_val": y_val},
                    update_rule="adam", optim_config={"learning_rate": 3e-2}, batch_size=10,
                    num_epochs=3, grad_clip=5.0, verbose=False, seed=0)
    solver.train()
    out = {**_params(model), **_history(solver)}
    out.update(_translations(*model.translate(X_val[:6], beam_width=2, max_length=6),
                             prefix="val_"))
    return out
