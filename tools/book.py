"""Build the course website from the committed notebooks: `make book` runs this.

    python tools/book.py [--out build/book]

It gathers the site's pages (book/: the landing page, the instructor's guide, the API reference,
Sphinx's settings) and the notebooks, with their outputs, into build/book-src/, then runs Sphinx
with myst-nb, which renders the notebooks as they are and never re-executes them. Open
build/book/index.html, or serve it with `make book-serve`.
"""
import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# lines for the tools, not for a reader: nbval's and the grader's markers in code cells
TOOL_LINES = re.compile(r"^\s*(# NBVAL_\w+|### (BEGIN|END) SOLUTION|# exercise: [\w.]+)\s*$")
ANSWER = re.compile(r"<!-- BEGIN ANSWER -->(.*?)<!-- END ANSWER -->", re.S)
FOLDED_ANSWER = '<details class="answer">\n<summary>A model answer (try the question first)</summary>\n\n{}\n\n</details>'


def gather_sources(source):
    """A fresh build/book-src/: book/'s pages and settings, the README and every notebook."""
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(ROOT / "book", source)
    shutil.copy2(ROOT / "README.md", source / "README.md")        # the landing page and the guide quote it
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        (source / notebook.name).write_text(json.dumps(for_reading(json.loads(notebook.read_text())), indent=1))


def for_reading(notebook):
    """The notebook as the site shows it: the tools' marker lines dropped from its code, and each
    model answer and exercise solution folded (a reader tries the question first)."""
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            if "### BEGIN SOLUTION" in source:         # an exercise's solution: folded, like the answers
                cell.setdefault("metadata", {}).setdefault("tags", []).append("hide-input")
            source = "".join(line for line in source.splitlines(keepends=True) if not TOOL_LINES.match(line))
        elif cell["cell_type"] == "markdown":
            source = ANSWER.sub(lambda found: FOLDED_ANSWER.format(found.group(1).strip()), source)
        cell["source"] = source
    return notebook


def build(out, source=None):
    """Render the site into `out`; raises SystemExit with Sphinx's status if the build fails."""
    try:
        from sphinx.cmd.build import build_main
    except ImportError:
        raise SystemExit("the website needs Sphinx and myst-nb: pip install -e '.[book]' (make book does)")
    source = Path(source or ROOT / "build" / "book-src")
    gather_sources(source)
    # -W: a warning (a broken reference, a heading out of order, a docstring Sphinx cannot read)
    # fails the build instead of scrolling past; -E: read every page again, so builds do not drift.
    # Sphinx's cache (-d) stays beside the sources, so the site holds only what a reader loads, and
    # two builds of one commit are byte for byte the same.
    status = build_main(["-q", "-W", "--keep-going", "-E", "-d", str(source / ".doctrees"), "-b", "html",
                         str(source), str(out)])
    if status:
        raise SystemExit(f"the website did not build (Sphinx exit status {status}); see the warnings above")
    (Path(out) / ".buildinfo").unlink(missing_ok=True)    # Sphinx's note for rebuilds, not for readers


def main():
    parser = argparse.ArgumentParser(description="Build the course website into a folder.")
    parser.add_argument("--out", default=str(ROOT / "build" / "book"))
    args = parser.parse_args()
    start = time.perf_counter()
    build(Path(args.out))
    print(f"built the website in {time.perf_counter() - start:.0f} s: open {Path(args.out) / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())
