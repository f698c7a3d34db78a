"""Benchmark results as JSON: each benchmark script saves its rows to benchmarks/results/<name>.json,
with the machine it ran on, and benchmarks/report.py draws the summary figure and the README table
from those files.

A row compares dlscratch with its reference (PyTorch, or gensim for word2vec) on one case as a
**time ratio**, dlscratch's time divided by the reference's, so that below 1 is faster than the
reference for every benchmark; a throughput (words per second) is turned into time by inverting it.
"""
import json
import os
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine():
    """What the numbers depend on: the CPU (its family and model tell a Zen 4 from a Zen 5 that
    share a model name), its cores, Python, numpy, the BLAS it uses and that BLAS's kernel set."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if ":" in line)
        fields = {key.strip(): value.strip() for key, value in fields.items()}
        cpu = fields["model name"]
        if "cpu family" in fields and "model" in fields:
            cpu += f" (family {fields['cpu family']}, model {fields['model']})"
    except (OSError, KeyError):
        pass
    blas = "unknown"
    try:                      # numpy's own BLAS (torch and scipy may load others beside it)
        from threadpoolctl import threadpool_info
        numpy_blas = next((i for i in threadpool_info() if i.get("user_api") == "blas"
                           and "numpy" in i.get("filepath", "")), None)
        if numpy_blas:
            blas = f"{numpy_blas['internal_api']} {numpy_blas.get('version') or ''}".strip()
            if numpy_blas.get("architecture"):    # SkylakeX, or Haswell under OPENBLAS_CORETYPE
                blas += f", {numpy_blas['architecture']} kernels"
    except ImportError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": blas, "environment": speed_settings(),
            "when": time.strftime("%Y-%m-%d")}


# environment variables that change the BLAS's kernels or the allocator (OPENBLAS_CORETYPE,
# OPENBLAS_L2_SIZE, MALLOC_MMAP_THRESHOLD_, DLSCRATCH_MALLOC...); thread counts are recorded apart
SPEED_SETTINGS = ("OPENBLAS_", "MKL_", "MALLOC_", "DLSCRATCH_MALLOC")


def speed_settings():
    """The SPEED_SETTINGS variables set for this run, other than thread counts: {name: value}."""
    return {key: value for key, value in sorted(os.environ.items())
            if key.startswith(SPEED_SETTINGS) and not key.endswith("_NUM_THREADS")}


def row(case, ours, theirs, target, reference="PyTorch", unit="ms"):
    """One case: dlscratch's and the reference's median (ms, or words/s when unit is 'words/s'),
    their time ratio and the target for that ratio (at most)."""
    time_ratio = theirs / ours if unit == "words/s" else ours / theirs
    return {"case": case, "dlscratch": ours, "reference": theirs, "reference_name": reference,
            "unit": unit, "time_ratio": time_ratio, "target": target}


def folder():
    """Where results go: benchmarks/results/, or $DLSCRATCH_BENCH_RESULTS when it is set (made if
    missing)."""
    path = Path(os.environ.get("DLSCRATCH_BENCH_RESULTS", RESULTS))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(name, rows, **details):
    """Write benchmarks/results/<name>.json (or under $DLSCRATCH_BENCH_RESULTS) and say where."""
    path = folder() / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), "rows": rows, **details},
                               indent=1) + "\n")
    print(f"results written to {path}")
    return path
