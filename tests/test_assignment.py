"""Assignment mode: fences, the student release, and an honest grader (instructors only).

The grader against hostile submissions is tests/test_grader_attacks.py."""
import ast
import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from assignment import grade as grader
from assignment import release, sandbox
from assignment.probes import CASES
from assignment.fences import (ANSWER_BEGIN, ANSWER_END, BEGIN, END, FenceError, find_answers,
                               find_regions)

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
Exercise = namedtuple("Exercise", "id notebook points covers requires")
EXERCISES = (Exercise("double", "01_intro", 5,
                      ("dlscratch/mod.py:double", "notebooks/01_intro.ipynb"), ()),)
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
    (root / "assignment").mkdir()
    (root / "assignment" / "exercises.py").write_text(registry)
    (root / "dlscratch" / "mod.py").write_text(module)
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
    shipped = {p.relative_to(tmp_path / "student").as_posix()
               for p in (tmp_path / "student" / "assignment").iterdir()}
    assert shipped == {"assignment/exercises.py"}      # the registry only, no tool


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


def test_release_empties_answers_and_keeps_other_outputs_as_labelled_references(tmp_path):
    repo = small_repository(tmp_path / "repo")
    path = repo / "notebooks" / "01_intro.ipynb"
    notebook = nbformat.read(path, 4)
    given = nbformat.v4.new_code_cell("print(double(2))", execution_count=3, outputs=[
        nbformat.v4.new_output("stream", text="4\n"),
        nbformat.v4.new_output("error", ename="E", evalue="", traceback=["return 2 * x"])])
    checked = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)", execution_count=4,
                                        outputs=[nbformat.v4.new_output("stream", text="1\n")])
    notebook.cells += [
        nbformat.v4.new_markdown_cell("**Question.** Why twice?"),
        nbformat.v4.new_markdown_cell(f"**Answer.**\n{ANSWER_BEGIN}\nBecause 2 * x doubles.\n"
                                      f"{ANSWER_END}\nSee also notebook 02."),
        given, checked,
        nbformat.v4.new_code_cell("print(double(21))", execution_count=5,
                                  metadata={"tags": [release.SOLUTION_OUTPUT_TAG]},
                                  outputs=[nbformat.v4.new_output("stream", text="42\n")])]
    nbformat.write(notebook, path)
    release.build(tmp_path / "student", root=repo)
    cells = nbformat.read(tmp_path / "student" / "notebooks" / "01_intro.ipynb", 4).cells
    assert cells[0].outputs == []                                  # the solved cell's output
    assert cells[1].source == "**Question.** Why twice?"
    assert cells[2].source == f"**Answer.**\n{release.ANSWER_PLACEHOLDER}\nSee also notebook 02."
    assert [o.get("text") for o in cells[3].outputs] == [release.REFERENCE_LABEL, "4\n"]
    assert cells[3].execution_count == 3                           # the error output is gone
    assert cells[4].outputs == checked.outputs and cells[4].execution_count == 4
    assert cells[5].outputs == [] and cells[5].execution_count is None   # it would give 42 away


def test_release_rejects_an_unclosed_answer_with_cell_and_line(tmp_path):
    repo = small_repository(tmp_path / "repo")
    path = repo / "notebooks" / "01_intro.ipynb"
    notebook = nbformat.read(path, 4)
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"**Answer.**\n{ANSWER_BEGIN}\nhalf"))
    nbformat.write(notebook, path)
    with pytest.raises(FenceError, match=r"01_intro.ipynb: cell 1, line:2: BEGIN ANSWER is never closed"):
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
    """Every line written inside a solution fence or an answer that appears nowhere outside one."""
    inside, outside = set(), set()
    for rel in release.repository_files(ROOT):
        path = ROOT / rel
        if release.instructor_only(rel):
            continue
        if rel.endswith(".py"):
            chunks = [(path.read_text().split("\n"), find_regions)]
        elif rel.endswith(".ipynb"):
            chunks = [(c.source.split("\n"), find_answers if c.cell_type == "markdown" else find_regions)
                      for c in nbformat.read(path, 4).cells]
        else:
            continue
        for lines, find in chunks:
            fenced = {i for r in find(lines, rel) for i in range(r.begin, r.end + 1)}
            for i, line in enumerate(lines):
                (inside if i in fenced else outside).add(line.strip())
    markers = (BEGIN, END, ANSWER_BEGIN, ANSWER_END)
    return {line for line in inside - outside if len(line) > 3 and line not in markers}


