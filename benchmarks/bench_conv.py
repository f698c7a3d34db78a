"""Time dlscratch's fast convolution and max pooling, and a small convnet's training step, against
PyTorch on the CPU (float32).

  conv        forward + backward (dx, dw, db) of a 3x3 convolution, pad 1, stride 1:
              x (64, 3, 32, 32) with 32 filters, and x (64, 32, 16, 16) with 64 filters;
              dlscratch conv_forward/conv_backward vs F.conv2d and autograd
  pool        forward + backward of 2x2 max pooling, stride 2, on the outputs of those two
              convolutions, (64, 32, 32, 32) and (64, 64, 16, 16); max_pool_forward/backward vs
              F.max_pool2d and autograd
  train step  one training step (forward, softmax loss, backward, Adam) of
              conv(32 3x3)-relu-pool-conv(64 3x3)-relu-pool-affine(10) on a batch of 64 images
              (3, 32, 32): dlscratch ConvNet + the Solver's Adam, the way Solver._step steps it,
              vs the same nn.Sequential with F.cross_entropy and torch.optim.Adam

Each side gets its inputs in the memory layout its own layers produce (dlscratch: the
(F, H, W, N)-ordered view conv_forward and max_pool_forward return; PyTorch: contiguous NCHW),
since that is what the layer sees inside a network. The one exception is the first convolution's
input: the 3-channel images come from the data set as contiguous NCHW arrays for both. Before
timing, each case checks that both sides compute the same values. The method is that of
bench_mlp.py: both libraries are run alternately in rounds within one process, with the same
number of threads and a pause before each one's turn, and the figure reported is the median of
every timed call.

    make bench
    python benchmarks/bench_conv.py [--threads N] [--rounds R] [--steps S]

Uses only the standard library, numpy and torch.
"""
import statistics
import sys
import time

from bench_mlp import (blas_threads_reported, import_torch, ms, parse_checked, resolve_threads,
                       settle, timing_parser)
import results

# the targets of issue 18, per case where they differ by shape, else per kind
TARGETS = {"conv (64, 3, 32, 32) * 32 3x3": 1.0, "conv (64, 32, 16, 16) * 64 3x3": 1.2, "pool": 1.0,
           "train step": 2.5}
BATCH = 64
CONV_SHAPES = [((BATCH, 3, 32, 32), 32), ((BATCH, 32, 16, 16), 64)]
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}


def parse_args(argv=None):
    parser = timing_parser("Time dlscratch's fast conv and max-pool layers, and a small convnet's "
                           "training step, against PyTorch on the CPU (float32).", steps=10, warmup=3)
    return parse_checked(parser, argv)


class Case:
    """One comparison: a label, its kind (conv, pool or train step) and one callable per library."""

    def __init__(self, kind, label, dlscratch, pytorch):
        self.kind, self.label = kind, label
        self.runs = {"dlscratch": dlscratch, "PyTorch": pytorch}


def check_close(label, ours, theirs, rtol=1e-3):
    """Stop with a message unless the two libraries computed the same arrays."""
    import numpy as np
    for a, b in zip(ours, theirs):
        scale = float(np.abs(b).max()) or 1.0
        if a.shape != b.shape or float(np.abs(a - b).max()) > rtol * scale:
            sys.exit(f"bench_conv: {label}: dlscratch and PyTorch disagree; not timing it")


def in_conv_output_layout(a):
    """A copy of a (N, C, H, W) laid out the way dlscratch's conv_forward lays out its output."""
    import numpy as np
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


# ------------------------------------------------------------------------------------------------
# The cases
# ------------------------------------------------------------------------------------------------

