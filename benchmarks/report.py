"""Draw the benchmark report from benchmarks/results/*.json: `make bench` runs this last.

    python benchmarks/report.py [--results benchmarks/results] [--readme benchmarks/README.md]

It draws results/summary.png, every case's time ratio to its reference (PyTorch, or gensim for
word2vec) against the 1x line and its target, and rewrites the table in the README between the
markers `<!-- results: begin -->` and `<!-- results: end -->`, with the machine it ran on.
"""
import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"
ORDER = ["mlp", "conv", "lstm", "word2vec", "transformer"]


def load(folder):
    """The saved results, in the order of `make bench`: [(benchmark name, its JSON)]."""
    found = {p.stem: json.loads(p.read_text()) for p in sorted(Path(folder).glob("*.json"))}
    found = {name: result for name, result in found.items() if "rows" in result}   # not scaling.json
    if not found:
        raise SystemExit(f"no results in {folder}: run make bench first")
    return sorted(found.items(), key=lambda item: (ORDER.index(item[0]) if item[0] in ORDER else len(ORDER), item[0]))


def rows_of(results):
    """Every row of every benchmark, with its benchmark's name."""
    return [{"benchmark": name, "threads": result.get("threads", 1), **r}
            for name, result in results for r in result["rows"]]


def table(results):
    """The README's Markdown table of every case, and the machine line under it."""
    lines = ["| benchmark | case | threads | dlscratch | reference | time ratio | target | |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows_of(results):
        unit = r["unit"]
        value = (lambda v: f"{v:,.0f} {unit}") if unit == "words/s" else (lambda v: f"{v:.2f} {unit}")
        met = "met" if r["time_ratio"] <= r["target"] else "**not met**"
        lines.append(f"| {r['benchmark']} | {r['case']} | {r['threads']} | {value(r['dlscratch'])} | "
                     f"{value(r['reference'])} ({r['reference_name']}) | {r['time_ratio']:.2f}x | "
                     f"≤ {r['target']:.2f}x | {met} |")
    machines = {json.dumps(result["machine"], sort_keys=True): result["machine"] for _, result in results}
    for m in machines.values():             # one line unless the results come from several machines
        lines.append("")
        settings = "".join(f", {key}={value}" for key, value in m.get("environment", {}).items())
        lines.append(f"Measured on {m['cpu']}, {m['cores']} cores, Python {m['python']}, numpy "
                     f"{m['numpy']} ({m['blas']}{settings}), on {m['when']}.")
    return "\n".join(lines)


def draw(results, path):
    """Each case's time ratio as a point on a log scale, joined to the 1x line, beside its target."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    rows = rows_of(results)[::-1]                      # the first benchmark at the top
    y = range(len(rows))
    ratios = [r["time_ratio"] for r in rows]
    met = [r["time_ratio"] <= r["target"] for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(rows) + 1.8))
    ax.hlines(y, 1.0, ratios, color="0.7", linewidth=2)
    for flag, colour, label in [(True, "tab:green", "target met"), (False, "tab:red", "target not met")]:
        ax.scatter([r for r, m in zip(ratios, met) if m == flag], [k for k, m in zip(y, met) if m == flag],
                   color=colour, s=45, zorder=3, label=label)
    ax.scatter([r["target"] for r in rows], y, marker="|", s=250, color="black", zorder=4,
               label="target (at most)")
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1, label="as fast as the reference")
    ax.set_xscale("log")
    ticks = [t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8) if min(ratios + [1]) / 1.5 <= t <= max(ratios + [1]) * 1.5]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _: f"{t:g}x"))
    ax.set_xlim(min(ratios + [1]) / 1.5, max(ratios + [r["target"] for r in rows]) * 1.3)
    ax.set_yticks(list(y), [f"{r['benchmark']}: {r['case']}" for r in rows])
    ax.set(xlabel="time ratio: dlscratch / its reference (lower is faster)",
           title="dlscratch against PyTorch (word2vec: gensim) on the CPU")
    ax.grid(axis="x", color="0.9")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def update_readme(readme, text):
    """Replace what stands between the README's result markers with text."""
    content = Path(readme).read_text()
    if BEGIN not in content or END not in content:
        raise SystemExit(f"{readme} has no {BEGIN} ... {END} markers for the table")
    head, rest = content.split(BEGIN, 1)
    Path(readme).write_text(head + BEGIN + "\n" + text + "\n" + END + rest.split(END, 1)[1])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Draw the benchmark report from the saved results.")
    parser.add_argument("--results", default=str(HERE / "results"))
    parser.add_argument("--readme", default=str(HERE / "README.md"))
    args = parser.parse_args(argv)
    results = load(args.results)
    draw(results, Path(args.results) / "summary.png")
    update_readme(args.readme, table(results))
    print(f"drew {Path(args.results) / 'summary.png'} and the table in {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
