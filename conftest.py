"""The course's pytest plugin: a missing exercise is one short line, never a wall of failures.

In the students' version every unwritten exercise raises NotImplementedError("<id>: implement ...").
Here a test (or notebook cell) that stops at such a stub is reported as MISSING with that one line
instead of a traceback; a notebook stops at the first cell that needs a missing exercise (its
later cells are reported as not run, instead of failing one after another with NameErrors); and
the run ends with every exercise still to write, once each, and where to write it. In the
instructors' repository, where every exercise is solved, none of this shows. The cross-checks
against PyTorch, skipped where torch is not installed, are counted once instead of listed.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
_STUB = re.compile(r'NotImplementedError: (\w+): ((?:implement|complete) [^"\'\n]+)')
_STUB_IN_SOURCE = re.compile(r'NotImplementedError\(\\?"(\w+): ')
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
_NOTEBOOK_STOPS = pytest.StashKey[str]()


def _stub_in(report):
    """(exercise id, what to do) when a failure was a student-version stub, else None."""
    if not report.failed:
        return None
    found = _STUB.search(_COLOUR.sub("", str(report.longrepr)))
    return found.groups() if found else None


def _notebook(item):
    """The notebook file an nbval cell belongs to, or None for an ordinary test."""
    return item.parent if str(item.path).endswith(".ipynb") and item.parent is not None else None


def pytest_runtest_setup(item):
    notebook = _notebook(item)
    if notebook is not None and _NOTEBOOK_STOPS in notebook.stash:
        pytest.skip(notebook.stash[_NOTEBOOK_STOPS])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    stub = _stub_in(report)
    if stub is None:
        return
    exercise, todo = stub
    report.longrepr = f"needs exercise '{exercise}': {todo}"
    report.user_properties.append(("missing_exercise", exercise))
    notebook = _notebook(item)
    if notebook is not None and _NOTEBOOK_STOPS not in notebook.stash:
        notebook.stash[_NOTEBOOK_STOPS] = (f"{notebook.path.name} stopped at {item.name}, "
                                           f"which needs exercise '{exercise}'")


def pytest_report_teststatus(report, config):
    """MISSING for a stub, NOT RUN for the cells after a notebook's stop: out of the FAILED list."""
    if any(key == "missing_exercise" for key, _ in getattr(report, "user_properties", ())) and report.failed:
        return "missing", "M", "MISSING"
    if report.skipped and "which needs exercise" in str(report.longrepr):
        return "not run", "n", "NOT RUN"
    if report.skipped and "PyTorch is not installed" in str(report.longrepr):
        return "skipped without torch", "s", "SKIPPED (no torch)"
    return None


def missing_exercises(root=ROOT):
    """{exercise id: [where its code goes]} for every exercise whose stub is still in place."""
    registry = root / "assignment" / "exercises.py"
    if not registry.is_file():
        return {}
    namespace = {}
    exec(compile(registry.read_text(), str(registry), "exec"), namespace)   # our own registry
    stubs = set()
    for path in {cover.split(":")[0] for e in namespace["EXERCISES"] for cover in e.covers}:
        if (root / path).is_file():
            stubs.update(_STUB_IN_SOURCE.findall((root / path).read_text()))
    return {e.id: [_where(cover) for cover in e.covers] + [f"(notebook {e.notebook})"]
            for e in namespace["EXERCISES"] if e.id in stubs}


def _where(cover):
    """'dlscratch/layers/core.py:affine_forward' -> 'affine_forward in dlscratch/layers/core.py'."""
    path, _, name = cover.partition(":")
    return f"{name} in {path}" if name else f"the '# YOUR CODE HERE' cell in {path}"


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    stopped = sorted({str(r.longrepr[2] if isinstance(r.longrepr, tuple) else r.longrepr)
                      .removeprefix("Skipped: ") for r in stats.get("not run", [])})
    if stopped:
        terminalreporter.write_sep("=", "notebooks stopped at a missing exercise")
        for line in stopped:
            terminalreporter.write_line(line)
    missing = missing_exercises()
    if not missing and not stats.get("missing"):
        return
    terminalreporter.write_sep("=", f"{len(missing)} exercises not implemented yet")
    for exercise, places in missing.items():
        terminalreporter.write_line(f"{exercise:<18}{'; '.join(places)}")
    terminalreporter.write_line(f"{len(stats.get('missing', []))} tests stopped at a missing "
                                "exercise; write the code above and run `make test` again.")
