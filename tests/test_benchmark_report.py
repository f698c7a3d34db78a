"""benchmarks/report.py: the summary figure and the README table drawn from saved results."""
import importlib.util
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_module(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """Two benchmarks' results saved the way the scripts save them."""
    results = load_module("results")
    monkeypatch.setenv("DLSCRATCH_BENCH_RESULTS", str(tmp_path / "results"))
    results.save("mlp", [results.row("MLP step", 24.0, 12.0, 1.2)], threads=2)
    results.save("word2vec", [results.row("word2vec CBOW", 30_000.0, 100_000.0, 1 / 0.7, "gensim",
                                          "words/s")])
    (tmp_path / "results" / "scaling.json").write_text('{"curves": {}}')   # bench_scaling's: no rows
    return tmp_path / "results"


def test_a_row_is_a_time_ratio_whatever_its_unit(saved):
    mlp = json.loads((saved / "mlp.json").read_text())
    assert mlp["rows"][0]["time_ratio"] == pytest.approx(2.0) and mlp["threads"] == 2
    assert {"cpu", "cores", "numpy", "when"} <= set(mlp["machine"])
    cbow = json.loads((saved / "word2vec.json").read_text())["rows"][0]
    assert cbow["time_ratio"] == pytest.approx(100_000 / 30_000)     # a third of the speed: 3.33x the time


def test_the_report_draws_the_figure_and_rewrites_only_the_table(saved, tmp_path):
    report = load_module("report")
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{report.BEGIN}\nold table\n{report.END}\nafter\n")
    assert report.main(["--results", str(saved), "--readme", str(readme)]) == 0
    assert (saved / "summary.png").stat().st_size > 10_000
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("after\n") and "old table" not in text
    lines = [line for line in text.splitlines() if line.startswith("| mlp") or line.startswith("| word2vec")]
    assert lines[0].startswith("| mlp | MLP step | 2 | 24.00 ms | 12.00 ms (PyTorch) | 2.00x | ≤ 1.20x | **not met**")
    assert lines[1].startswith("| word2vec | word2vec CBOW | 1 | 30,000 words/s | 100,000 words/s (gensim) | 3.33x")
    assert "Measured on" in text


def test_the_machine_line_names_the_settings_that_change_the_kernels(tmp_path, monkeypatch):
    results, report = load_module("results"), load_module("report")
    for key in [key for key in os.environ if key.startswith(results.SPEED_SETTINGS)]:
        monkeypatch.delenv(key)                             # whatever this shell has set
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")          # thread counts are recorded apart
    monkeypatch.setenv("DLSCRATCH_BENCH_RESULTS", str(tmp_path))
    results.save("mlp", [results.row("MLP step", 24.0, 12.0, 1.2)], threads=2)
    saved = json.loads((tmp_path / "mlp.json").read_text())
    assert saved["machine"]["environment"] == {"OPENBLAS_CORETYPE": "Haswell"}
    line = report.table([("mlp", saved)]).splitlines()[-1]
    assert line.startswith("Measured on ") and "OPENBLAS_CORETYPE=Haswell), on " in line


def test_make_bench_lets_openblas_pick_its_own_kernels():
    """An OPENBLAS_CORETYPE inherited from the shell would handicap numpy's side alone (torch
    picks its kernels itself); make bench drops it unless BENCH_ENV asks for one."""
    makefile = (ROOT / "Makefile").read_text()
    bench = makefile[makefile.index("\nbench:"):].split("\n\n")[0]
    runs = [line.strip() for line in bench.splitlines() if "benchmarks/bench_" in line]
    assert len(runs) == 7 and all(line.startswith("$(BENCH) ") for line in runs)
    assert "BENCH  := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BENCH_ENV) $(PY)" in makefile


def test_the_report_says_what_is_missing(tmp_path):
    report = load_module("report")
    with pytest.raises(SystemExit, match="run make bench first"):
        report.main(["--results", str(tmp_path), "--readme", str(tmp_path / "README.md")])


def test_each_library_is_timed_after_a_pause_and_the_first_one_alternates(monkeypatch):
    """Neither library may be timed in the wake of the other's spinning BLAS threads."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    bench_conv = load_module("bench_conv")
    log = []
    monkeypatch.setattr(bench_conv, "settle", lambda: log.append("pause"))
    case = bench_conv.Case("conv", "a case", lambda: log.append("ours"), lambda: log.append("theirs"))
    times = bench_conv.interleaved_times([case], rounds=2, steps=2)
    assert log == ["pause", "ours", "ours", "pause", "theirs", "theirs",
                   "pause", "theirs", "theirs", "pause", "ours", "ours"]
    assert [len(times["a case", name]) for name in ("dlscratch", "PyTorch")] == [4, 4]