def conv_case(rng, torch, x_shape, num_filters, first_layer=False):
    import numpy as np
    from dlscratch.layers import conv_backward, conv_forward
    F_ = torch.nn.functional

    C = x_shape[1]
    x = rng.standard_normal(x_shape, dtype=np.float32)
    # a first layer sees the images as stored, a later one the previous pool's output
    x_ours = x if first_layer else in_conv_output_layout(x)
    w = (np.sqrt(2.0 / (9 * C)) * rng.standard_normal((num_filters, C, 3, 3))).astype(np.float32)
    b = (0.1 * rng.standard_normal(num_filters)).astype(np.float32)
    conv_param = {"stride": 1, "pad": 1}
    out_shape = (x_shape[0], num_filters) + x_shape[2:]
    dout = rng.standard_normal(out_shape, dtype=np.float32)
    dout_ours = in_conv_output_layout(dout)       # the layout conv_forward's output has
    tx, tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
    tdout = torch.from_numpy(dout)

    def ours():
        out, cache = conv_forward(x_ours, w, b, conv_param)
        return (out, *conv_backward(dout_ours, cache))

    def theirs():
        out = F_.conv2d(tx, tw, tb, padding=1)
        return (out, *torch.autograd.grad(out, (tx, tw, tb), tdout))

    label = f"conv {tuple(x_shape)} * {num_filters} 3x3"
    check_close(label, ours(), [t.detach().numpy() for t in theirs()])
    return Case("conv", label, ours, theirs)


def pool_case(rng, torch, x_shape):
    import numpy as np
    from dlscratch.layers import max_pool_backward, max_pool_forward
    F_ = torch.nn.functional

    x = rng.standard_normal(x_shape, dtype=np.float32)
    x_ours = in_conv_output_layout(x)
    N, C, H, W = x_shape
    dout = rng.standard_normal((N, C, H // 2, W // 2), dtype=np.float32)
    dout_ours = in_conv_output_layout(dout)
    tx, tdout = torch.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(dout)

    def ours():
        out, cache = max_pool_forward(x_ours, POOL)
        return out, max_pool_backward(dout_ours, cache)

    def theirs():
        out = F_.max_pool2d(tx, 2)
        return (out, *torch.autograd.grad(out, (tx,), tdout))

    label = f"max pool 2x2 {tuple(x_shape)}"
    check_close(label, ours(), [t.detach().numpy() for t in theirs()])
    return Case("pool", label, ours, theirs)


def train_step_case(rng, torch, total_steps):
    import numpy as np
    from dlscratch import optimizations
    from dlscratch.twins import twin_of
    from dlscratch.models import ConvNet

    model = ConvNet(input_dim=(3, 32, 32), num_filters=(32, 64), filter_size=3, pool=True,
                    hidden_dims=(), num_classes=10, weight_scale="he", seed=0)
    configs = {name: {"learning_rate": 1e-3} for name in model.params}
    adam = twin_of(optimizations.adam)            # the rule Solver(update_rule="adam") uses
    p = model.params
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64 * 8 * 8, 10))
    with torch.no_grad():   # the same initial weights (torch's Linear stores W transposed)
        pairs = [("W1", "b1"), ("W2", "b2"), ("W3", "b3")]
        for layer, (w, b) in zip([net[0], net[3], net[7]], pairs):
            weight = p[w].T if layer is net[7] else p[w]
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
            layer.bias.copy_(torch.from_numpy(p[b]))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

    # Inputs cycle through a few fixed arrays; every step gets fresh random labels, so the loss
    # and the gradients stay at a realistic size (see bench_mlp.py).
    inputs = [rng.standard_normal((BATCH, 3, 32, 32), dtype=np.float32) for _ in range(4)]
    labels = rng.integers(0, 10, size=(total_steps, BATCH))
    torch_inputs = [torch.from_numpy(X.copy()) for X in inputs]
    torch_labels = torch.from_numpy(labels.astype(np.int64))
    step = {"dlscratch": 0, "PyTorch": 0}

    def ours():
        k = step["dlscratch"] = step["dlscratch"] + 1
        loss, grads = model.loss(inputs[k % len(inputs)], labels[k])
        for name, w in p.items():
            p[name], configs[name] = adam(w, grads[name], configs[name])
        return float(loss)

    def theirs():
        k = step["PyTorch"] = step["PyTorch"] + 1
        optimizer.zero_grad()
        scores = net(torch_inputs[k % len(inputs)])
        loss = torch.nn.functional.cross_entropy(scores, torch_labels[k])
        loss.backward()
        optimizer.step()
        return loss.item()

    first = ours(), theirs()
    if abs(first[0] - first[1]) > 1e-3 * abs(first[1]):
        sys.exit(f"bench_conv: train step: first losses differ (dlscratch {first[0]:.5f}, "
                 f"PyTorch {first[1]:.5f}); not timing it")
    label = "train step conv-relu-pool x2 - affine, batch 64"
    return Case("train step", label, ours, theirs), first


