"""The Solver: training, lr decay, best parameters, checkpoints, NaN stop and bad arguments."""
import os
import re

import numpy as np
import pytest

from dlscratch.models import FullyConnectedNet
from dlscratch import settings
from dlscratch.solver import Solver, clip_by_global_norm


def blobs(n, num_classes=3, dim=5, seed=0):
    """n points in `num_classes` well-separated Gaussian clusters: X (n, dim), y (n,)."""
    rng = np.random.default_rng(seed)
    centres = 4 * rng.standard_normal((num_classes, dim))
    y = rng.integers(num_classes, size=n)
    X = centres[y] + rng.standard_normal((n, dim))
    return X.astype(np.float32), y


def small_data(n_train=60, n_val=30):
    X, y = blobs(n_train + n_val)
    return {"X_train": X[:n_train], "y_train": y[:n_train],
            "X_val": X[n_train:], "y_val": y[n_train:]}


def small_net(seed=0):
    return FullyConnectedNet([20], input_dim=5, num_classes=3, weight_scale=0.1, seed=seed)


class ScriptedModel:
    """A stand-in model with one parameter whose loss and validation metric follow a script."""

    metric_name = "perplexity"
    higher_is_better = False

    def __init__(self, losses=None, val_metrics=None):
        self.params = {"w": np.zeros(3)}
        self.losses = list(losses or [])
        self.val_metrics = list(val_metrics or [])
        self.batches = []

    def loss(self, X, y=None):
        self.batches.append(np.array(X))
        loss = self.losses.pop(0) if self.losses else 1.0
        return loss, {"w": np.ones(3)}

    def evaluate(self, X, y, batch_size=100):
        # the solver scores train then val after every epoch; only val draws from the script
        return self.val_metrics.pop(0) if len(X) == 7 else 0.0


def scripted_data(n_train=10):
    X = np.arange(n_train, dtype=float)[:, None]
    return {"X_train": X, "y_train": np.zeros(n_train, dtype=int),
            "X_val": np.zeros((7, 1)), "y_val": np.zeros(7, dtype=int)}


def test_overfits_a_tiny_training_set():
    data = small_data()
    solver = Solver(small_net(), data, update_rule="adam", optim_config={"learning_rate": 1e-2},
                    num_epochs=30, batch_size=10, verbose=False)
    solver.train()
    assert solver.train_acc_history[-1] == 1.0
    assert solver.loss_history[-1] < 0.1 * solver.loss_history[0]
    assert solver.best_val_acc > 0.9


def test_histories_have_one_entry_per_epoch_plus_the_untrained_model():
    solver = Solver(small_net(), small_data(), num_epochs=3, batch_size=25, verbose=False)
    solver.train()
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 4
    assert len(solver.loss_history) == 3 * 3          # 60 examples / 25 per batch -> 3 batches


def test_each_epoch_visits_every_example_exactly_once():
    model = ScriptedModel(val_metrics=[5.0] * 4)
    solver = Solver(model, scripted_data(10), num_epochs=3, batch_size=4, verbose=False, seed=3)
    solver.train()
    seen = np.concatenate([b[:, 0] for b in model.batches])
    assert len(seen) == 30
    for epoch in range(3):
        assert sorted(seen[10 * epoch:10 * (epoch + 1)]) == list(range(10))
    assert not np.array_equal(seen[:10], seen[10:20]), "every epoch must be reshuffled"


def test_same_seed_gives_the_same_run_and_another_seed_a_different_one():
    def run(seed):
        solver = Solver(small_net(), small_data(), num_epochs=2, batch_size=10, verbose=False,
                        seed=seed)
        solver.train()
        return solver.loss_history
    assert run(1) == run(1)
    assert run(1) != run(2)


def test_learning_rate_decays_once_per_epoch():
    solver = Solver(small_net(), small_data(), update_rule="sgd_momentum",
                    optim_config={"learning_rate": 0.1}, lr_decay=0.5, num_epochs=3,
                    batch_size=30, verbose=False)
    solver.train()
    for config in solver.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(0.1 * 0.5 ** 3)
    assert solver.optim_config["learning_rate"] == 0.1, "the caller's config must not change"


