"""How the cost of a training step grows with the batch and with the width, in dlscratch and in
PyTorch on the CPU (float32): one log-log plot per model, so a reader sees where the gap opens.

  mlp   one training step (forward, loss, backward, Adam) of a 3072-W-W/2-10 MLP: against the
        batch at W = 512, and against W at batch 128
  conv  3x3 convolution forward + backward on 16x16 images, pad 1: against the batch at C = F = 64,
        and against the channels C = F at batch 64
  lstm  LSTM forward + backward over T = 50 steps, D = 64: against the batch at H = 128, and
        against H at batch 32

Each point is the median of `--calls` calls per library, the two libraries alternating within
each of `--rounds` rounds (with bench_mlp.py's pause before each one's turn), after two warm-up
calls; the same weights and inputs on both sides (the cases of bench_mlp.py, bench_conv.py and
bench_lstm.py, at other sizes). Writes results/scaling.json and results/scaling_<model>.png;
about a minute and a half on 2 cores.

    python benchmarks/bench_scaling.py [--threads N] [--rounds 3] [--calls 10]
"""
import argparse
import json
import statistics
import sys

from bench_conv import Case, interleaved_times, time_calls
from bench_mlp import import_torch, resolve_threads

SWEEPS = {
    "mlp": {"batch": [16, 32, 64, 128, 256, 512], "width": [128, 256, 512, 1024, 2048]},
    "conv": {"batch": [8, 16, 32, 64, 128], "width": [8, 16, 32, 64, 128]},
    "lstm": {"batch": [8, 16, 32, 64, 128], "width": [32, 64, 128, 256, 512]},
}
DEFAULTS = {"mlp": {"batch": 128, "width": 512}, "conv": {"batch": 64, "width": 64},
            "lstm": {"batch": 32, "width": 128}}
AXES = {"mlp": "hidden width W (layers 3072-W-W/2-10)", "conv": "channels C = F",
        "lstm": "hidden units H"}


def mlp_pair(np, torch, batch, width, rng):
    """(dlscratch step, PyTorch step) of one MLP training step on a fixed random batch."""
    from bench_mlp import DlscratchRunner, TorchRunner
    dims = (3072, width, width // 2, 10)
    weights = [((rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32), np.zeros(b, np.float32))
               for a, b in zip(dims[:-1], dims[1:])]
    X = rng.standard_normal((batch, dims[0])).astype(np.float32)
    y = rng.integers(0, 10, size=batch)
    ours, theirs = DlscratchRunner(weights), TorchRunner(weights)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)
    return (lambda: ours.step(X, y)), (lambda: theirs.step(tX, ty))


def conv_pair(np, torch, batch, width, rng):
    """(dlscratch, PyTorch) conv forward + backward, from bench_conv.py's case."""
    from bench_conv import conv_case
    case = conv_case(rng, torch, (batch, width, 16, 16), width)
    return case.runs["dlscratch"], case.runs["PyTorch"]


def lstm_pair(np, torch, batch, width, rng):
    """(dlscratch, PyTorch) LSTM forward + backward, from bench_lstm.py's runners."""
    from bench_lstm import D, T, DlscratchLSTM, TorchLSTM, torch_lstm_and_our_weights
    x = rng.standard_normal((batch, T, D)).astype(np.float32)
    h0 = rng.standard_normal((batch, width)).astype(np.float32)
    dh = rng.standard_normal((batch, T, width)).astype(np.float32)
    lstm, weights = torch_lstm_and_our_weights(torch, D=D, H=width)
    ours, theirs = DlscratchLSTM(x, h0, weights, dh), TorchLSTM(torch, lstm, x, h0, dh)
    return ours.run, theirs.run


PAIRS = {"mlp": mlp_pair, "conv": conv_pair, "lstm": lstm_pair}


def median_times(pair, rounds, calls):
    """Median ms per call of (dlscratch, PyTorch), timed as bench_conv.py times its cases."""
    case = Case("scaling", "point", *pair)
    for run in case.runs.values():          # warm-up: allocations, BLAS thread start-up, caches
        time_calls(run, 2)
    times = interleaved_times([case], rounds, calls)
    return [1e3 * statistics.median(times["point", name]) for name in case.runs]


def sweep(np, torch, model, rounds, calls):
    """{axis: {"values", "dlscratch", "PyTorch"}} in ms, for one model."""
    rng = np.random.default_rng(0)
    out = {}
    for axis, values in SWEEPS[model].items():
        out[axis] = {"values": values, "dlscratch": [], "PyTorch": []}
        for value in values:
            sizes = {**DEFAULTS[model], axis: value}
            ours, theirs = median_times(PAIRS[model](np, torch, sizes["batch"], sizes["width"], rng),
                                        rounds, calls)
            out[axis]["dlscratch"].append(ours)
            out[axis]["PyTorch"].append(theirs)
            print(f"{model:<5} {axis:<6} {value:>5}: dlscratch {ours:9.2f} ms  PyTorch {theirs:9.2f} ms  "
                  f"ratio {ours / theirs:5.2f}", flush=True)
    return out


def plot(model, curves, path):
    """Two log-log panels, against the batch and against the width, both libraries on each."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (axis, curve) in zip(axes, curves.items()):
        for name, style in (("dlscratch", "o-"), ("PyTorch", "s--")):
            ax.loglog(curve["values"], curve[name], style, label=name)
        fixed = {k: v for k, v in DEFAULTS[model].items() if k != axis}
        label = "batch size" if axis == "batch" else AXES[model]
        ax.set(xlabel=label, ylabel="ms per call (median)",
               title=f"{model}: against the {'batch' if axis == 'batch' else 'width'} "
                     f"({', '.join(f'{k} {v}' for k, v in fixed.items())})")
        ax.set_xticks(curve["values"], [str(v) for v in curve["values"]])
        ax.minorticks_off()
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Scaling curves of dlscratch and PyTorch.")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--models", nargs="+", default=list(SWEEPS), choices=list(SWEEPS))
    args = parser.parse_args(argv)
    threads, _ = resolve_threads(args.threads)

    import numpy as np
    torch = import_torch("bench_scaling", threads)
    if torch is None:
        return 2
    import results

    curves = {model: sweep(np, torch, model, args.rounds, args.calls) for model in args.models}
    for model, curve in curves.items():
        plot(model, curve, results.folder() / f"scaling_{model}.png")
    path = results.folder() / "scaling.json"
    path.write_text(json.dumps({"machine": results.machine(), "threads": threads, "curves": curves},
                               indent=1) + "\n")
    print(f"wrote {path} and the plots beside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
