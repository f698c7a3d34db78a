"""Shared pytest configuration: name the unimplemented exercises at the end of a run.

In the students' version every missing exercise raises NotImplementedError("<exercise>: ...");
this summary turns a wall of failures into the short list of exercises still to write.
"""
import re

_STUB = re.compile(r"NotImplementedError: (\w+): ")
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def pytest_terminal_summary(terminalreporter):
    failed = terminalreporter.stats.get("failed", []) + terminalreporter.stats.get("error", [])
    missing = set()
    for report in failed:
        missing.update(_STUB.findall(_COLOUR.sub("", str(report.longrepr))))
    if missing:
        terminalreporter.write_sep("=", "exercises not implemented yet")
        terminalreporter.write_line(", ".join(sorted(missing)))
