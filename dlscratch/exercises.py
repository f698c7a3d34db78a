"""The course's exercises: one registry read by the notebooks, the release tool and the grader.

Each exercise names
  id        a short name; stubs in the student version raise NotImplementedError("<id>: ...")
  notebook  the notebook that introduces it
  covers    the fenced code it consists of: "path/to/file.py:function" (or "file.py:Class.method")
            for package code; "notebooks/<name>.ipynb" for solution cells, which carry a
            "# exercise: <id>" line
  points    what it is worth
  tests     the tests that grade it: pytest node ids in which '*' matches anything, or a
            notebook path (graded as one test: every cell must pass); a test that would pass
            without the exercise's code must not be listed
  requires  exercises whose code these tests also run (a failure there blocks this one)
Hidden tests for an exercise go in assignment/hidden_tests/<id>/ in the instructors' repository.
"""
from dataclasses import dataclass, field

LAYERS, TORCH = "tests/test_layers.py::", "tests/test_against_torch.py::"
RULES = "tests/test_optimizations.py::"


@dataclass(frozen=True)
class Exercise:
    id: str
    notebook: str
    covers: tuple
    points: int
    tests: tuple
    requires: tuple = field(default=())


def _layer_tests(*names):
    """The shared parametrised layer tests (gradients, dtypes, inputs untouched) for these layers."""
    return tuple(f"{LAYERS}{test}[{name}{suffix}]" for name in names
                 for test, suffix in (("test_layer_gradients", ""),
                                      ("test_layer_does_not_modify_inputs", ""),
                                      ("test_layer_keeps_dtype", "-*")))


def _loss_tests(name):
    """The shared parametrised loss tests for one loss function."""
    return (f"{LAYERS}test_loss_gradients[{name}]", f"{LAYERS}test_loss_keeps_dtype[{name}-*]",
            f"{LAYERS}test_loss_does_not_modify_inputs[{name}]")


def _rule_tests(*names):
    """The shared update-rule tests (dtypes, inputs untouched, agreement with torch.optim)."""
    return tuple(pattern for name in names for pattern in (
        f"{RULES}test_w_and_dw_are_not_modified[{name}]", f"{RULES}test_dtype_is_preserved[{name}-*]",
        f"{TORCH}test_update_rule_vs_torch_*[{name}]"))


