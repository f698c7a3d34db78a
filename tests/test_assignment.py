"""Assignment mode: fences, the student release, and an honest grader (instructors only)."""
import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from assignment import grade as grader
from assignment import release
from assignment.fences import BEGIN, END, FenceError, find_regions

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------------------------
# Fences
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lines, message", [
    (["x = 1", BEGIN, "y = 2"], "f.py:2: BEGIN SOLUTION is never closed"),
    ([BEGIN, BEGIN, END, END], "f.py:2: BEGIN SOLUTION inside the region opened at line 1"),
    (["a", END], "f.py:2: END SOLUTION without a BEGIN"),
    ([f"x = 1  {BEGIN}", END], "f.py:1: a solution marker must stand alone"),
])
def test_malformed_fences_name_file_and_line(lines, message):
    with pytest.raises(FenceError, match=re.escape(message)):
        find_regions(lines, "f.py")


def test_regions_are_found_with_their_indentation():
    lines = ["def f():", f"    {BEGIN}", "    return 1", f"    {END}"]
    (region,) = find_regions(lines, "f.py")
    assert (region.begin, region.end, region.indent) == (1, 3, "    ")


# ------------------------------------------------------------------------------------------------
# Release of a small made-up repository: the rules, one at a time
# ------------------------------------------------------------------------------------------------

REGISTRY = '''
from collections import namedtuple
Exercise = namedtuple("Exercise", "id notebook covers points tests requires")
EXERCISES = (Exercise("double", "01_intro", ("dlscratch/mod.py:double", "notebooks/01_intro.ipynb"),
                      5, ("tests/test_mod.py::test_double",), ()),)
'''
MODULE = f'''def double(x):
    """Twice x."""
    {BEGIN}
    return 2 * x
    {END}
'''


def small_repository(root, module=MODULE, registry=REGISTRY, cell="# exercise: double\n"):
    """A minimal course repository with one exercise, as the release tool expects it."""
    (root / "dlscratch").mkdir(parents=True)
    (root / "dlscratch" / "exercises.py").write_text(registry)
    (root / "dlscratch" / "mod.py").write_text(module)
    (root / "assignment").mkdir()
    (root / "assignment" / "STUDENT_README.md").write_text("Exercises:\n{exercise_table}\n")
    (root / "notebooks").mkdir()
    source = f"{cell}{BEGIN}\nanswer = double(21)\n{END}\nprint(answer)"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="42\n")]
    nbformat.write(notebook, root / "notebooks" / "01_intro.ipynb")
    return root


def test_release_stubs_python_and_notebook_solutions(tmp_path):
    repo = small_repository(tmp_path / "repo")
    release.build(tmp_path / "student", root=repo)
    module = (tmp_path / "student" / "dlscratch" / "mod.py").read_text()
    assert "2 * x" not in module and BEGIN not in module
    assert 'raise NotImplementedError("double: implement double in dlscratch/mod.py")' in module
    assert '"""Twice x."""' in module and "def double(x):" in module
    cell = nbformat.read(tmp_path / "student" / "notebooks" / "01_intro.ipynb", 4).cells[0]
    assert "# YOUR CODE HERE" in cell.source and "double(21)" not in cell.source
    assert cell.outputs == [] and cell.execution_count is None
    assert "| `double` | 01_intro | 5 |" in (tmp_path / "student" / "README.md").read_text()
    assert not (tmp_path / "student" / "assignment").exists()


def test_release_can_keep_one_exercise_solved(tmp_path):
    repo = small_repository(tmp_path / "repo")
    release.build(tmp_path / "student", root=repo, keep=["double"])
    module = (tmp_path / "student" / "dlscratch" / "mod.py").read_text()
    assert "return 2 * x" in module and BEGIN not in module and "NotImplementedError" not in module


def test_release_rejects_a_fence_no_exercise_covers(tmp_path):
    module = MODULE + f"\n\ndef triple(x):\n    {BEGIN}\n    return 3 * x\n    {END}\n"
    repo = small_repository(tmp_path / "repo", module=module)
    with pytest.raises(FenceError, match=r"dlscratch/mod.py:9: the solution in triple belongs to no exercise"):
        release.build(tmp_path / "student", root=repo)