# ------------------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------------------

def time_calls(run, count):
    """Seconds taken by each of `count` calls of run()."""
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return times


def interleaved_times(cases, rounds, steps):
    """{(case label, library): seconds of every timed call}: in each round every case runs
    `steps` calls of each library, after a pause (bench_mlp.settle), the library that goes first
    alternating between rounds."""
    times = {(case.label, name): [] for case in cases for name in case.runs}
    for round_index in range(rounds):
        for case in cases:
            names = list(case.runs)
            for name in (names if round_index % 2 == 0 else names[::-1]):
                settle()                    # not in the wake of the other library's threads
                times[case.label, name] += time_calls(case.runs[name], steps)
    return times


def warm_up(cases, count):
    """count untimed calls of every case's runs: allocations, BLAS thread start-up, caches."""
    for case in cases:
        for run in case.runs.values():
            time_calls(run, count)


def describe_method(torch, threads, source, args, what):
    """Print what is compared, with how many threads, and how it is timed."""
    blas = blas_threads_reported()
    print(f"dlscratch vs PyTorch {torch.__version__} (CPU), float32: {what}")
    print(f"threads: {threads} (from {source}); numpy BLAS: "
          f"{blas if blas else f'{threads} expected (install threadpoolctl to confirm)'}; "
          f"torch: {torch.get_num_threads()}")
    print(f"method: {args.rounds} rounds x {args.steps} calls per library and case, alternating "
          f"libraries within each round, after {args.warmup} warm-up calls each; "
          "median of all calls")


def report(cases, times, targets, width):
    """Print each case's medians, their ratio and whether it meets its target (targets[case.label],
    else targets[case.kind]); returns the rows for benchmarks/results/."""
    print(f"{'case':<{width}}{'dlscratch ms':>13}{'PyTorch ms':>12}{'ratio':>8}  target")
    all_met, rows = True, []
    for case in cases:
        ours = statistics.median(times[case.label, "dlscratch"])
        theirs = statistics.median(times[case.label, "PyTorch"])
        ratio, target = ours / theirs, targets.get(case.label, targets.get(case.kind))
        rows.append(results.row(case.label, ms(ours), ms(theirs), target))
        all_met &= ratio <= target
        print(f"{case.label:<{width}}{ms(ours):>13.2f}{ms(theirs):>12.2f}{ratio:>8.2f}  "
              f"within {target}x -> {'met' if ratio <= target else 'NOT met'}")
    print()
    print("all targets met" if all_met else "some targets NOT met (see benchmarks/README.md for "
                                            "what limits them)")
    return rows


def main(argv=None):
    args = parse_args(argv)
    threads, source = resolve_threads(args.threads)   # before numpy is imported

    import numpy as np
    torch = import_torch("bench_conv", threads)
    if torch is None:
        return 2

    rng = np.random.default_rng(0)
    total_steps = 2 + args.warmup + args.rounds * args.steps
    train_case, first_losses = train_step_case(rng, torch, total_steps)
    cases = ([conv_case(rng, torch, shape, F, first_layer=(i == 0))
              for i, (shape, F) in enumerate(CONV_SHAPES)]
             + [pool_case(rng, torch, (BATCH, F) + shape[2:]) for shape, F in CONV_SHAPES]
             + [train_case])
    warm_up(cases, args.warmup)
    describe_method(torch, threads, source, args,
                    "conv and max-pool layers (forward + backward) and a convnet training step")
    print(f"train step, first loss (same weights, same batch): dlscratch {first_losses[0]:.5f}, "
          f"PyTorch {first_losses[1]:.5f}")
    sys.stdout.flush()

    times = interleaved_times(cases, args.rounds, args.steps)
    print()
    results.save("conv", report(cases, times, TARGETS, width=52), threads=threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
