"""Grade a student's submission exercise by exercise.

    python -m assignment.grade path/to/student/repo [--json grades.json] [--timeout 1800]

The instructors' tests (tests/ plus assignment/hidden_tests/<exercise>/) run against the
submission's package in a subprocess with a time limit, and every single test has limits of its
own (assignment/grader_plugin.py): CPU time scaled to this machine's speed, and a wall-clock
backstop, so an endless loop in a submission costs one test and cannot hang the grader. Notebook
exercises run the submission's own notebook with nbval. Each exercise earns its points in
proportion to the tests it passes; a notebook counts as one test. Tests skipped here (the
cross-checks against PyTorch where torch is not installed) leave the count, and the table says so.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .release import ROOT, load_registry

HIDDEN_TESTS = Path("assignment") / "hidden_tests"
CPU_LIMIT = 120          # CPU seconds per test on a machine as fast as the reference below
REFERENCE_SECONDS = 0.2  # CPU time of calibration_workload() on an idle 2-core Xeon (2026)


class GradingError(RuntimeError):
    """The submission cannot be graded at all (not a dlscratch repository, import fails, ...)."""


def pattern_matches(pattern, node_id):
    """Whether a registry test pattern ('*' matches anything) names this pytest node id."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, node_id) is not None


def calibration_workload():
    """A fixed mix of Python and numpy work, like a test's: its CPU time measures the machine."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200, 200))
    total = 0.0
    for _ in range(200):
        a = np.tanh(a @ a.T / 200)
        total += sum(float(v) for v in a[0, :50])
    return total


def machine_slowness(repeats=3):
    """How many times slower than the reference machine this one computes (at least 1)."""
    best = np.inf
    for _ in range(repeats):
        start = time.process_time()
        calibration_workload()
        best = min(best, time.process_time() - start)
    return max(1.0, best / REFERENCE_SECONDS)


def run_pytest(args, submission, timeout, cpu_limit=CPU_LIMIT):
    """Run pytest on the instructors' tests against the submission: (exit code, outcomes).

    outcomes maps each test id to {"outcome": passed/failed/skipped, "reason": ...}; the exit
    code is None when the run was stopped at the time limit.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "outcomes.json"
        # the submission's package first; then the grader's plugin
        env.update(PYTHONPATH=os.pathsep.join([str(submission), str(ROOT / "assignment")]),
                   DLSCRATCH_QUICK="1", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
                   GRADER_REPORT=str(report), GRADER_CPU_LIMIT=f"{cpu_limit:g}",
                   GRADER_WALL_LIMIT=f"{4 * cpu_limit:g}")
        # pytest's own script, not `python -m pytest`: -m would put the current directory (the
        # instructors' repository) first on sys.path, ahead of the submission's package
        # --noconftest: pytest would put the folder of the course's conftest.py (the instructors'
        # repository) on sys.path, ahead of the submission; the grader needs none of it
        command = [str(Path(sys.executable).parent / "pytest"), "-q", "-p", "no:cacheprovider",
                   "--noconftest", "-p", "grader_plugin", "--rootdir", str(ROOT), *args]
        # a new session, so that a timeout can stop pytest and everything it started (kernels)
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=timeout)
            code = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, code = process.communicate()[0], None
        outcomes = json.loads(report.read_text()) if report.is_file() else {}
    return code, outcomes, output


