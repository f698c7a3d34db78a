"""Time dlscratch's LSTM layer against PyTorch's on the CPU (float32).

One call is the forward and the backward pass of a one-layer LSTM over a batch of sequences,
N=32 sequences of T=50 steps, D=64 input features, H=128 hidden units, float32:

  dlscratch  h, cache = lstm_forward(x, h0, Wx, Wh, b); lstm_backward(dh, cache)
             -> dx, dh0, dWx, dWh, db
  PyTorch    h, _ = nn.LSTM(D, H, batch_first=True)(x, (h0, c0)); h.backward(dh)
             with x and h0 requiring gradients, so it computes the same five gradients

Both start from the same weights: torch's weight_ih (4H, D) and weight_hh (4H, H) hold the gate
blocks in the order i, f, g, o and it has two biases, so Wx = weight_ih.T and Wh = weight_hh.T
with the g and o blocks swapped, and b = bias_ih + bias_hh. Before timing, the script checks that
both compute the same h and the same gradients. The method is that of bench_mlp.py: both libraries
run alternately in rounds within one process, with the same number of threads and a pause before
each one's turn, and the figure reported is the median of every timed call. The forward and
backward passes are also timed on their own, in the same calls.

    make bench
    python benchmarks/bench_lstm.py [--threads N] [--rounds R] [--steps S]

Uses only the standard library, numpy and torch.
"""
import statistics
import sys
import time

from bench_mlp import (blas_threads_reported, import_torch, ms, parse_checked, resolve_threads,
                       settle, timing_parser)

import results

TARGET_RATIO = 1.2           # issue 18's target
N, T, D, H = 32, 50, 64, 128
TORCH_GATE_ORDER = (0, 1, 3, 2)   # dlscratch's gate blocks i, f, o, g taken from torch's i, f, g, o


def parse_args(argv=None):
    parser = timing_parser(f"Time the forward and backward pass of an LSTM (N={N}, T={T}, D={D}, "
                           f"H={H}, float32) in dlscratch and in PyTorch on the CPU.",
                           steps=20, warmup=5)
    return parse_checked(parser, argv)


def torch_lstm_and_our_weights(torch, seed=0, D=D, H=H):
    """An nn.LSTM(D, H) with torch's default initialisation, and the same weights in our layout."""
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(D, H, batch_first=True)

    def reorder(rows):            # (4H, ...) blocks i, f, g, o -> i, f, o, g
        return torch.cat([rows[k * H:(k + 1) * H] for k in TORCH_GATE_ORDER])

    with torch.no_grad():
        Wx = reorder(lstm.weight_ih_l0).T.contiguous().numpy()
        Wh = reorder(lstm.weight_hh_l0).T.contiguous().numpy()
        b = reorder(lstm.bias_ih_l0 + lstm.bias_hh_l0).numpy()
    return lstm, (Wx, Wh, b)


class DlscratchLSTM:
    name = "dlscratch"

    def __init__(self, x, h0, weights, dh):
        from dlscratch.layers import lstm_backward, lstm_forward
        self.forward, self.backward = lstm_forward, lstm_backward
        self.x, self.h0, self.weights, self.dh = x, h0, weights, dh

    def run(self):
        """Forward and backward once; returns (seconds forward, seconds backward, outputs)."""
        t0 = time.perf_counter()
        h, cache = self.forward(self.x, self.h0, *self.weights)
        t1 = time.perf_counter()
        grads = self.backward(self.dh, cache)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, (h, *grads)


class TorchLSTM:
    name = "PyTorch"

    def __init__(self, torch, lstm, x, h0, dh):
        self.lstm = lstm
        self.x = torch.from_numpy(x.copy()).requires_grad_()
        self.h0 = torch.from_numpy(h0.copy())[None].requires_grad_()
        self.c0 = torch.zeros_like(self.h0)
        self.dh = torch.from_numpy(dh.copy())

    def run(self):
        """Forward and backward once; returns (seconds forward, seconds backward, outputs)."""
        for tensor in (self.x, self.h0, *self.lstm.parameters()):
            tensor.grad = None
        t0 = time.perf_counter()
        h, _ = self.lstm(self.x, (self.h0, self.c0))
        t1 = time.perf_counter()
        h.backward(self.dh)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, h

    def outputs_in_our_layout(self, h):
        """h and dx, dh0, dWx, dWh, db as numpy arrays in dlscratch's layout and gate order."""
        import torch

        def reorder(rows):
            return torch.cat([rows[k * H:(k + 1) * H] for k in TORCH_GATE_ORDER])

        lstm = self.lstm
        return (h.detach().numpy(), self.x.grad.numpy(), self.h0.grad[0].numpy(),
                reorder(lstm.weight_ih_l0.grad).T.numpy(),
                reorder(lstm.weight_hh_l0.grad).T.numpy(),
                reorder(lstm.bias_ih_l0.grad).numpy())


