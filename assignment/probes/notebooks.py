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

