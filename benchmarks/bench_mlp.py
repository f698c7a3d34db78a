"""Time one training step of the same MLP in dlscratch and in PyTorch (CPU).

The network is 3072-512-256-10 (affine-ReLU-affine-ReLU-affine, softmax cross-entropy), float32,
batch 128. A training step is forward, loss, backward and an Adam update of every parameter:

  dlscratch  model.loss(X, y), then Adam for every parameter, exactly as Solver._step does (with
             the rule the Solver uses: optimizations.adam's fast twin where the course has one);
  PyTorch    optimizer.zero_grad(); F.cross_entropy(net(X), y).backward(); optimizer.step(),
             with torch.optim.Adam and its defaults.

Both start from the same weights and see the same batches, and both use the same number of CPU
threads. The two are run alternately in rounds within one process, so that whatever else the
machine is doing slows both alike, with a pause before each one's turn so that neither is timed
while the other's idle threads still spin (settle); the reported figure is the median over every
timed step.

    make bench
    python benchmarks/bench_mlp.py [--threads N] [--rounds R] [--steps S] [--batch B]

Uses only the standard library, numpy and torch.
"""
import argparse
import os
import statistics
import sys
import time

import results

TARGET_RATIO = 1.2           # issue 18's target
LAYER_DIMS = (3072, 512, 256, 10)
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# After a matrix product, OpenBLAS's idle threads (numpy's BLAS) keep spinning on the cores for a
# while, and whatever runs next is slowed: PyTorch's forward + backward of the 32 -> 64 convolution
# took 7.3-9.4 ms right after dlscratch's and 4.5-5.2 ms after a pause of 0.1-0.4 s (2026-12-07).
# Every benchmark here pauses this long before it times a library, so that neither is timed in
# the other's wake.
SETTLE_SECONDS = 0.25


def timing_parser(description, steps, warmup):
    """An argument parser with the options every benchmark here shares (threads, rounds, steps)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both numpy's BLAS and torch (default: leave numpy's "
                             "BLAS as it is and give torch the same number, read from "
                             "OMP_NUM_THREADS/OPENBLAS_NUM_THREADS/MKL_NUM_THREADS or the CPU count)")
    parser.add_argument("--rounds", type=int, default=7,
                        help="rounds; each round times both frameworks one after the other "
                             "(default: 7)")
    parser.add_argument("--steps", type=int, default=steps,
                        help=f"timed calls per framework (and case) in each round (default: {steps})")
    parser.add_argument("--warmup", type=int, default=warmup,
                        help=f"untimed calls per framework before timing (default: {warmup})")
    return parser


def parse_checked(parser, argv=None):
    """Parse argv, rejecting counts below 1 (or a negative warm-up) with a clear message."""
    args = parser.parse_args(argv)
    for name in ("threads", "rounds", "steps", "batch"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1, got {value}")
    if args.warmup < 0:
        parser.error(f"--warmup must be at least 0, got {args.warmup}")
    return args


def parse_args(argv=None):
    parser = timing_parser(
        "Time one training step (forward, loss, backward, Adam) of an MLP "
        f"{'-'.join(map(str, LAYER_DIMS))} in dlscratch and in PyTorch on the CPU.", steps=20, warmup=5)
    parser.add_argument("--batch", type=int, default=128, help="batch size (default: 128)")
    return parse_checked(parser, argv)


def resolve_threads(requested):
    """The thread count to use, and where it came from.

    With --threads the BLAS/OpenMP environment variables are set here, before numpy is imported,
    so numpy's BLAS starts with that many threads. Without it they are left alone and the count
    numpy's BLAS will pick up is read from them, or is the number of CPUs.
    """
    if requested is not None:
        for var in THREAD_ENV_VARS:
            os.environ[var] = str(requested)
        return requested, "--threads"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "").split(",")[0].strip()
        if value.isdigit() and int(value) > 0:
            return int(value), var
    return os.cpu_count() or 1, "os.cpu_count()"


def import_torch(script, threads):
    """torch with `threads` threads, or None after telling the user how to install it."""
    try:
        import torch
    except ImportError:
        print(f"{script}: PyTorch is not installed, and the benchmark compares against it.\n"
              "Install it with:  pip install -e '.[bench]'   (or: make bench)", file=sys.stderr)
        return None
    torch.set_num_threads(threads)
    return torch


def blas_threads_reported():
    """numpy's BLAS thread count as the library reports it, if threadpoolctl is installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    import numpy as np  # noqa: F401  (load numpy's BLAS so threadpoolctl can see it)
    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"
             and "torch" not in pool.get("filepath", "")]
    pools.sort(key=lambda pool: "numpy" not in pool.get("filepath", ""))   # numpy's own first
    if not pools:
        return None
    kernels = f", {pools[0]['architecture']} kernels" if pools[0].get("architecture") else ""
    return f"{pools[0]['num_threads']} ({pools[0].get('internal_api', 'blas')}{kernels})"