def test_best_parameters_follow_the_model_metric_and_are_restored():
    # lower is better for this model: epoch 2 (metric 1.0) is the best of 0:9, 1:4, 2:1, 3:6
    model = ScriptedModel(val_metrics=[9.0, 4.0, 1.0, 6.0])
    solver = Solver(model, scripted_data(10), update_rule="sgd",
                    optim_config={"learning_rate": 1.0}, num_epochs=3, batch_size=10,
                    verbose=False)
    solver.train()
    assert solver.val_acc_history == [9.0, 4.0, 1.0, 6.0]
    assert solver.best_val_acc == 1.0
    # one sgd step of lr 1 with gradient 1 per epoch: after epoch 2, w = -2
    np.testing.assert_array_equal(model.params["w"], [-2.0, -2.0, -2.0])


def test_restore_best_false_keeps_the_last_parameters():
    model = ScriptedModel(val_metrics=[9.0, 4.0, 1.0, 6.0])
    solver = Solver(model, scripted_data(10), update_rule="sgd", optim_config={"learning_rate": 1.0},
                    num_epochs=3, batch_size=10, verbose=False, restore_best=False)
    solver.train()
    assert solver.best_val_acc == 1.0
    np.testing.assert_array_equal(solver.best_params["w"], [-2.0, -2.0, -2.0])
    np.testing.assert_array_equal(model.params["w"], [-3.0, -3.0, -3.0])   # three steps of -1


