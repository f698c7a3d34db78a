"""environment.yml (conda) and pyproject.toml (pip) must name the same dependencies."""
import re
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:                      # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
# what conda needs that pip does not (the interpreter, pip itself, make for the Makefile)
CONDA_ONLY = {"python", "pip", "make"}


def normalise(requirement):
    """'Foo_Bar >= 1.2' -> ('foo-bar', '>=1.2'): the canonical name and the version constraint."""
    match = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    name, spec = match.group(1), match.group(2).replace(" ", "")
    return re.sub(r"[-_.]+", "-", name).lower(), spec


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(normalise(r) for r in listed)


def conda_requirements():
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("dependencies:")
    found = {}
    for line in lines[start + 1:]:
        match = re.match(r"^  - ([^:]+)$", line)     # top-level conda entries only, not pip's
        if match:
            name, spec = normalise(match.group(1))
            if name not in CONDA_ONLY:
                found[name] = spec
    return found


def test_environment_yml_and_pyproject_name_the_same_dependencies():
    assert conda_requirements() == pyproject_requirements()


def test_environment_yml_installs_the_package_itself_with_pip():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"- pip:\n\s+- -e \.", text)


def test_normalise_handles_names_and_specs():
    assert normalise("Foo_Bar >= 1.2") == ("foo-bar", ">=1.2")
    assert normalise("numpy") == ("numpy", "")
