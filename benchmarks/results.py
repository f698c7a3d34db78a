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
    """What the numbers depend on: the CPU, its cores, Python, numpy and the BLAS it uses."""
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = "unknown"
    try:                      # numpy's own BLAS (torch and scipy may load others beside it)
        from threadpoolctl import threadpool_info
        blas = next((f"{i['internal_api']} {i.get('version') or ''}".strip() for i in threadpool_info()
                     if i.get("user_api") == "blas" and "numpy" in i.get("filepath", "")), blas)
    except ImportError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": blas, "when": time.strftime("%Y-%m-%d")}


def row(case, ours, theirs, target, reference="PyTorch", unit="ms"):
    """One case: dlscratch's and the reference's median (ms, or words/s when unit is 'words/s'),
    their time ratio and the target for that ratio (at most)."""
    time_ratio = theirs / ours if unit == "words/s" else ours / theirs
    return {"case": case, "dlscratch": ours, "reference": theirs, "reference_name": reference,
            "unit": unit, "time_ratio": time_ratio, "target": target}


def save(name, rows, **details):
    """Write benchmarks/results/<name>.json (or under $DLSCRATCH_BENCH_RESULTS) and say where."""
    folder = Path(os.environ.get("DLSCRATCH_BENCH_RESULTS", RESULTS))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), "rows": rows, **details},
                               indent=1) + "\n")
    print(f"results written to {path}")
    return path