def test_release_rejects_a_registry_entry_without_a_fence(tmp_path):
    repo = small_repository(tmp_path / "repo", module="def double(x):\n    return 2 * x\n")
    with pytest.raises(FenceError, match="lists code without a solution fence: dlscratch/mod.py:double"):
        release.build(tmp_path / "student", root=repo)


def test_release_rejects_a_fenced_cell_without_its_exercise_line(tmp_path):
    repo = small_repository(tmp_path / "repo", cell="")
    with pytest.raises(FenceError, match=r"01_intro.ipynb: cell 0 has solution fences but 0"):
        release.build(tmp_path / "student", root=repo)


def test_release_rejects_malformed_fences_with_file_and_line(tmp_path):
    repo = small_repository(tmp_path / "repo", module=f"def double(x):\n    {BEGIN}\n    return 2 * x\n")
    with pytest.raises(FenceError, match=r"dlscratch/mod.py:2: BEGIN SOLUTION is never closed"):
        release.build(tmp_path / "student", root=repo)


# ------------------------------------------------------------------------------------------------
# The real release of this repository
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def student(tmp_path_factory):
    destination = tmp_path_factory.mktemp("release") / "student"
    release.build(destination, root=ROOT)
    return destination


def solution_only_lines():
    """Every line written inside a solution fence that appears nowhere outside one."""
    inside, outside = set(), set()
    for rel in release.repository_files(ROOT):
        path = ROOT / rel
        if rel.startswith(release.INSTRUCTOR_ONLY):
            continue
        if rel.endswith(".py"):
            chunks = [path.read_text().split("\n")]
        elif rel.endswith(".ipynb"):
            chunks = [c.source.split("\n") for c in nbformat.read(path, 4).cells]
        else:
            continue
        for lines in chunks:
            regions = find_regions(lines, rel)
            fenced = {i for r in regions for i in range(r.begin, r.end + 1)}
            for i, line in enumerate(lines):
                (inside if i in fenced else outside).add(line.strip())
    return {line for line in inside - outside if len(line) > 3 and line not in (BEGIN, END)}


def test_nothing_of_a_solution_survives_the_release(student):
    secrets = solution_only_lines()
    assert len(secrets) > 100, "the solution fences should hold the course's code"
    leaks = []
    for path in student.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".txt", ".toml", ".yml"):
            text = path.read_text()
            lines = ([c.source for c in nbformat.read(path, 4).cells] if path.suffix == ".ipynb"
                     else [text])
            content = {line.strip() for chunk in lines for line in chunk.split("\n")}
            leaks += [f"{path.relative_to(student)}: {line}" for line in secrets & content]
    assert not leaks, "solution lines found in the release:\n" + "\n".join(leaks[:20])


def test_release_is_complete_and_every_python_file_compiles(student):
    for needed in ("Makefile", "pyproject.toml", "environment.yml", "README.md", "conftest.py",
                   "datasets/fetch.py", "dlscratch/exercises.py", "notebooks/01_fully_connected_nets.ipynb"):
        assert (student / needed).is_file(), needed
    for instructor_only in (".ci", "assignment", "tests/test_assignment.py"):
        assert not (student / instructor_only).exists(), instructor_only
    for path in student.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


def test_every_stub_names_a_registered_exercise(student):
    ids = {e.id for e in release.load_registry(ROOT)}
    named = set()
    for path in list(student.rglob("*.py")) + list(student.rglob("*.ipynb")):
        named.update(re.findall(r'NotImplementedError\(\\?"(\w+): ', path.read_text()))
    assert named == ids


def test_stubbed_notebook_cells_have_no_outputs(student):
    for path in student.glob("notebooks/*.ipynb"):
        for cell in nbformat.read(path, 4).cells:
            if cell.cell_type == "code" and "NotImplementedError" in cell.source:
                assert cell.outputs == []


# ------------------------------------------------------------------------------------------------
# The grader is honest: one grading run of the solutions, one of a release with one exercise solved
# ------------------------------------------------------------------------------------------------

def scores(rows):
    return {row["exercise"]: row["earned"] for row in rows}