EXERCISES = (
    Exercise("affine", "01_fully_connected_nets",
             ("dlscratch/layers.py:affine_forward", "dlscratch/layers.py:affine_backward"), 10,
             (f"{LAYERS}test_affine_known_values", f"{LAYERS}test_affine_multidimensional_shapes",
              *_layer_tests("affine"), f"{TORCH}test_affine_multidimensional")),
    Exercise("relu", "01_fully_connected_nets",
             ("dlscratch/layers.py:relu_forward", "dlscratch/layers.py:relu_backward"), 5,
             (f"{LAYERS}test_relu_known_values", *_layer_tests("relu"),
              f"{TORCH}test_elementwise[relu]")),
    Exercise("sigmoid_tanh", "01_fully_connected_nets",
             ("dlscratch/layers.py:sigmoid_forward", "dlscratch/layers.py:sigmoid_backward",
              "dlscratch/layers.py:tanh_forward", "dlscratch/layers.py:tanh_backward"), 5,
             (f"{LAYERS}test_sigmoid_and_tanh_known_values",
              f"{LAYERS}test_sigmoid_tanh_stable_for_large_inputs[*]",
              *_layer_tests("sigmoid", "tanh"), f"{TORCH}test_elementwise[sigmoid]",
              f"{TORCH}test_elementwise[tanh]", f"{TORCH}test_sigmoid_extreme_values_match_torch")),
    Exercise("softmax_loss", "01_fully_connected_nets", ("dlscratch/layers.py:softmax_loss",), 10,
             (f"{LAYERS}test_softmax_loss_*", *_loss_tests("softmax_loss"),
              f"{TORCH}test_softmax_loss_vs_cross_entropy")),
    Exercise("svm_loss", "01_fully_connected_nets", ("dlscratch/layers.py:svm_loss",), 10,
             (f"{LAYERS}test_svm_loss_hand_computed", *_loss_tests("svm_loss"),
              f"{TORCH}test_svm_loss_vs_torch_hinge")),
    Exercise("fc_net", "01_fully_connected_nets",
             ("dlscratch/models/fc_net.py:FullyConnectedNet._forward",
              "dlscratch/models/fc_net.py:FullyConnectedNet._backward",
              "dlscratch/models/classifier.py:Classifier._add_regularization"), 20,
             tuple(f"tests/test_models.py::{test}" for test in (
                 "test_gradients_of_every_configuration[*]",
                 "test_initial_loss_is_log_of_the_number_of_classes",
                 "test_regularisation_adds_half_reg_times_squared_weights",
                 "test_dtype_is_kept_everywhere[*]",
                 "test_test_mode_returns_scores_and_uses_batchnorm_running_statistics",
                 "test_dropout_mask_is_fixed_per_batch_but_differs_between_batches_and_layers",
                 "test_unseeded_dropout_draws_fresh_masks")),
             requires=("affine", "relu", "softmax_loss", "normalization", "dropout")),
    Exercise("solver_step", "01_fully_connected_nets", ("dlscratch/solver.py:Solver._step",), 10,
             tuple(f"tests/test_solver.py::{test}" for test in (
                 "test_each_epoch_visits_every_example_exactly_once",
                 "test_best_parameters_follow_the_model_metric_and_are_restored",
                 "test_callable_update_rule_is_used",
                 "test_shuffle_false_feeds_the_examples_in_order_every_epoch")),
             requires=("sgd",)),
    Exercise("sgd", "02_optimizers", ("dlscratch/optimizations.py:sgd",), 5,
             (f"{RULES}test_sgd_default_learning_rate", f"{RULES}test_sgd_given_learning_rate",
              *_rule_tests("sgd"))),
    Exercise("momentum", "02_optimizers",
             ("dlscratch/optimizations.py:sgd_momentum", "dlscratch/optimizations.py:nesterov"), 10,
             (f"{RULES}test_sgd_momentum_defaults_and_velocity", f"{RULES}test_nesterov_two_steps",
              f"{RULES}test_state_is_carried_in_config[sgd_momentum]",
              f"{RULES}test_state_is_carried_in_config[nesterov]",
              *_rule_tests("sgd_momentum", "nesterov"))),
    Exercise("adagrad_rmsprop", "02_optimizers",
             ("dlscratch/optimizations.py:adagrad", "dlscratch/optimizations.py:rmsprop"), 10,
             (f"{RULES}test_adagrad_defaults_and_cache", f"{RULES}test_rmsprop_defaults_and_cache",
              f"{RULES}test_state_is_carried_in_config[adagrad]",
              f"{RULES}test_state_is_carried_in_config[rmsprop]",
              f"{TORCH}test_update_rule_vs_torch_*[rmsprop_defaults]",
              *_rule_tests("adagrad", "rmsprop"))),
    Exercise("adam", "02_optimizers",
             ("dlscratch/optimizations.py:_adam_step", "dlscratch/optimizations.py:adamw"), 10,
             (f"{RULES}test_adam_*", f"{RULES}test_adamw_*",
              f"{RULES}test_state_is_carried_in_config[adam]",
              f"{RULES}test_state_is_carried_in_config[adamw]",
              f"{TORCH}test_update_rule_vs_torch_*[adam_defaults]", *_rule_tests("adam", "adamw"))),
    Exercise("valley_path", "02_optimizers", ("notebooks/02_optimizers.ipynb",), 5,
             ("notebooks/02_optimizers.ipynb",),
             requires=("sgd", "momentum", "adagrad_rmsprop", "adam", "fc_net", "solver_step")),
    Exercise("normalization", "03_normalization_and_dropout",
             ("dlscratch/layers.py:_normalize", "dlscratch/layers.py:_normalize_backward",
              "dlscratch/layers.py:batchnorm_forward", "dlscratch/layers.py:batchnorm_backward",
              "dlscratch/layers.py:layernorm_forward", "dlscratch/layers.py:layernorm_backward"), 20,
             (f"{LAYERS}test_batchnorm_running_*", f"{LAYERS}test_batchnorm_test_mode_*",
              f"{LAYERS}test_batchnorm_train_output_statistics", f"{LAYERS}test_layernorm_*",
              f"{LAYERS}test_float32_kept_with_numpy_float64_hyperparameters[batchnorm-*]",
              f"{LAYERS}test_float32_kept_with_numpy_float64_hyperparameters[layernorm-*]",
              *_layer_tests("batchnorm_train", "batchnorm_test", "layernorm"),
              f"{TORCH}test_batchnorm_*", f"{TORCH}test_layernorm_vs_torch")),
    Exercise("dropout", "03_normalization_and_dropout",
             ("dlscratch/layers.py:dropout_forward", "dlscratch/layers.py:dropout_backward"), 10,
             (f"{LAYERS}test_dropout_backward_uses_the_forward_mask",
              f"{LAYERS}test_dropout_p_one_keeps_everything", f"{LAYERS}test_dropout_seed_reproducible",
              f"{LAYERS}test_dropout_train_keeps_fraction_p_and_preserves_the_mean[*]",
              f"{LAYERS}test_float32_kept_with_numpy_float64_hyperparameters[dropout-*]",
              *_layer_tests("dropout"), f"{TORCH}test_dropout_backward_is_mask_over_p")),
)

BY_ID = {exercise.id: exercise for exercise in EXERCISES}


def exercises_for(notebook):
    """The exercises a notebook (name without .ipynb) introduces, in order."""
    return [e for e in EXERCISES if e.notebook == notebook]


def show(notebook):
    """Print the exercises of a notebook as a small table (the notebooks call this first)."""
    rows = exercises_for(notebook)
    if not rows:
        print("This notebook has no exercises.")
        return
    print(f"{'exercise':<16}{'points':>6}  code to write")
    for e in rows:
        where = ", ".join(c.split(":")[-1] if ":" in c else "a cell in this notebook"
                          for c in e.covers)
        print(f"{e.id:<16}{e.points:>6}  {where}")