def _comment(line):
    """The comment part of a line of Python ('' if it has none; a '#' in a string may cut early)."""
    return line.split("#", 1)[1].strip() if "#" in line else ""


def what_a_student_reads(path):
    """(code lines, prose) of a released file: prose is its comments, docstrings, markdown and
    notebook outputs, where a solution could hide in other words than a line of code."""
    text = path.read_text()
    if path.suffix == ".py":
        tree = ast.parse(text)
        docstrings = [ast.get_docstring(node) or "" for node in ast.walk(tree) if isinstance(
            node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
        return text.split("\n"), [_comment(line) for line in text.split("\n")] + docstrings
    if path.suffix != ".ipynb":
        return text.split("\n"), [text]
    code, prose = [], []
    for cell in nbformat.read(path, 4).cells:
        if cell.cell_type != "code":
            prose.append(cell.source)
            continue
        code += cell.source.split("\n")
        prose += [_comment(line) for line in cell.source.split("\n")]
        for output in cell.get("outputs", []):
            prose += [output.get("text", ""), output.get("data", {}).get("text/plain", "")]
    return code, prose


def test_nothing_of_a_solution_survives_the_release(student):
    secrets = solution_only_lines()
    assert len(secrets) > 100, "the solution fences should hold the course's code"
    # a formula long enough to be one, anywhere in the prose: `dx = dout @ w.T` in a comment too
    formulas = {line for line in secrets if len(line) >= 12}
    leaks = []
    for path in student.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".txt", ".toml", ".yml"):
            code, prose = what_a_student_reads(path)
            found = secrets & {line.strip() for line in code}
            found |= {f for f in formulas for text in prose if f in text}
            leaks += [f"{path.relative_to(student)}: {line}" for line in sorted(found)]
    assert not leaks, "solution lines found in the release:\n" + "\n".join(leaks[:40])


def test_release_is_complete_and_every_python_file_compiles(student):
    for needed in ("Makefile", "pyproject.toml", "environment.yml", "README.md", "conftest.py",
                   "datasets/fetch.py", "assignment/exercises.py", "notebooks/01_fully_connected_nets.ipynb"):
        assert (student / needed).is_file(), needed
    for instructor_only in (".ci", "assignment/release.py", "assignment/grade.py", "assignment/probes",
                            "assignment/sandbox.py", "tests/test_assignment.py", "book", "tools/book.py",
                            "tests/test_book.py", "dlscratch/fast.py", "tests/test_fast.py"):
        assert not (student / instructor_only).exists(), instructor_only
    assert sorted(p.name for p in (student / "assignment").iterdir()) == ["__init__.py", "exercises.py"]
    assert "## Your own data" in (student / "README.md").read_text()   # copied from README.md
    for path in student.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


def test_students_solver_steps_with_the_students_own_adam(student):
    """Without the fast twins, the release's Solver uses the rule the student wrote."""
    check = ("from dlscratch import optimizations; from dlscratch.twins import twin_of; "
             "from dlscratch.layers import sandwiches; from dlscratch.models import fc_net, conv_net; "
             "import importlib.util as u; assert u.find_spec('dlscratch.fast') is None; "
             "assert twin_of(optimizations.adam) is optimizations.adam; "
             "assert fc_net.first_layer_backward is sandwiches.affine_relu_param_backward; "
             "assert conv_net.first_conv_backward is sandwiches.conv_relu_param_backward; "
             "print('own adam')")
    # -S: without site's .pth files, this venv's editable install of the solved course cannot
    # answer for dlscratch.fast; numpy and tqdm come from site-packages added by hand
    site_packages = str(Path(np.__file__).parent.parent)
    done = subprocess.run([sys.executable, "-S", "-c", check], cwd=student, capture_output=True,
                          text=True, env={**os.environ,
                                          "PYTHONPATH": os.pathsep.join([str(student), site_packages])})
    assert done.returncode == 0 and done.stdout.strip() == "own adam", done.stderr


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

NO_SANDBOX = sandbox.available()
# where bubblewrap is missing the honesty tests still run, unsandboxed (tests/test_grader_attacks.py
# is skipped there); CI installs bubblewrap
SANDBOXED = [] if not NO_SANDBOX else ["--unsandboxed"]


def scores(rows):
    return {row["exercise"]: row["earned"] for row in rows}


SEED = 7
REFERENCES = {}   # the solution's results with SEED, filled by the solutions' grading run


@pytest.fixture(scope="module")
def solutions_grade():
    return grader.grade(ROOT, sandboxed=not NO_SANDBOX, seed=SEED, references=REFERENCES)


@pytest.fixture(scope="module")
def one_solved_grade(tmp_path_factory):
    """The grader's main() on a release with only `affine` left solved: (exit code, stdout, JSON)."""
    where = tmp_path_factory.mktemp("one_solved")
    release.build(where / "student", root=ROOT, keep=["affine"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = grader.main([str(where / "student"), "--json", str(where / "grades.json"),
                            *SANDBOXED])
    return code, out.getvalue(), json.loads((where / "grades.json").read_text())


def test_grader_gives_the_solutions_full_points(solutions_grade):
    assert all(row["earned"] == row["possible"] for row in solutions_grade), \
        grader.format_table(solutions_grade)


def test_every_exercise_is_judged_on_a_fixed_number_of_probes(solutions_grade):
    assert {row["exercise"] for row in solutions_grade} == set(CASES)
    for row in solutions_grade:
        assert row["total"] == len(CASES[row["exercise"]]) >= 2, row
        assert row["passed"] == row["total"], row


def test_every_probe_checks_values_not_only_flags(solutions_grade):
    """A case whose results are only 'input changed' flags would pass code that computes nothing."""
    for (exercise, _), results in REFERENCES.items():
        for case, outputs in zip(CASES[exercise], results):
            values = [a for key, a in outputs.items() if not key.endswith("_changed")
                      and a.dtype.kind in "fiu" and a.size and np.any(a != 0)]
            assert values, f"{exercise}/{case.name} returns no value that code could get wrong"


def test_grader_scores_exactly_the_one_exercise_filled_in(one_solved_grade):
    code, table, result = one_solved_grade
    assert code == 0 and re.search(r"affine\s+10 / 10", table)
    assert result["earned"] == 10 and result["possible"] == sum(e.points for e in release.load_registry(ROOT))
    earned = scores(result["exercises"])
    assert earned.pop("affine") == 10
    assert all(points == 0 for points in earned.values()), earned


def test_grader_says_why_the_probes_of_a_missing_exercise_fail(one_solved_grade):
    _, table, result = one_solved_grade
    relu = next(row for row in result["exercises"] if row["exercise"] == "relu")
    assert relu["failing"] == [case.name for case in CASES["relu"]]
    assert all(why.startswith("raised NotImplementedError: relu: implement") for why in relu["reasons"].values())
    assert re.search(r"relu\s+0 / 5\s+relu_float64 \(not implemented\)", table)


def test_grader_gives_the_release_nothing_and_every_probe_needs_its_exercise(student):
    """Every case fails on the release: a probe that passes without the exercise's code is a defect."""
    rows = grader.grade(student, sandboxed=not NO_SANDBOX)
    assert all(points == 0 for points in scores(rows).values()), grader.format_table(rows)
    for row in rows:
        assert row["passed"] == 0 and len(row["reasons"]) == row["total"], row


def test_grader_refuses_a_non_repository(tmp_path, capsys):
    assert grader.main([str(tmp_path), *SANDBOXED]) == 2
    assert "no dlscratch/ package" in capsys.readouterr().err


def test_grader_refuses_to_grade_for_credit_without_a_sandbox(student, monkeypatch, capsys):
    monkeypatch.setattr(sandbox, "available", lambda: "bubblewrap is not installed")
    assert grader.main([str(student)]) == 2
    err = capsys.readouterr().err
    assert "no sandbox: bubblewrap is not installed" in err and "--unsandboxed" in err
    rows = grader.grade(student, only=["affine"], sandboxed=False)
    assert rows[0]["earned"] == 0 and "graded without a sandbox" in rows[0]["note"]


def test_a_judge_compares_dtype_shape_and_values():
    from assignment.probes import close
    reference = {"out": np.ones((2, 3), dtype=np.float32)}
    assert close({"out": np.ones((2, 3), dtype=np.float32) + 1e-6}, reference) is None
    assert "dtype float64" in close({"out": np.ones((2, 3))}, reference)
    assert "shape (3, 2)" in close({"out": np.ones((3, 2), dtype=np.float32)}, reference)
    assert "largest difference 0.1" in close({"out": np.full((2, 3), 1.1, dtype=np.float32)}, reference)
    assert "no value for 'out'" in close({}, reference)
    assert "differs" in close({"out": np.full((2, 3), np.nan, dtype=np.float32)}, reference)


def test_results_are_read_without_pickle_and_within_a_size():
    buffer = io.BytesIO()
    np.savez(buffer, out=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        grader.load_arrays(buffer.getvalue())
    with pytest.raises(ValueError, match="not an .npz"):
        grader.load_arrays(b"PK not really")


def test_the_limits_scale_with_the_machines_speed(monkeypatch):
    monkeypatch.setattr(grader, "REFERENCE_SECONDS", 1e-6)
    assert grader.machine_slowness(repeats=1) > 100
    monkeypatch.setattr(grader, "REFERENCE_SECONDS", 1e6)
    assert grader.machine_slowness(repeats=1) == 1.0
    limits = grader.scaled_limits(3.0)
    assert limits.wall_seconds == 3 * grader.EXERCISE_LIMITS.wall_seconds
    assert limits.memory_bytes == grader.EXERCISE_LIMITS.memory_bytes


def test_a_class_is_graded_into_one_json_per_student_a_csv_and_a_plot(tmp_path, student):
    from assignment import grade_class
    folder = tmp_path / "class"
    release.build(folder / "ada", root=ROOT, keep=["affine", "relu"])
    (folder / "bob").mkdir(parents=True)                       # not a repository at all
    (folder / "=HYPERLINK(1)").mkdir()                          # a formula, as a folder name
    import shutil
    shutil.copytree(student, folder / "cy", symlinks=True)      # nothing done
    documents = grade_class.grade_class(folder, tmp_path / "out", jobs=2, seed=1,
                                        only=["affine", "relu"], sandboxed=not NO_SANDBOX)
    assert {name: d["earned"] for name, d in documents.items()} == {"ada": 15, "bob": 0, "cy": 0,
                                                                     "=HYPERLINK(1)": 0}
    assert "no dlscratch/ package" in documents["bob"]["error"]
    assert json.loads((tmp_path / "out" / "ada.json").read_text())["earned"] == 15
    rows = (tmp_path / "out" / "class.csv").read_text().splitlines()
    assert rows[0] == "student,total,affine,relu,error" and rows[1] == "(possible),15,10,5,"
    assert rows[2].startswith("'=HYPERLINK(1),0")                # shown, never evaluated
    assert rows[3] == "ada,15.0,10.0,5.0," and rows[4].startswith("bob,0")
    assert (tmp_path / "out" / "distribution.png").stat().st_size > 10_000


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
    assert "affine_forward in dlscratch/layers/core.py" in summary
    assert "01_fully_connected_nets.ipynb stopped at Cell 3, which needs exercise 'affine'" in out
    assert "FAILED" not in out and "NameError" not in out and "Traceback" not in out
    assert len(out.splitlines()) < 80
