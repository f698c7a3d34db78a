"""Build the course website from the committed notebooks: `make book` runs this.

    python tools/book.py [--out build/book]

It gathers the site's pages (book/: the landing page, the instructor's guide, the API reference,
Sphinx's settings) and the notebooks, with their outputs, into build/book-src/, then runs Sphinx
with myst-nb, which renders the notebooks as they are and never re-executes them. Open
build/book/index.html, or serve it with `make book-serve`.
"""
import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gather_sources(source):
    """A fresh build/book-src/: book/'s pages and settings, the README and every notebook."""
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(ROOT / "book", source)
    shutil.copy2(ROOT / "README.md", source / "README.md")        # the landing page and the guide quote it
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(notebook, source / notebook.name)


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
    status = build_main(["-q", "-W", "--keep-going", "-E", "-b", "html", str(source), str(out)])
    if status:
        raise SystemExit(f"the website did not build (Sphinx exit status {status}); see the warnings above")


def main():
    parser = argparse.ArgumentParser(description="Build the course website into a folder.")
    parser.add_argument("--out", default=str(ROOT / "build" / "book"))
    args = parser.parse_args()
    start = time.perf_counter()
    build(Path(args.out))
    print(f"built the website in {time.perf_counter() - start:.0f} s: open {Path(args.out) / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())
