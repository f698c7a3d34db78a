"""The notebooks' prose: maths that can render, and every notebook's questions and exercises."""
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb"))
# a backslash escape that Python (or a JSON edit) turned into a control character: "\t" of \times,
# "\f" of \frac, "\b" of \beta, "\r" of \rho, "\v" of \vec
CONTROL = re.compile(r"[\t\x08\x0c\r\x0b\x07]")


def markdown_cells(path):
    return [(i, c.source) for i, c in enumerate(nbformat.read(path, 4).cells) if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_has_no_control_characters(path):
    bad = [i for i, source in markdown_cells(path) if CONTROL.search(source)]
    assert not bad, f"{path.name}: markdown cells {bad} hold a control character (a mangled LaTeX escape?)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_maths_delimiters_are_balanced(path):
    for i, source in markdown_cells(path):
        prose = re.sub(r"`[^`]*`", "", source)            # code spans may hold a literal $
        display = prose.count("$$")
        assert display % 2 == 0, f"{path.name} cell {i}: an unclosed $$"
        assert prose.replace("$$", "").replace(r"\$", "").count("$") % 2 == 0, f"{path.name} cell {i}: an unclosed $"


COURSE = [p for p in NOTEBOOKS if not p.stem.startswith("00_")]


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_every_notebook_teaches_in_the_same_shape(path):
    """Goals and needs first; at least two questions with fenced answers; summary, papers, next."""
    text = "\n".join(source for _, source in markdown_cells(path))
    for heading in ("**What you will learn.**", "**What you need.**", "## Summary", "## Further reading"):
        assert heading in text, f"{path.name} has no {heading}"
    questions = re.findall(r"^\*\*Question \d+\.\*\*", text, re.MULTILINE)
    answers = text.count("**Your answer.**")        # in the student version the answer is emptied
    assert 2 <= len(questions) == answers, f"{path.name}: {len(questions)} questions, {answers} answers"
    assert re.search(r"\]\((0\d_[a-z0-9_]+\.ipynb)\)", text), f"{path.name} links to no other notebook"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_every_notebook_has_two_exercises_in_its_cells_each_with_feedback(path):
    from assignment import exercises
    mine = [e for e in exercises.exercises_for(path.stem) if f"notebooks/{path.name}" in e.covers]
    assert len(mine) >= 2, f"{path.name} has {len(mine)} notebook exercises"
    cells = nbformat.read(path, 4).cells
    for exercise in mine:
        at = next(i for i, c in enumerate(cells) if f"# exercise: {exercise.id}" in c.source)
        following = [c.source for c in cells[at + 1:at + 4] if c.cell_type == "code"]
        assert any("feedback(" in source for source in following), \
            f"{path.name}: no feedback cell after exercise {exercise.id}"


def test_links_between_notebooks_point_at_notebooks_that_exist():
    names = {p.name for p in NOTEBOOKS}
    for path in NOTEBOOKS:
        text = "\n".join(source for _, source in markdown_cells(path))
        for target in re.findall(r"\]\((0\d_[a-z0-9_]+\.ipynb)\)", text):
            assert target in names, f"{path.name} links to {target}, which does not exist"
