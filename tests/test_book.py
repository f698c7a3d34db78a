"""The course website (make book) in a real browser: headless Chromium, driven by Playwright, with
the network closed except for the local server. Every page must load without errors, typeset its
maths, show its images and link only to pages and anchors that exist; the API page must document
every name of the contract. Screenshots of every page, laptop and phone sized, land in
build/book-screenshots/ for a person to look at.

Skipped, with the reason, where Sphinx, Playwright or Debian's chromium is not installed
(.ci/run installs them: pip install -e '.[book]' and apt-get install chromium).
"""
import functools
import http.server
import importlib.util
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "book-screenshots"
CHROMIUM = os.environ.get("DLSCRATCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
WINDOWS = {"laptop": (1280, 800), "phone": (390, 844)}
NOTEBOOK_PAGES = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = ["index", *NOTEBOOK_PAGES, "instructors", "api", "search", "genindex", "py-modindex"]

# Every public name of the contract (../shared/SPEC.md), with the module that defines it.
LAYERS = {
    "core": ["affine", "relu", "sigmoid", "tanh", "gelu"],
    "normalization": ["batchnorm", "layernorm", "spatial_batchnorm", "spatial_groupnorm"],
    "dropout": ["dropout"],
    "conv": ["conv", "max_pool"],
    "recurrent": ["rnn_step", "rnn", "lstm_step", "lstm", "gru_step", "gru", "word_embedding",
                  "temporal_affine"],
    "attention": ["attention", "multihead_attention"],
}
CONTRACT = {
    **{f"dlscratch.layers.{module}.{name}": None for module, names in LAYERS.items() for name in names},
    "dlscratch.layers.normalization.batchnorm_backward_alt": None,
    "dlscratch.layers.conv.conv_forward_naive": None,
    "dlscratch.layers.conv.max_pool_forward_naive": None,
    "dlscratch.layers.attention.sinusoidal_positions": None,
    **{f"dlscratch.layers.losses.{name}": None for name in ("softmax_loss", "svm_loss", "temporal_softmax_loss")},
    **{f"dlscratch.optimizations.{name}": None
       for name in ("sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")},
    **{f"dlscratch.gradient_check.{name}": None
       for name in ("rel_error", "eval_numerical_gradient", "eval_numerical_gradient_array", "grad_check_sparse")},
    "dlscratch.models.fc_net.FullyConnectedNet": None,
    "dlscratch.models.conv_net.ThreeLayerConvNet": None,
    "dlscratch.models.conv_net.ConvNet": None,
    "dlscratch.models.recurrent_net.RecurrentNet": None,
    "dlscratch.models.word2vec.SkipGram": None,
    "dlscratch.models.word2vec.CBOW": None,
    "dlscratch.models.seq2seq.Seq2Seq": None,
    "dlscratch.models.transformer.TransformerLM": None,
    "dlscratch.models.transformer.TransformerLM.sample": None,
    "dlscratch.solver.Solver": None,
    "dlscratch.solver.Solver.train": None,
    "dlscratch.solver.Solver.check_accuracy": None,
}


def contract_names():
    """The documented ids the API page must hold: a layer name stands for its forward and backward."""
    names = []
    for name in CONTRACT:
        module, _, short = name.rpartition(".")
        if module.startswith("dlscratch.layers.") and short in sum(LAYERS.values(), []):
            names += [f"{module}.{short}_forward", f"{module}.{short}_backward"]
        elif short.endswith("_naive"):
            names += [name, name.replace("_forward_naive", "_backward_naive")]
        else:
            names.append(name)
    return names


def skip(reason):
    """Skip with the reason; in CI (DLSCRATCH_REQUIRE_BROWSER=1), where all is installed, fail instead."""
    if os.environ.get("DLSCRATCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"DLSCRATCH_REQUIRE_BROWSER=1, but the browser test cannot run: {reason}")
    pytest.skip(reason)


def need(module, reason):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        skip(reason)


def book_builder():
    """tools/book.py, the builder `make book` runs."""
    spec = importlib.util.spec_from_file_location("book", ROOT / "tools" / "book.py")
    book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(book)
    return book


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The website, built from this checkout into a temporary folder, served on localhost."""
    for module in ("sphinx", "myst_nb", "sphinx_book_theme"):
        need(module, "the website needs the [book] extra: pip install -e '.[book]' (make book installs it)")
    out = tmp_path_factory.mktemp("book") / "html"
    book_builder().build(out, source=out.parent / "src")
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium from Debian's package, started by Playwright without its own download."""
    sync_api = need("playwright.sync_api", "needs Playwright: pip install -e '.[book]'")
    if not CHROMIUM:
        skip("needs Chromium: apt-get install chromium (or set DLSCRATCH_CHROMIUM to its path)")
    with sync_api.sync_playwright() as playwright:
        # the flags keep Chromium from calling home, which this closed network would refuse noisily
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield browser
        browser.close()


def test_the_site_builds_with_every_page(site):
    out, _ = site
    for page in PAGES:
        assert (out / f"{page}.html").is_file(), f"{page}.html is missing from the built site"
    for notebook in NOTEBOOK_PAGES:          # the download button offers each notebook itself
        assert (out / "_sources" / f"{notebook}.ipynb").is_file()


def test_two_builds_of_one_commit_are_the_same_bytes(site, tmp_path):
    out, _ = site
    again = tmp_path / "html"
    book_builder().build(again, source=out.parent / "src")        # as `make book` twice
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    differ = [str(f) for f in files if (out / f).read_bytes() != (again / f).read_bytes()]
    assert not differ, f"files that differ between two builds: {differ[:5]}"


def test_the_api_page_documents_every_name_of_the_contract(site):
    out, _ = site
    documented = set(re.findall(r'<dt class="sig sig-object py" id="([\w.]+)"', (out / "api.html").read_text()))
    missing = [name for name in contract_names() if name not in documented]
    assert not missing, f"the API page does not document {missing}"
    assert len(documented) > len(contract_names())      # the helpers are there too


@functools.lru_cache(maxsize=None)
def anchors_of(path):
    """The ids an HTML file defines (what a #fragment may point at)."""
    return set(re.findall(r'\sid="([^"]+)"', path.read_text(errors="replace")))


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("page", PAGES)
def test_each_page_in_a_browser(site, browser, page, window):
    out, base = site
    context = browser.new_context(viewport=dict(zip(("width", "height"), WINDOWS[window])))
    outside, errors = [], []

    def only_localhost(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_localhost)
    tab = context.new_page()
    tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("requestfailed", lambda request: urlsplit(request.url).hostname == "127.0.0.1"
           and errors.append(f"could not load {request.url}"))
    tab.on("response", lambda response: response.status >= 400 and not response.url.endswith("/favicon.ico")
           and errors.append(f"{response.status} for {response.url}"))
    tab.goto(base + f"{page}.html", wait_until="load")

    has_maths = tab.evaluate("document.querySelectorAll('.math').length") > 0
    if has_maths:
        try:
            tab.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15_000)
        except Exception:
            pytest.fail(f"{page}: MathJax did not start within 15 s; the browser reported {errors[:3]}")
        tab.evaluate("MathJax.startup.promise")
        untypeset = tab.evaluate("[...document.querySelectorAll('.math')]"
                                 ".filter(m => !m.querySelector('mjx-container') && m.tagName != 'MJX-CONTAINER').length")
        assert untypeset == 0, f"{page}: {untypeset} formulas were not typeset"
    prose = tab.evaluate("""(() => { const body = document.querySelector('main') || document.body;
        const copy = body.cloneNode(true);
        copy.querySelectorAll('pre, code, script, style, mjx-container, .math').forEach(e => e.remove());
        return copy.textContent; })()""")
    assert "$$" not in prose, f"{page}: raw $$ left in the text"
    raw_inline = re.findall(r"\$[^$\s][^$\n]{0,80}?\$", prose)
    assert not raw_inline, f"{page}: raw inline maths left in the text: {raw_inline[:3]}"

    tab.evaluate("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
    tab.wait_for_function("[...document.images].every(i => i.complete)")
    broken = tab.evaluate("[...document.images].filter(i => !(i.naturalWidth > 0)).map(i => i.src)")
    assert not broken, f"{page}: images that did not load: {broken}"

    for href in set(tab.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")):
        target = urlsplit(urljoin(base + f"{page}.html", href))
        if target.scheme not in ("http", "https") or target.hostname != "127.0.0.1":
            continue                          # links out of the site are for the reader to follow
        path = out / (target.path.lstrip("/") or "index.html")
        if path.is_dir():
            path = path / "index.html"
        assert path.is_file(), f"{page}: the link {href} points at a missing page"
        if target.fragment and path.suffix == ".html":
            assert target.fragment in anchors_of(path), f"{page}: the link {href} points at a missing anchor"

    if page in NOTEBOOK_PAGES:
        # the reader's tools on a notebook page: its .ipynb to download, a copy button per code cell,
        # and the way on through the course
        assert tab.locator(f'a[href$="_sources/{page}.ipynb"]').count(), f"{page}: no download link"
        cells = tab.locator("div.cell_input").count()
        assert cells and tab.locator("div.cell_input button.copybtn").count() == cells, f"{page}: copy buttons"
        index = NOTEBOOK_PAGES.index(page)
        assert tab.locator("a.left-prev").count() == 1 and tab.locator("a.right-next").count() == 1, \
            f"{page}: previous/next links"
        assert tab.locator("a.right-next").get_attribute("href") == (
            f"{NOTEBOOK_PAGES[index + 1]}.html" if index + 1 < len(NOTEBOOK_PAGES) else "instructors.html")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{page}-{window}.png"), full_page=window == "laptop")
    if window == "phone" and tab.locator("main img").count():       # how a plot reads on a phone
        tab.locator("main img").first.scroll_into_view_if_needed()
        tab.screenshot(path=str(SCREENSHOTS / f"{page}-{window}-first-plot.png"))
    context.close()
    assert not outside, f"{page}: the page asked for files outside the site: {outside[:5]}"
    assert not errors, f"{page}: the browser reported errors: {errors[:5]}"


def test_search_finds_pages_offline(site, browser):
    _, base = site
    context = browser.new_context()
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1"
                  else route.abort())
    tab = context.new_page()
    tab.goto(base + "search.html?q=multihead_attention_forward", wait_until="load")
    tab.wait_for_selector("#search-results ul.search li", timeout=15_000)
    found = tab.evaluate("[...document.querySelectorAll('#search-results ul.search li a')].map(a => a.getAttribute('href'))")
    context.close()
    assert any(href.startswith("api.html") for href in found), found
    assert any(href.startswith("08_transformers.html") for href in found), found
