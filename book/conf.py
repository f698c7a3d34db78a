"""Sphinx settings for the course website: `make book` renders the committed notebooks, with their
outputs, into build/book/ (see the README's "The course as a website")."""
from pathlib import Path

project = "dlscratch"
author = "the dlscratch authors"
copyright = "the dlscratch authors, MIT licence"

extensions = [
    "myst_nb",                   # notebooks and Markdown pages
    "sphinx.ext.autodoc",        # the API reference, from the package's docstrings
    "sphinx_copybutton",         # a copy button on every code cell
]
exclude_patterns = ["README.md"]        # copied beside the pages for the {include}s, not a page
root_doc = "index"

nb_execution_mode = "off"        # the committed outputs are the product; never re-execute
nb_ipywidgets_js = {}            # no require.js or widget scripts from a CDN
nb_output_stderr = "remove"      # warnings printed while the notebook ran are not part of the page
nb_merge_streams = True          # a cell's printed lines in one box, not one box per print
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"       # the docstrings say the shapes

html_theme = "sphinx_book_theme"
html_title = "dlscratch: deep learning from scratch"
html_static_path = ["_static"]
html_css_files = ["dlscratch.css"]
html_theme_options = {
    "use_download_button": True,         # each notebook page offers its .ipynb
    "show_toc_level": 2,                 # the page's own table of contents, on the right
    "show_navbar_depth": 1,
    "home_page_in_toc": True,
    "use_fullscreen_button": False,
    "navbar_persistent": [],             # the sidebar has the search box; no second one on top
}
html_context = {"default_mode": "light"}  # the notebooks' plots are drawn on white
html_last_updated_fmt = None             # no dates: the same commit builds the same site

# MathJax 3 from the site itself, not from a CDN. The files come from the PyPI package
# sphinx-mathjax-offline (MathJax 3.2.2's own distribution); its folder's name has hyphens, so
# Sphinx cannot import it as an extension, and the few lines below do its work: point
# mathjax_path at the local copy and copy the files the TeX-to-HTML bundle loads into _static.
MATHJAX_FILES = ("tex-chtml.js", "output/chtml", "input/tex/extensions", "a11y", "ui", "sre")
mathjax_path = "mathjax/tex-chtml.js"


def mathjax_distribution():
    """The folder of MathJax's files inside the installed sphinx-mathjax-offline package."""
    from importlib.metadata import distribution

    here = distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static/mathjax")
    if not (Path(here) / "tex-chtml.js").is_file():
        raise RuntimeError(f"MathJax's files are not at {here}; pip install -e '.[book]'")
    return Path(here)


def copy_mathjax(app, exception):
    from sphinx.util.fileutil import copy_asset

    if exception is None:
        source = mathjax_distribution()
        for name in MATHJAX_FILES:
            target = Path(app.outdir, "_static", "mathjax", name)
            if (source / name).is_dir():
                copy_asset(source / name, target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes((source / name).read_bytes())


def docstring_as_html(lines):
    """A plain-text docstring as HTML: its prose lines joined into paragraphs with `names` as code,
    its indented lines (tables, diagrams, lists) kept as they are, in a <pre>."""
    import html
    import re

    blocks, kind = [], None
    for line in lines:
        now = "blank" if not line.strip() else "pre" if line.startswith(" ") else "prose"
        if now != kind or now == "blank":
            blocks.append((now, []))
            kind = now
        blocks[-1][1].append(line)
    parts = []
    for kind, block in blocks:
        if kind == "prose":
            text = html.escape(" ".join(line.strip() for line in block))
            parts.append("<p>" + re.sub(r"`([^`]+)`", r"<code>\1</code>", text) + "</p>")
        elif kind == "pre":
            parts.append('<pre class="docstring">' + html.escape("\n".join(block)) + "</pre>")
    return "".join(parts)


def docstring_as_written(app, what, name, obj, options, lines):
    """Show a docstring as the code has it: they are plain text (shapes, |x|, a*b), not reST."""
    if lines:
        lines[:] = [".. raw:: html", ""] + ["    " + line for line in docstring_as_html(lines).splitlines()] + [""]


def setup(app):
    mathjax_distribution()               # fail at once, with the fix, if the package is missing
    app.connect("autodoc-process-docstring", docstring_as_written)
    app.connect("build-finished", copy_mathjax)
