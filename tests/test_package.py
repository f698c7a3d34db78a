"""The package's shape: every module imports on its own, no import cycle, the index is true."""
import ast
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import dlscratch
from dlscratch import layers

PACKAGE = Path(dlscratch.__file__).parent


def module_names():
    """Every module of the package as a dotted name, packages included."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imports_of(name):
    """The package modules that module `name` imports at its top level."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    is_package = path.is_dir()
    path = path / "__init__.py" if is_package else path.with_suffix(".py")
    package = name if is_package else name.rpartition(".")[0]
    known, found = set(module_names()), set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dlscratch"):
            found.add(node.module)
    return found & known - {name}


@pytest.mark.parametrize("name", module_names())
def test_every_module_imports_on_its_own_in_a_fresh_interpreter(name):
    subprocess.run([sys.executable, "-c", f"import {name}"], check=True)


def test_the_import_graph_has_no_cycle():
    graph = {name: imports_of(name) for name in module_names()}
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != "open", "import cycle: " + " -> ".join(path + [nxt])
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("name", [n for n in module_names() if n.startswith("dlscratch.layers.")])
def test_dlscratch_layers_gathers_every_public_layer_of_its_files(name):
    module = sys.modules.get(name) or __import__(name, fromlist=["_"])
    public = [n for n, v in vars(module).items() if isinstance(v, types.FunctionType) and not n.startswith("_")
              and getattr(v, "__module__", None) == name]
    assert sorted(module.__all__) == sorted(public)
    for n in module.__all__:
        assert getattr(layers, n) is getattr(module, n)


def test_the_package_index_names_every_module_and_sub_package():
    index = dlscratch.__doc__
    listed = set(re.findall(r"^  (\w+)/?\s", index, re.M))
    present = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    present |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    instructors_only = {"fast"}             # listed, but left out of a student's copy
    assert present <= listed and listed - present <= instructors_only
    for sub_package in ("layers", "data"):
        files = {p.stem for p in (PACKAGE / sub_package).glob("*.py") if p.stem != "__init__"}
        assert files <= set(re.findall(r"\w+", index + vars(dlscratch)[sub_package].__doc__
                                       if sub_package in vars(dlscratch) else index)), sub_package
