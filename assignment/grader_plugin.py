"""pytest plugin the grader loads: a time limit for every test, and each outcome written down.

Each test may use GRADER_CPU_LIMIT seconds of CPU time (the grader scales it to the machine's
speed). CPU time, not wall time, so that a test run on a machine busy with other jobs still gets
all of its computing; a test that waits instead of computing is stopped by the wall-clock limit,
GRADER_WALL_LIMIT. Either way the test fails with a TimeoutError that says which limit it hit,
and one endless loop costs one test, not the whole run.

The outcome of every test (passed, failed or skipped, with the reason) is written as JSON to the
file named by GRADER_REPORT when the session ends.
"""
import json
import os
import signal

import pytest

CPU_LIMIT = float(os.environ.get("GRADER_CPU_LIMIT", "120"))
WALL_LIMIT = float(os.environ.get("GRADER_WALL_LIMIT", str(4 * CPU_LIMIT)))
_outcomes = {}


class TimeLimitExceeded(TimeoutError):
    """A test used up its CPU time or wall-clock time."""


def _stop(limit, kind):
    def handler(signum, frame):
        raise TimeLimitExceeded(f"time limit: the test used more than {limit:g} s of {kind} "
                                "(an endless loop?)")
    return handler


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    previous = {signal.SIGPROF: signal.signal(signal.SIGPROF, _stop(CPU_LIMIT, "CPU time")),
                signal.SIGALRM: signal.signal(signal.SIGALRM, _stop(WALL_LIMIT, "wall-clock time"))}
    signal.setitimer(signal.ITIMER_PROF, CPU_LIMIT)
    signal.setitimer(signal.ITIMER_REAL, WALL_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _reason(report):
    """One line saying why a test failed or was skipped."""
    if isinstance(report.longrepr, tuple):          # a skip: (path, line, reason)
        return report.longrepr[2].removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "failed")[:300]


def pytest_runtest_logreport(report):
    previous = _outcomes.get(report.nodeid)
    if previous and previous["outcome"] != "passed":
        return                                      # the first failure or skip is the reason
    if report.failed or report.skipped:
        _outcomes[report.nodeid] = {"outcome": report.outcome, "reason": _reason(report),
                                    "when": report.when}
    elif report.when == "call":
        _outcomes[report.nodeid] = {"outcome": "passed", "reason": ""}


def pytest_sessionfinish(session):
    path = os.environ.get("GRADER_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(_outcomes, f)