def test_lr_schedule_sets_each_epochs_learning_rate_and_callbacks_see_every_epoch():
    # two sgd steps of gradient 1 per epoch, with the rates the schedule gives epochs 0, 1, 2
    rates = [0.5, 0.25, 0.125]
    seen = []
    model = ScriptedModel(losses=[6.0, 4.0, 3.0, 2.0, 1.0, 1.0], val_metrics=[5.0, 3.0, 2.0, 4.0])
    solver = Solver(model, scripted_data(10), update_rule="sgd", optim_config={"learning_rate": 9.0},
                    num_epochs=3, batch_size=5, verbose=False, restore_best=False,
                    lr_schedule=lambda epoch: rates[epoch],
                    callbacks=lambda solver, metrics: seen.append(dict(metrics)))
    solver.train()
    np.testing.assert_allclose(model.params["w"], -2 * sum(rates) * np.ones(3))
    assert [m["epoch"] for m in seen] == [1, 2, 3]
    assert [m["learning_rate"] for m in seen] == rates
    assert [m["loss"] for m in seen] == [5.0, 2.5, 1.0]
    assert [m["val"] for m in seen] == [3.0, 2.0, 4.0] and all(m["train"] == 0.0 for m in seen)
    assert all(m["metric"] == "perplexity" and m["seconds"] > 0 for m in seen)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"lr_schedule": lambda e: 0.1, "lr_decay": 0.5}, ValueError, "it replaces lr_decay"),
    ({"lr_schedule": 0.1}, ValueError, "lr_schedule must be a function epoch -> learning rate"),
    ({"callbacks": [print, "not a function"]}, TypeError, "callbacks must be functions"),
])
def test_impossible_schedules_and_callbacks_are_refused(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        Solver(small_net(), small_data(), **kwargs)


def test_a_schedule_returning_a_negative_rate_stops_training():
    solver = Solver(small_net(), small_data(), lr_schedule=lambda epoch: -1.0, verbose=False)
    with pytest.raises(ValueError, match=re.escape("lr_schedule(0) returned -1.0")):
        solver.train()


def test_nan_loss_stops_with_a_message_naming_the_iteration():
    model = ScriptedModel(losses=[1.0, 0.5, float("nan")], val_metrics=[1.0] * 5)
    solver = Solver(model, scripted_data(10), num_epochs=2, batch_size=2, verbose=False)
    with pytest.raises(FloatingPointError, match="iteration 3"):
        solver.train()


def test_inf_loss_also_stops():
    model = ScriptedModel(losses=[float("inf")], val_metrics=[1.0] * 5)
    with pytest.raises(FloatingPointError, match="inf"):
        Solver(model, scripted_data(10), num_epochs=1, batch_size=2, verbose=False).train()


def test_checkpoint_resume_continues_exactly_where_training_stopped(tmp_path):
    name = str(tmp_path / "run")
    full = Solver(small_net(), small_data(), update_rule="adam", num_epochs=4, batch_size=20,
                  checkpoint_name=name, keep_last=None, verbose=False, seed=5,
                  num_train_samples=30)
    full.train()
    assert sorted(os.listdir(tmp_path)) == [f"run_epoch_{k}.npz" for k in range(1, 5)]

    resumed = Solver(small_net(seed=99), small_data(), update_rule="adam", num_epochs=4,
                     batch_size=20, verbose=False, seed=123, num_train_samples=30)
    resumed.load_checkpoint(f"{name}_epoch_2.npz")
    assert resumed.epoch == 2
    resumed.train()
    assert resumed.loss_history == full.loss_history
    assert resumed.train_acc_history == full.train_acc_history
    assert resumed.val_acc_history == full.val_acc_history
    for key in full.model.params:
        np.testing.assert_array_equal(resumed.model.params[key], full.model.params[key])


def test_only_the_last_checkpoints_are_kept(tmp_path):
    Solver(small_net(), small_data(), num_epochs=4, checkpoint_name=str(tmp_path / "run"),
           verbose=False).train()
    assert os.listdir(tmp_path) == ["run_epoch_4.npz"]
    Solver(small_net(), small_data(), num_epochs=4, checkpoint_name=str(tmp_path / "two"),
           keep_last=2, verbose=False).train()
    assert sorted(os.listdir(tmp_path)) == ["run_epoch_4.npz", "two_epoch_3.npz", "two_epoch_4.npz"]
    with pytest.raises(ValueError, match="keep_last must be a whole number >= 1 or None"):
        Solver(small_net(), small_data(), keep_last=0)


def test_a_checkpoint_holds_arrays_and_json_only(tmp_path):
    solver = Solver(small_net(), small_data(), update_rule="adam", num_epochs=1, verbose=False)
    solver.train()
    solver.save_checkpoint(str(tmp_path / "model.npz"))
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:   # no pickle inside
        assert "param/W1" in archive.files and "optim/W1/m" in archive.files


def test_checkpoint_is_written_atomically(tmp_path, monkeypatch):
    solver = Solver(small_net(), small_data(), num_epochs=1, verbose=False)
    path = tmp_path / "model.npz"
    solver.save_checkpoint(str(path))
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        solver.save_checkpoint(str(path))
    assert path.read_bytes() == before, "a failed save must leave the old checkpoint intact"
    assert os.listdir(tmp_path) == ["model.npz"], "no temporary file may be left behind"


def test_loading_a_corrupt_or_missing_checkpoint_says_so(tmp_path):
    solver = Solver(small_net(), small_data(), verbose=False)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable Solver checkpoint"):
        solver.load_checkpoint(str(bad))
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        solver.load_checkpoint(str(tmp_path / "missing.npz"))


def test_a_pickle_is_refused_and_never_run(tmp_path):
    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))
    evil = tmp_path / "evil.npz"
    np.savez(evil, x=np.array([Payload()], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="not a readable Solver checkpoint"):
        Solver(small_net(), small_data(), verbose=False).load_checkpoint(str(evil))
    assert not (tmp_path / "pwned").exists()


def test_a_flipped_byte_is_caught(tmp_path):
    solver = Solver(small_net(), small_data(), verbose=False)
    path = tmp_path / "model.npz"
    solver.save_checkpoint(str(path))
    data = bytearray(path.read_bytes())
    with np.load(path) as archive:       # flip a byte inside W1's stored numbers
        offset = data.find(archive["param/W1"].tobytes()[:16])
    assert offset > 0
    data[offset + 5] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged|not a readable"):
        solver.load_checkpoint(str(path))


def test_a_checkpoint_of_another_model_is_refused_with_what_differs(tmp_path):
    path = str(tmp_path / "model.npz")
    Solver(small_net(), small_data(), verbose=False).save_checkpoint(path)
    wider = FullyConnectedNet([30], input_dim=5, num_classes=3, weight_scale=0.1)
    with pytest.raises(ValueError, match=r"does not fit this model.*W1: checkpoint float32\(5, 20\), "
                                         r"model float32\(5, 30\)"):
        Solver(wider, small_data(), verbose=False).load_checkpoint(path)
    with pytest.raises(ValueError, match="holds a dlscratch.models.fc_net.FullyConnectedNet, but "
                                         "this solver trains a test_solver.ScriptedModel"):
        Solver(ScriptedModel(), scripted_data(), verbose=False).load_checkpoint(path)


def test_unknown_keyword_argument_is_rejected():
    with pytest.raises(TypeError, match="learning_rate"):
        Solver(small_net(), small_data(), learning_rate=0.1)


def test_unknown_update_rule_lists_the_known_ones():
    with pytest.raises(ValueError, match="adam"):
        Solver(small_net(), small_data(), update_rule="adamax")


def test_callable_update_rule_is_used():
    calls = []

    def halve(w, dw, config):
        calls.append(1)
        return w / 2, config
    model = ScriptedModel(val_metrics=[1.0] * 3)
    model.params["w"] = np.ones(3)
    Solver(model, scripted_data(4), update_rule=halve, num_epochs=1, batch_size=2,
           verbose=False).train()
    assert len(calls) == 2


def test_bad_data_is_rejected():
    data = small_data()
    with pytest.raises(KeyError, match="y_val"):
        Solver(small_net(), {k: v for k, v in data.items() if k != "y_val"})
    data["y_train"] = data["y_train"][:-1]
    with pytest.raises(ValueError, match="X_train has 60 examples but y_train has 59"):
        Solver(small_net(), data)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_epochs": -1}, "num_epochs must be a whole number >= 0, got -1"),
    ({"num_epochs": 2.5}, "num_epochs must be a whole number >= 0, got 2.5"),
    ({"batch_size": 0}, "batch_size must be a whole number >= 1, got 0"),
    ({"lr_decay": -0.5}, "lr_decay multiplies the learning rate after every epoch and must be >= 0"),
])
def test_impossible_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Solver(small_net(), small_data(), **kwargs)