@pytest.fixture(scope="module")
def solutions_grade():
    return grader.grade(ROOT)


@pytest.fixture(scope="module")
def one_solved_grade(tmp_path_factory):
    """The grader's main() on a release with only `affine` left solved: (exit code, stdout, JSON)."""
    where = tmp_path_factory.mktemp("one_solved")
    release.build(where / "student", root=ROOT, keep=["affine"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = grader.main([str(where / "student"), "--json", str(where / "grades.json")])
    return code, out.getvalue(), json.loads((where / "grades.json").read_text())


def test_grader_gives_the_solutions_full_points(solutions_grade):
    assert all(row["earned"] == row["possible"] for row in solutions_grade), \
        grader.format_table(solutions_grade)


def test_grader_counts_every_registered_test_of_the_solutions(solutions_grade):
    for row in solutions_grade:
        assert row["total"] > 0 and row["passed"] == row["total"], row


def test_grader_scores_exactly_the_one_exercise_filled_in(one_solved_grade):
    code, table, result = one_solved_grade
    assert code == 0 and re.search(r"affine\s+10 / 10", table)
    assert result["earned"] == 10
    earned = scores(result["exercises"])
    assert earned.pop("affine") == 10
    assert all(points == 0 for points in earned.values()), earned


def test_grader_says_why_the_tests_of_a_missing_exercise_fail(one_solved_grade):
    _, table, result = one_solved_grade
    relu = next(row for row in result["exercises"] if row["exercise"] == "relu")
    assert relu["failing"] and all("needs exercise 'relu'" in relu["reasons"][name]
                                   or "relu: implement" in relu["reasons"][name]
                                   for name in relu["failing"])
    assert re.search(r"relu\s+0 / 5\s+test_\S+ \(not implemented\)", table)


def test_grader_gives_the_release_nothing_for_the_exercise_kept_above(student):
    assert scores(grader.grade(student, only=["affine"])) == {"affine": 0}


def test_grader_refuses_a_non_repository(tmp_path, capsys):
    assert grader.main([str(tmp_path)]) == 2
    assert "no dlscratch/ package" in capsys.readouterr().err


def test_pattern_matching_of_test_ids():
    assert grader.pattern_matches("t.py::test_a[*]", "t.py::test_a[x-1]")
    assert not grader.pattern_matches("t.py::test_a[x]", "t.py::test_a[x_y]")


def test_every_registry_pattern_selects_at_least_one_test():
    node_ids = grader.collect_node_ids(ROOT, timeout=300)
    for exercise in release.load_registry(ROOT):
        for pattern in exercise.tests:
            if not pattern.endswith(".ipynb"):
                assert any(grader.pattern_matches(pattern, n) for n in node_ids), \
                    f"{exercise.id}: {pattern} selects no test"


# ------------------------------------------------------------------------------------------------
# The grader's per-test limits and outcomes, on a few made-up tests
# ------------------------------------------------------------------------------------------------

MADE_UP_TESTS = """
import time, pytest
def test_passes():
    assert sum(range(10)) == 45
def test_fails():
    assert 1 == 2, "one is not two"
def test_computes_forever():
    while True:
        pass
def test_waits_forever():
    time.sleep(3600)
@pytest.mark.skip(reason="needs something not installed")
def test_skipped():
    pass
"""


def test_each_test_has_a_cpu_and_a_wall_clock_limit_and_its_outcome_says_why(tmp_path):
    (tmp_path / "test_made_up.py").write_text(MADE_UP_TESTS)
    code, outcomes, _ = grader.run_pytest([str(tmp_path / "test_made_up.py")], ROOT, timeout=60,
                                          cpu_limit=0.5)
    by_name = {node.split("::")[-1]: o for node, o in outcomes.items()}
    assert code == 1 and by_name["test_passes"] == {"outcome": "passed", "reason": ""}
    assert by_name["test_fails"]["outcome"] == "failed"
    assert "one is not two" in by_name["test_fails"]["reason"]
    assert "time limit" in by_name["test_computes_forever"]["reason"]
    assert "CPU time" in by_name["test_computes_forever"]["reason"]
    assert "wall-clock time" in by_name["test_waits_forever"]["reason"]
    assert by_name["test_skipped"] == {"outcome": "skipped", "when": "setup",
                                       "reason": "needs something not installed"}


def test_skipped_tests_leave_the_count_and_the_table_says_so():
    exercise = release.load_registry(ROOT)[0]
    row = grader._row(exercise, {
        "a::t1": {"outcome": "passed", "reason": ""},
        "a::t2": {"outcome": "skipped", "reason": "PyTorch is not installed"},
        "a::t3": {"outcome": "failed", "reason": "TimeLimitExceeded: time limit: more than 120 s"}})
    assert (row["passed"], row["total"], row["earned"]) == (1, 2, exercise.points / 2)
    assert "1 tests skipped here, not counted: PyTorch is not installed" in row["note"]
    assert "t3 (time limit)" in grader.format_table([row])


def test_the_limits_scale_with_the_machines_speed(monkeypatch):
    monkeypatch.setattr(grader, "REFERENCE_SECONDS", 1e-6)
    assert grader.machine_slowness(repeats=1) > 100
    monkeypatch.setattr(grader, "REFERENCE_SECONDS", 1e6)
    assert grader.machine_slowness(repeats=1) == 1.0


# ------------------------------------------------------------------------------------------------
# The release as a student receives it
# ------------------------------------------------------------------------------------------------

def test_make_student_writes_a_git_repository_with_one_commit(tmp_path, capsys):
    assert release.main(["--dest", str(tmp_path / "student")]) == 0
    assert "ready to push" in capsys.readouterr().out
    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path / "student", capture_output=True,
                              text=True, check=True).stdout.strip()
    assert Path(git("rev-parse", "--show-toplevel")).resolve() == (tmp_path / "student").resolve()
    assert len(git("log", "--oneline").splitlines()) == 1
    assert git("status", "--porcelain") == ""


def test_kept_outputs_keep_their_execution_count(student):
    for path in student.glob("notebooks/*.ipynb"):
        for index, cell in enumerate(nbformat.read(path, 4).cells):
            if cell.cell_type == "code" and cell.outputs:
                assert cell.execution_count is not None, f"{path.name} cell {index}"


@pytest.mark.skipif(os.environ.get("DLSCRATCH_CHECK_RELEASE") != "1",
                    reason="runs a whole second test suite: set DLSCRATCH_CHECK_RELEASE=1 "
                           "(`make release-check` and CI do)")
def test_a_solved_release_passes_its_own_make_test(tmp_path):
    """Release with every exercise solved, then `make test` in it, as a student would type it."""
    solved = tmp_path / "solved"
    release.build(solved, root=ROOT, keep=[e.id for e in release.load_registry(ROOT)])
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTEST", "VIRTUAL_ENV", "DLSCRATCH", "PYTHONPATH"))}
    run = subprocess.run(["make", "test", f"PYTHON={sys.executable}"], cwd=solved, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert "not implemented yet" not in run.stdout and " passed" in run.stdout


def test_an_unsolved_release_ends_with_every_missing_exercise_and_stops_its_notebooks(student):
    env = dict(os.environ, PYTHONPATH=str(student), DLSCRATCH_QUICK="1", MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-ra",
                          "tests/test_layers.py::test_affine_known_values",
                          "tests/test_optimizations.py", "notebooks/01_fully_connected_nets.ipynb",
                          "--nbval-lax"], cwd=student, env=env, capture_output=True, text=True)
    out = run.stdout
    assert run.returncode == 1
    summary = out[out.index("exercises not implemented yet"):]
    ids = [e.id for e in release.load_registry(ROOT)]
    assert f"{len(ids)} exercises not implemented yet" in out
    for exercise in ids:
        assert len(re.findall(rf"^{exercise} ", summary, re.MULTILINE)) == 1, exercise
    assert "affine_forward in dlscratch/layers.py" in summary
    assert "01_fully_connected_nets.ipynb stopped at Cell 3, which needs exercise 'affine'" in out
    assert "FAILED" not in out and "NameError" not in out and "Traceback" not in out
    assert len(out.splitlines()) < 80
