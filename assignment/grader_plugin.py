"""pytest plugin used by the grader: a test that runs longer than GRADER_TEST_TIMEOUT seconds fails.

One endless loop in a submission then costs one test, not the whole grading run.
"""
import os
import signal

import pytest

LIMIT = float(os.environ.get("GRADER_TEST_TIMEOUT", "120"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    def stop(signum, frame):
        raise TimeoutError(f"the test took longer than {LIMIT:g} s (an endless loop?)")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