def check_submission(submission):
    """Make sure the tests will import the submission's own package, not the instructors'."""
    package = submission / "dlscratch" / "__init__.py"
    if not package.is_file():
        raise GradingError(f"{submission} has no dlscratch/ package: is it a student repository?")
    env = dict(os.environ, PYTHONPATH=str(submission))
    with tempfile.TemporaryDirectory() as elsewhere:   # a directory with no package of its own
        found = subprocess.run([sys.executable, "-c", "import dlscratch; print(dlscratch.__file__)"],
                               cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    if found.returncode != 0:
        raise GradingError(f"importing the submission's package failed:\n{found.stderr[-2000:]}")
    if Path(found.stdout.strip()).resolve() != package.resolve():
        raise GradingError(f"the tests would import {found.stdout.strip()} instead of {package}")


def collect_node_ids(submission, timeout):
    """Every test id in the instructors' test files, collected against the submission."""
    files = sorted({p.split("::")[0] for e in load_registry(ROOT) for p in e.tests
                    if not p.endswith(".ipynb")})
    hidden = [str(HIDDEN_TESTS)] if (ROOT / HIDDEN_TESTS).is_dir() else []
    code, _, output = run_pytest(["--collect-only", *files, *hidden], submission, timeout)
    if code is None:
        raise GradingError(f"collecting the tests took longer than {timeout} s")
    return [line.strip() for line in output.splitlines() if "::" in line and " " not in line.strip()]


def selected_tests(exercise, node_ids):
    """The test ids that grade an exercise: its registry patterns plus its hidden tests."""
    hidden_prefix = f"{HIDDEN_TESTS.as_posix()}/{exercise.id}/"
    return [n for n in node_ids if n.startswith(hidden_prefix)
            or any(pattern_matches(p, n) for p in exercise.tests)]


def run_notebook(notebook, submission, timeout):
    """The outcome of running the submission's notebook under nbval, as {"outcome", "reason"}."""
    # the notebook's cells run in a kernel of their own, limited by nbval's cell timeout
    args = ["--nbval-lax", f"--nbval-cell-timeout={timeout:g}", str(submission / notebook)]
    code, outcomes, _ = run_pytest(args, submission, timeout)
    if code is None:
        return {"outcome": "failed", "reason": f"time limit: the notebook ran longer than {timeout:g} s"}
    failed = [f"{node.split('::')[-1]}: {o['reason']}" for node, o in outcomes.items()
              if o["outcome"] == "failed"]
    if code == 0:
        return {"outcome": "passed", "reason": ""}
    return {"outcome": "failed", "reason": failed[0] if failed else f"nbval exited with {code}"}


def grade(submission, timeout=1800, only=None):
    """Grade every exercise (or those named in `only`); returns one dict per exercise."""
    submission = Path(submission).resolve()
    check_submission(submission)
    slowness = machine_slowness()
    cpu_limit, timeout = CPU_LIMIT * slowness, timeout * slowness
    exercises = [e for e in load_registry(ROOT) if not only or e.id in only]
    node_ids = collect_node_ids(submission, timeout)
    selection = {e.id: selected_tests(e, node_ids) for e in exercises}
    every_test = sorted({n for tests in selection.values() for n in tests})
    code, results, _ = run_pytest(every_test, submission, timeout, cpu_limit) if every_test \
        else (0, {}, "")
    not_run = {"outcome": "failed", "reason": "did not run (the test run was stopped)"
               if code is None else "did not run"}
    rows = []
    for exercise in exercises:
        outcomes = {n: results.get(n, not_run) for n in selection[exercise.id]}
        for notebook in (p for p in exercise.tests if p.endswith(".ipynb")):
            outcomes[notebook] = run_notebook(notebook, submission, timeout)
        rows.append(_row(exercise, outcomes))
        if code is None:
            rows[-1]["note"] = _join(rows[-1]["note"], f"the test run was stopped after {timeout:.0f} s")
    _note_blocking_exercises(exercises, rows)
    return rows


def _row(exercise, outcomes):
    """One exercise's grade from its tests' outcomes; skipped tests leave the count."""
    counted = {name: o for name, o in outcomes.items() if o["outcome"] != "skipped"}
    skipped = {o["reason"] for o in outcomes.values() if o["outcome"] == "skipped"}
    failing = {_short_name(node): o["reason"] for node, o in counted.items()
               if o["outcome"] != "passed"}
    passed = sum(o["outcome"] == "passed" for o in counted.values())
    total = len(counted)
    note = "" if outcomes else "no tests selected: check the registry"
    if skipped:
        note = _join(note, f"{len(outcomes) - len(counted)} tests skipped here, not counted: "
                           + "; ".join(sorted(skipped)))
    return {"exercise": exercise.id, "earned": round(exercise.points * passed / total, 1)
            if total else 0.0, "possible": exercise.points, "passed": passed, "total": total,
            "failing": list(failing), "reasons": failing, "note": note}


def _short_name(node_id):
    """'tests/test_layers.py::test_x[a]' -> 'test_x[a]'; a notebook path -> its file name."""
    return Path(node_id).name if node_id.endswith(".ipynb") else node_id.split("::")[-1]


def _join(note, more):
    return f"{note}; {more}" if note else more


def _note_blocking_exercises(exercises, rows):
    """Add a note to each incomplete exercise whose tests also run other incomplete exercises."""
    complete = {row["exercise"] for row in rows if row["earned"] == row["possible"]}
    for exercise, row in zip(exercises, rows):
        blocking = [r for r in exercise.requires if r not in complete]
        if row["earned"] < row["possible"] and blocking:
            row["note"] = _join(row["note"], "also runs " + ", ".join(blocking) + ", not yet complete")


def _short_reason(reason):
    """The reason a test failed, in a few words for the table (the JSON keeps it whole)."""
    if "time limit" in reason:
        return "time limit"
    if "needs exercise" in reason or "NotImplementedError" in reason:
        return "not implemented"
    return reason.split(":")[0][:40] or "failed"


def format_table(rows):
    """The grade table as text: exercise, points earned / possible, failing tests and why."""
    lines = [f"{'exercise':<18}{'points':>14}   failing tests (why)"]
    for row in rows:
        shown = [f"{name} ({_short_reason(row['reasons'][name])})" for name in row["failing"][:4]]
        failing = ", ".join(shown) + (f" … {len(row['failing']) - 4} more" if len(row["failing"]) > 4 else "")
        note = f"  [{row['note']}]" if row["note"] else ""
        lines.append(f"{row['exercise']:<18}{row['earned']:>7g} / {row['possible']:<4}   "
                     f"{failing or '-'}{note}")
    earned, possible = sum(r["earned"] for r in rows), sum(r["possible"] for r in rows)
    lines.append(f"{'total':<18}{earned:>7g} / {possible:<4}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", help="path to the student's repository")
    parser.add_argument("--json", help="also write the result as JSON to this file")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds for the whole test run, scaled like the per-test limit "
                             f"({CPU_LIMIT} s of CPU time, scaled to this machine's speed)")
    parser.add_argument("--exercise", nargs="*", help="grade only these exercises")
    args = parser.parse_args(argv)
    try:
        rows = grade(args.submission, timeout=args.timeout, only=args.exercise)
    except GradingError as error:
        print(f"cannot grade {args.submission}: {error}", file=sys.stderr)
        return 2
    print(format_table(rows))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        result = {"submission": str(Path(args.submission).resolve()),
                  "earned": sum(r["earned"] for r in rows),
                  "possible": sum(r["possible"] for r in rows), "exercises": rows}
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
