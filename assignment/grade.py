"""Grade a student's submission exercise by exercise.

    python -m assignment.grade path/to/student/repo [--json grades.json] [--timeout 600]

The instructors' tests (tests/ plus assignment/hidden_tests/<exercise>/) run against the
submission's package in a subprocess with a time limit, and every single test has a limit of its
own (assignment/time_limit.py), so an endless loop in a submission cannot hang the grader.
Notebook exercises run the submission's own notebook with nbval. Each exercise earns its points
in proportion to the tests it passes; a notebook counts as one test.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .release import ROOT, load_registry

HIDDEN_TESTS = Path("assignment") / "hidden_tests"
OUTCOME_LINE = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)")


class GradingError(RuntimeError):
    """The submission cannot be graded at all (not a dlscratch repository, import fails, ...)."""


def pattern_matches(pattern, node_id):
    """Whether a registry test pattern ('*' matches anything) names this pytest node id."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, node_id) is not None


def run_pytest(args, submission, timeout, per_test_limit=True):
    """Run pytest on the instructors' tests against the submission: (exit code, output).

    The exit code is None when the run was stopped at the time limit.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    # the submission's package first; then the grader's per-test time-limit plugin
    env.update(PYTHONPATH=os.pathsep.join([str(submission), str(ROOT / "assignment")]),
               DLSCRATCH_QUICK="1", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    # pytest's own script, not `python -m pytest`: -m would put the current directory (the
    # instructors' repository) first on sys.path, ahead of the submission's package
    command = [str(Path(sys.executable).parent / "pytest"), "-q", "-rA", "-p", "no:cacheprovider",
               *(["-p", "time_limit"] if per_test_limit else []), "--rootdir", str(ROOT), *args]
    # a new session, so that a timeout can stop pytest and everything it started (kernels)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return None, process.communicate()[0]
    return process.returncode, output


def outcomes(output):
    """{node id: passed?} from the short summary that `pytest -rA` prints."""
    results = {}
    for line in output.splitlines():
        match = OUTCOME_LINE.match(line)
        if match:
            results[match.group(2)] = match.group(1) in ("PASSED", "XFAIL")
    return results


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
    code, output = run_pytest(["--collect-only", *files, *hidden], submission, timeout)
    if code is None:
        raise GradingError(f"collecting the tests took longer than {timeout} s")
    return [line.strip() for line in output.splitlines() if "::" in line and " " not in line.strip()]


def selected_tests(exercise, node_ids):
    """The test ids that grade an exercise: its registry patterns plus its hidden tests."""
    hidden_prefix = f"{HIDDEN_TESTS.as_posix()}/{exercise.id}/"
    return [n for n in node_ids if n.startswith(hidden_prefix)
            or any(pattern_matches(p, n) for p in exercise.tests)]


def run_notebook(notebook, submission, timeout):
    """Whether the submission's notebook runs through under nbval (None: stopped at the limit)."""
    # the notebook's cells run in a kernel of their own, limited by nbval's cell timeout
    args = ["--nbval-lax", f"--nbval-cell-timeout={timeout:g}", str(submission / notebook)]
    code, _ = run_pytest(args, submission, timeout, per_test_limit=False)
    return None if code is None else code == 0


def grade(submission, timeout=600, only=None):
    """Grade every exercise (or those named in `only`); returns one dict per exercise."""
    submission = Path(submission).resolve()
    check_submission(submission)
    exercises = [e for e in load_registry(ROOT) if not only or e.id in only]
    node_ids = collect_node_ids(submission, timeout)
    selection = {e.id: selected_tests(e, node_ids) for e in exercises}
    every_test = sorted({n for tests in selection.values() for n in tests})
    code, output = run_pytest(every_test, submission, timeout) if every_test else (0, "")
    results = outcomes(output)
    rows = []
    for exercise in exercises:
        failing = [n.split("::")[-1] for n in selection[exercise.id] if not results.get(n, False)]
        notebooks = [p for p in exercise.tests if p.endswith(".ipynb")]
        for notebook in notebooks:
            ran = run_notebook(notebook, submission, timeout)
            if not ran:
                failing.append(Path(notebook).name + (" (timeout)" if ran is None else ""))
        total = len(selection[exercise.id]) + len(notebooks)
        passed = total - len(failing)
        rows.append({"exercise": exercise.id, "earned": round(exercise.points * passed / total, 1)
                     if total else 0.0, "possible": exercise.points, "passed": passed,
                     "total": total, "failing": failing,
                     "note": "" if total else "no tests selected: check the registry"})
    if code is None:
        for row in rows:
            row["note"] = f"the test run was stopped after {timeout} s"
    _note_blocking_exercises(exercises, rows)
    return rows


def _note_blocking_exercises(exercises, rows):
    """Add a note to each incomplete exercise whose tests also run other incomplete exercises."""
    complete = {row["exercise"] for row in rows if row["earned"] == row["possible"]}
    for exercise, row in zip(exercises, rows):
        blocking = [r for r in exercise.requires if r not in complete]
        if row["earned"] < row["possible"] and blocking:
            note = "also runs " + ", ".join(blocking) + ", not yet complete"
            row["note"] = f"{row['note']}; {note}" if row["note"] else note


def format_table(rows):
    """The grade table as text: exercise, points earned / possible, failing tests."""
    lines = [f"{'exercise':<18}{'points':>14}   failing tests"]
    for row in rows:
        failing = ", ".join(row["failing"][:4]) + (" …" if len(row["failing"]) > 4 else "")
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
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds for one test run (each single test has 120 s)")
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