# ------------------------------------------------------------------------------------------------
# The two implementations of one training step
# ------------------------------------------------------------------------------------------------

class DlscratchRunner:
    """FullyConnectedNet + the Solver's Adam, stepped the way Solver._step steps it."""

    name = "dlscratch"

    def __init__(self, weights):
        """weights: [(W, b)] per affine layer, W (fan_in, fan_out)."""
        import numpy as np
        from dlscratch import optimizations
        from dlscratch.models.fc_net import FullyConnectedNet
        from dlscratch.twins import twin_of

        from dlscratch.layers import softmax_loss

        self.np = np
        self.softmax_loss = softmax_loss
        self.adam = twin_of(optimizations.adam)        # the rule Solver(update_rule="adam") uses
        dims = [w.shape[0] for w, _ in weights] + [weights[-1][0].shape[1]]
        self.model = FullyConnectedNet(dims[1:-1], input_dim=dims[0], num_classes=dims[-1],
                                       dtype=np.float32, seed=0)
        for i, (w, b) in enumerate(weights, start=1):
            self.model.params[f"W{i}"] = w.copy()
            self.model.params[f"b{i}"] = b.copy()
        self.configs = {name: {"learning_rate": 1e-3} for name in self.model.params}

    def step(self, X, y):
        loss, grads = self.model.loss(X, y)
        params, configs = self.model.params, self.configs
        for name, w in params.items():
            params[name], configs[name] = self.adam(w, grads[name], configs[name])
        return float(loss)

    def step_parts(self, X, y):
        """The same step as step(), split as Classifier.loss splits it; returns seconds per part."""
        model, np = self.model, self.np
        t0 = time.perf_counter()
        Xc = np.asarray(X).astype(model.dtype, copy=False)
        scores, cache = model._forward(Xc, "train")
        data_loss, dscores = self.softmax_loss(scores, np.asarray(y))
        t1 = time.perf_counter()
        grads = model._backward(dscores, cache)
        _ = data_loss + model._add_regularization(grads)
        t2 = time.perf_counter()
        params, configs = model.params, self.configs
        for name, w in params.items():
            params[name], configs[name] = self.adam(w, grads[name], configs[name])
        t3 = time.perf_counter()
        return t1 - t0, t2 - t1, t3 - t2