def check_same(ours, theirs, rtol=1e-3):
    """Stop with a message unless both computed the same h and the same five gradients."""
    import numpy as np
    names = ("h", "dx", "dh0", "dWx", "dWh", "db")
    for name, a, b in zip(names, ours, theirs):
        scale = float(np.abs(b).max()) or 1.0
        if a.shape != b.shape or float(np.abs(a - b).max()) > rtol * scale:
            sys.exit(f"bench_lstm: dlscratch and PyTorch disagree on {name}; not timing")


def main(argv=None):
    args = parse_args(argv)
    threads, source = resolve_threads(args.threads)   # before numpy is imported

    import numpy as np
    torch = import_torch("bench_lstm", threads)
    if torch is None:
        return 2

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D)).astype(np.float32)
    h0 = rng.standard_normal((N, H)).astype(np.float32)
    dh = rng.standard_normal((N, T, H)).astype(np.float32)
    lstm, weights = torch_lstm_and_our_weights(torch)
    ours, theirs = DlscratchLSTM(x, h0, weights, dh), TorchLSTM(torch, lstm, x, h0, dh)

    *_, our_outputs = ours.run()
    *_, torch_h = theirs.run()
    check_same(our_outputs, theirs.outputs_in_our_layout(torch_h))
    for runner in (ours, theirs):   # warm-up: allocations, BLAS thread start-up, caches
        for _ in range(args.warmup):
            runner.run()

    blas = blas_threads_reported()
    print(f"dlscratch vs PyTorch {torch.__version__} (CPU), float32: LSTM forward + backward, "
          f"N={N}, T={T}, D={D}, H={H}")
    print(f"threads: {threads} (from {source}); numpy BLAS: "
          f"{blas if blas else f'{threads} expected (install threadpoolctl to confirm)'}; "
          f"torch: {torch.get_num_threads()}")
    print(f"method: {args.rounds} rounds x {args.steps} calls per library, alternating libraries "
          f"within each round, after {args.warmup + 1} warm-up calls each; median of all calls")
    print("check: h and dx, dh0, dWx, dWh, db agree with PyTorch (same weights and inputs)")
    sys.stdout.flush()

    runners = (ours, theirs)
    parts = {runner.name: [] for runner in runners}          # (forward, backward) per call
    round_medians = {runner.name: [] for runner in runners}
    for round_index in range(args.rounds):
        # alternate which library goes first, so neither always follows the other
        for runner in (runners if round_index % 2 == 0 else runners[::-1]):
            settle()                        # not in the wake of the other library's threads
            calls = [runner.run()[:2] for _ in range(args.steps)]
            parts[runner.name] += calls
            round_medians[runner.name].append(statistics.median(f + b for f, b in calls))

    def median_of(name, pick):
        return statistics.median(pick(f, b) for f, b in parts[name])

    rows = {"forward": lambda f, b: f, "backward": lambda f, b: b,
            "forward + backward": lambda f, b: f + b}
    print()
    print(f"{'part':<22}{'dlscratch ms':>13}{'PyTorch ms':>12}{'ratio':>8}")
    for label, pick in rows.items():
        a, b = median_of("dlscratch", pick), median_of("PyTorch", pick)
        print(f"{label:<22}{ms(a):>13.2f}{ms(b):>12.2f}{a / b:>8.2f}")
    both = rows["forward + backward"]
    ratio = median_of("dlscratch", both) / median_of("PyTorch", both)
    spread = {name: f"{ms(min(m)):.2f} .. {ms(max(m)):.2f}" for name, m in round_medians.items()}
    print(f"round medians of forward + backward (min..max): dlscratch {spread['dlscratch']}, "
          f"PyTorch {spread['PyTorch']}")
    print(f"ratio {ratio:.2f}  dlscratch / PyTorch (target: within {TARGET_RATIO}x -> "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    case = f"LSTM fwd+bwd N={N} T={T} D={D} H={H}"
    results.save("lstm", [results.row(case, ms(median_of("dlscratch", both)), ms(median_of("PyTorch", both)),
                                      TARGET_RATIO)], threads=threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
