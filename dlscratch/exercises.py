"""The course's exercises: one registry read by the notebooks, the release tool and the grader.

Each exercise names
  id        a short name; stubs in the student version raise NotImplementedError("<id>: ...")
  notebook  the notebook that introduces it
  covers    the fenced code it consists of: "path/to/file.py:function" (or "file.py:Class.method")
            for package code; "notebooks/<name>.ipynb" for solution cells, which carry a
            "# exercise: <id>" line
  points    what it is worth
  tests     {test file: pytest -k expression} selecting the tests that grade it; a test that
            would pass without the exercise's code must not be selected
  requires  exercises whose code these tests also run (a failure there blocks this one)
Hidden tests for an exercise go in assignment/hidden_tests/<id>/ in the instructors' repository.
"""
from dataclasses import dataclass, field

_VALIDATION = "not integer and not wrong and not mixed and not bad_ and not label_errors"


@dataclass(frozen=True)
class Exercise:
    id: str
    notebook: str
    covers: tuple
    points: int
    tests: dict
    requires: tuple = field(default=())


def _rule_tests(rule_expression):
    """Test selections for update rules matched by a -k expression over their names."""
    return {"tests/test_optimizations.py": f"({rule_expression}) and not mixed and not wrong_dw "
                                           "and not get_update_rule",
            "tests/test_against_torch.py": f"update_rule and ({rule_expression})"}


EXERCISES = (
    Exercise("affine", "01_fully_connected_nets",
             ("dlscratch/layers.py:affine_forward", "dlscratch/layers.py:affine_backward"), 10,
             {"tests/test_layers.py": f"affine and not relu and {_VALIDATION}",
              "tests/test_against_torch.py": "affine and not relu"}),
    Exercise("relu", "01_fully_connected_nets",
             ("dlscratch/layers.py:relu_forward", "dlscratch/layers.py:relu_backward"), 5,
             {"tests/test_layers.py": f"relu and not affine and {_VALIDATION}",
              "tests/test_against_torch.py": "test_elementwise and relu"}),
    Exercise("sigmoid_tanh", "01_fully_connected_nets",
             ("dlscratch/layers.py:sigmoid_forward", "dlscratch/layers.py:sigmoid_backward",
              "dlscratch/layers.py:tanh_forward", "dlscratch/layers.py:tanh_backward"), 5,
             {"tests/test_layers.py": f"(sigmoid or tanh) and {_VALIDATION}",
              "tests/test_against_torch.py": "(test_elementwise and (sigmoid or tanh)) "
                                             "or sigmoid_extreme"}),
    Exercise("softmax_loss", "01_fully_connected_nets", ("dlscratch/layers.py:softmax_loss",), 10,
             {"tests/test_layers.py": f"softmax and {_VALIDATION}",
              "tests/test_against_torch.py": "softmax"}),
    Exercise("svm_loss", "01_fully_connected_nets", ("dlscratch/layers.py:svm_loss",), 10,
             {"tests/test_layers.py": f"svm and {_VALIDATION}",
              "tests/test_against_torch.py": "svm"}),
    Exercise("fc_net", "01_fully_connected_nets",
             ("dlscratch/models/fc_net.py:FullyConnectedNet._forward",
              "dlscratch/models/fc_net.py:FullyConnectedNet._backward",
              "dlscratch/models/classifier.py:Classifier._add_regularization"), 20,
             {"tests/test_models.py": "gradients or initial_loss or regularisation or dtype_is_kept "
                                      "or test_mode or dropout"},
             requires=("affine", "relu", "softmax_loss", "normalization", "dropout")),
    Exercise("solver_step", "01_fully_connected_nets", ("dlscratch/solver.py:Solver._step",), 10,
             {"tests/test_solver.py": "visits_every_example or best_parameters or callable_update "
                                      "or shuffle_false"}),
    Exercise("sgd", "02_optimizers", ("dlscratch/optimizations.py:sgd",), 5,
             _rule_tests("sgd and not sgd_momentum")),
    Exercise("momentum", "02_optimizers",
             ("dlscratch/optimizations.py:sgd_momentum", "dlscratch/optimizations.py:nesterov"), 10,
             _rule_tests("sgd_momentum or nesterov")),
    Exercise("adagrad_rmsprop", "02_optimizers",
             ("dlscratch/optimizations.py:adagrad", "dlscratch/optimizations.py:rmsprop"), 10,
             _rule_tests("adagrad or rmsprop")),
    Exercise("adam", "02_optimizers",
             ("dlscratch/optimizations.py:_adam_step", "dlscratch/optimizations.py:adamw"), 10,
             _rule_tests("adam")),
    Exercise("valley_path", "02_optimizers", ("notebooks/02_optimizers.ipynb",), 5,
             {"notebooks/02_optimizers.ipynb": ""},
             requires=("sgd", "momentum", "adagrad_rmsprop", "adam", "fc_net", "solver_step")),
    Exercise("normalization", "03_normalization_and_dropout",
             ("dlscratch/layers.py:_normalize", "dlscratch/layers.py:_normalize_backward",
              "dlscratch/layers.py:batchnorm_forward", "dlscratch/layers.py:batchnorm_backward",
              "dlscratch/layers.py:layernorm_forward", "dlscratch/layers.py:layernorm_backward"), 20,
             {"tests/test_layers.py": f"(batchnorm or layernorm) and not affine and {_VALIDATION}",
              "tests/test_against_torch.py": "(batchnorm or layernorm) and not affine"}),
    Exercise("dropout", "03_normalization_and_dropout",
             ("dlscratch/layers.py:dropout_forward", "dlscratch/layers.py:dropout_backward"), 10,
             {"tests/test_layers.py": f"dropout and not test_mode and not dropout_test "
                                      f"and {_VALIDATION}",
              "tests/test_against_torch.py": "dropout"}),
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