class TorchRunner:
    """nn.Sequential of Linear/ReLU layers, F.cross_entropy and torch.optim.Adam."""

    name = "PyTorch"

    def __init__(self, weights):
        import torch
        from torch import nn

        self.torch = torch
        layers = []
        for i, (w, b) in enumerate(weights):
            linear = nn.Linear(*w.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(w.T.copy()))   # torch stores (out, in)
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
            if i < len(weights) - 1:
                layers.append(nn.ReLU())
        self.net = nn.Sequential(*layers)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.cross_entropy = nn.functional.cross_entropy

    def step(self, X, y):
        self.optimizer.zero_grad()
        loss = self.cross_entropy(self.net(X), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def step_parts(self, X, y):
        """The same step as step(); returns seconds per part (CPU ops are synchronous)."""
        t0 = time.perf_counter()
        self.optimizer.zero_grad()
        loss = self.cross_entropy(self.net(X), y)
        loss.item()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        self.optimizer.step()
        t3 = time.perf_counter()
        return t1 - t0, t2 - t1, t3 - t2


# ------------------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------------------

def settle():
    """Wait until the other library's idle threads have stopped spinning (see SETTLE_SECONDS)."""
    time.sleep(SETTLE_SECONDS)


def time_steps(runner, batches, count, start):
    """Seconds for each of the steps start .. start + count - 1 (batches[k]); the last loss."""
    times, loss = [], float("nan")
    for k in range(start, start + count):
        X, y = batches[k]
        t0 = time.perf_counter()
        loss = runner.step(X, y)
        times.append(time.perf_counter() - t0)
    return times, loss


def time_parts(runner, batches, count, start):
    """Per-part seconds [(forward+loss, backward, update), ...] for steps start .. start + count - 1."""
    parts = []
    for k in range(start, start + count):
        X, y = batches[k]
        parts.append(runner.step_parts(X, y))
    return parts


def ms(seconds):
    return 1e3 * seconds


def main(argv=None):
    args = parse_args(argv)
    threads, source = resolve_threads(args.threads)   # before numpy is imported

    import numpy as np
    try:
        import dlscratch  # noqa: F401
    except ImportError:   # run from a checkout without `pip install -e .`: use the checkout's copy
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    torch = import_torch("bench_mlp", threads)
    if torch is None:
        return 2

    # The same initial weights (He initialisation) and the same batches for both frameworks.
    rng = np.random.default_rng(0)
    weights = [((np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out))).astype(np.float32),
                np.zeros(fan_out, dtype=np.float32))
               for fan_in, fan_out in zip(LAYER_DIMS[:-1], LAYER_DIMS[1:])]
    # Inputs cycle through a few fixed arrays, but every step gets fresh random labels: the net
    # cannot memorise them, so the loss and the gradients stay at a realistic size all run long
    # (a memorised batch drives them towards float32 denormals, which are slow on x86).
    total_steps = 1 + args.warmup + args.rounds * (args.steps + max(1, args.steps // 2))
    inputs = [rng.standard_normal((args.batch, LAYER_DIMS[0])).astype(np.float32)
              for _ in range(8)]
    labels = rng.integers(0, LAYER_DIMS[-1], size=(total_steps, args.batch))
    np_batches = [(inputs[k % len(inputs)], labels[k]) for k in range(total_steps)]
    torch_inputs = [torch.from_numpy(X.copy()) for X in inputs]
    torch_batches = [(torch_inputs[k % len(inputs)], torch.from_numpy(labels[k].astype(np.int64)))
                     for k in range(total_steps)]

    runners = [DlscratchRunner(weights), TorchRunner(weights)]
    data = {"dlscratch": np_batches, "PyTorch": torch_batches}

    # Sanity check: from the same weights on the same batch, the first losses must agree.
    first = {r.name: r.step(*data[r.name][0]) for r in runners}
    for r in runners:   # the rest of the warm-up: allocations, BLAS thread start-up, caches
        time_steps(r, data[r.name], args.warmup, start=1)

    blas = blas_threads_reported()
    print(f"dlscratch vs PyTorch {torch.__version__} (CPU): one training step of the MLP "
          f"{'-'.join(map(str, LAYER_DIMS))}, batch {args.batch}, float32, Adam")
    print(f"threads: {threads} (from {source}); numpy BLAS: "
          f"{blas if blas else f'{threads} expected (install threadpoolctl to confirm)'}; "
          f"torch: {torch.get_num_threads()}")
    print(f"method: {args.rounds} rounds x {args.steps} steps per framework, alternating "
          f"frameworks within each round, after {args.warmup + 1} warm-up steps each; "
          "median of all steps")
    print(f"first loss (same weights, same batch): dlscratch {first['dlscratch']:.5f}, "
          f"PyTorch {first['PyTorch']:.5f}")
    sys.stdout.flush()

    step_times = {r.name: [] for r in runners}
    round_medians = {r.name: [] for r in runners}
    part_times = {r.name: [] for r in runners}
    position = {r.name: args.warmup + 1 for r in runners}
    last_loss = {}
    for round_index in range(args.rounds):
        # alternate which framework goes first, so neither always follows the other
        order = runners if round_index % 2 == 0 else runners[::-1]
        for r in order:
            settle()
            times, last_loss[r.name] = time_steps(r, data[r.name], args.steps, position[r.name])
            position[r.name] += args.steps
            step_times[r.name] += times
            round_medians[r.name].append(statistics.median(times))
        # the per-part breakdown, in its own (shorter) interleaved stretch of the round
        for r in order:
            settle()
            count = max(1, args.steps // 2)
            part_times[r.name] += time_parts(r, data[r.name], count, position[r.name])
            position[r.name] += count

    median = {name: statistics.median(times) for name, times in step_times.items()}
    ratio = median["dlscratch"] / median["PyTorch"]

    print()
    print(f"{'framework':<12}{'ms/step':>10}{'round medians (min..max)':>30}")
    for name in step_times:
        lo, hi = min(round_medians[name]), max(round_medians[name])
        print(f"{name:<12}{ms(median[name]):>10.2f}{f'{ms(lo):.2f} .. {ms(hi):.2f}':>30}")
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"{'ratio':<12}{ratio:>10.2f}   dlscratch / PyTorch "
          f"(target: within {TARGET_RATIO}x -> {verdict})")
    results.save("mlp", [results.row("MLP 3072-512-256-10 Adam step, batch 128", ms(median["dlscratch"]),
                                     ms(median["PyTorch"]), TARGET_RATIO)], threads=threads)
    # both have taken the same steps on the same batches, so their losses should still agree
    print(f"loss at the last timed step: dlscratch {last_loss['dlscratch']:.5f}, "
          f"PyTorch {last_loss['PyTorch']:.5f}")

    print()
    print("where the time goes (median ms per part, from separately instrumented steps):")
    print(f"{'part':<16}{'dlscratch':>12}{'PyTorch':>12}{'ratio':>8}")
    sums = {}
    for i, label in enumerate(("forward+loss", "backward", "update (Adam)")):
        row = {name: statistics.median(p[i] for p in parts) for name, parts in part_times.items()}
        for name, value in row.items():
            sums[name] = sums.get(name, 0.0) + value
        print(f"{label:<16}{ms(row['dlscratch']):>12.2f}{ms(row['PyTorch']):>12.2f}"
              f"{row['dlscratch'] / row['PyTorch']:>8.2f}")
    print(f"{'sum of parts':<16}{ms(sums['dlscratch']):>12.2f}{ms(sums['PyTorch']):>12.2f}"
          f"{sums['dlscratch'] / sums['PyTorch']:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