def test_verbose_false_is_silent_and_verbose_prints_one_line_per_epoch(capsys):
    Solver(small_net(), small_data(), num_epochs=2, verbose=False).train()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    Solver(small_net(), small_data(), num_epochs=2, verbose=True).train()
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "epoch 1/2" in text and "epoch 2/2" in text


def test_check_accuracy_subsamples_and_batches():
    data = small_data()
    solver = Solver(small_net(), data, verbose=False)
    full = solver.check_accuracy(data["X_val"], data["y_val"], batch_size=7)
    predicted = solver.model.predict(data["X_val"])
    assert full == pytest.approx(np.mean(predicted == data["y_val"]))
    assert solver.check_accuracy(data["X_val"], data["y_val"], num_samples=10) in \
        {k / 10 for k in range(11)}


def test_gradient_clipping_rescales_to_the_global_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped = clip_by_global_norm(grads, 1.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    assert clip_by_global_norm(grads, 10.0) is grads


def test_text_progress_prints_one_finished_line_per_run_and_the_epoch_lines(monkeypatch, capsys):
    monkeypatch.setattr(settings, "TEXT_PROGRESS", True)
    Solver(small_net(), small_data(), num_epochs=3, batch_size=20, verbose=True).train()
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert [line.split()[1] for line in lines[:3]] == ["1/3", "2/3", "3/3"]
    assert len(lines) == 4 and lines[3].startswith("training: 9/9 steps in ")


def test_an_evaluation_setting_never_changes_training():
    def losses(num_train_samples):
        solver = Solver(small_net(), small_data(), num_epochs=3, batch_size=10, verbose=False,
                        num_train_samples=num_train_samples, num_val_samples=num_train_samples)
        solver.train()
        return solver.loss_history
    assert losses(None) == losses(5) == losses(20)


def test_shuffle_false_feeds_the_examples_in_order_every_epoch():
    model = ScriptedModel(val_metrics=[1.0] * 3)
    Solver(model, scripted_data(6), num_epochs=2, batch_size=2, shuffle=False, verbose=False).train()
    assert [list(b[:, 0]) for b in model.batches] == [[0, 1], [2, 3], [4, 5]] * 2
