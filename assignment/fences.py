"""Solution fences: find `### BEGIN SOLUTION` / `### END SOLUTION` regions (in code) and
`<!-- BEGIN ANSWER -->` / `<!-- END ANSWER -->` regions (the answers to a notebook's questions, in
markdown) and turn them into stubs."""
import ast
import re
from dataclasses import dataclass

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
ANSWER_BEGIN, ANSWER_END = "<!-- BEGIN ANSWER -->", "<!-- END ANSWER -->"
EXERCISE_LINE = re.compile(r"^\s*# exercise: (\S+)\s*$")


class FenceError(ValueError):
    """A malformed or unregistered solution fence; the message names the file and line."""


@dataclass(frozen=True)
class Region:
    begin: int        # 0-based line index of the BEGIN marker
    end: int          # 0-based line index of the END marker
    indent: str       # the BEGIN marker's indentation, used for the stub


def find_regions(lines, where, begin=BEGIN, end=END):
    """The fenced regions of a list of lines, in order; FenceError on any malformed marker."""
    opening, closing = (marker.strip("#<!-> ") for marker in (begin, end))
    regions, open_at = [], None
    for i, line in enumerate(lines):
        marker = line.strip()
        if marker == begin:
            if open_at is not None:
                raise FenceError(f"{where}:{i + 1}: {opening} inside the region opened at "
                                 f"line {open_at + 1} (fences cannot nest)")
            open_at = i
        elif marker == end:
            if open_at is None:
                raise FenceError(f"{where}:{i + 1}: {closing} without a {opening} before it")
            indent = lines[open_at][:len(lines[open_at]) - len(lines[open_at].lstrip())]
            regions.append(Region(open_at, i, indent))
            open_at = None
        elif begin in line or end in line:
            raise FenceError(f"{where}:{i + 1}: a solution marker must stand alone on its line")
    if open_at is not None:
        raise FenceError(f"{where}:{open_at + 1}: {opening} is never closed")
    return regions


def find_answers(lines, where):
    """The answer regions of a markdown cell's lines (`<!-- BEGIN ANSWER -->` ... `END ANSWER`)."""
    return find_regions(lines, where, ANSWER_BEGIN, ANSWER_END)


def solution_lines(lines, regions):
    """The lines inside the regions (markers excluded)."""
    return [line for r in regions for line in lines[r.begin + 1:r.end]]


def replace_regions(lines, regions, stub_for):
    """Lines with each region (markers included) replaced by stub_for(region) -> list of lines."""
    out, previous_end = [], -1
    for region in regions:
        out.extend(lines[previous_end + 1:region.begin])
        out.extend(stub_for(region))
        previous_end = region.end
    out.extend(lines[previous_end + 1:])
    return out


def strip_markers(lines, regions):
    """Lines with the fences' marker lines removed and their solutions kept."""
    markers = {i for r in regions for i in (r.begin, r.end)}
    return [line for i, line in enumerate(lines) if i not in markers]


def functions_by_line(source, where):
    """Map each line (1-based) of a Python source to the qualified name of the innermost
    function containing it ('Class.method' for methods)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise FenceError(f"{where}:{error.lineno}: not valid Python ({error.msg})") from None
    owner = {}

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    for line in range(child.lineno, child.end_lineno + 1):
                        owner[line] = name
                visit(child, f"{name}.")
            else:
                visit(child, prefix)
    visit(tree, "")
    return owner


def raise_line(indent, exercise_id, what):
    """The stub statement: raise NotImplementedError naming the exercise and what to write."""
    message = f"{exercise_id}: {what}".replace("\\", "\\\\").replace('"', '\\"')
    return f'{indent}raise NotImplementedError("{message}")'
