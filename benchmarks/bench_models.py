"""Time a training step of two of the course's models in dlscratch and in PyTorch (CPU, float32).

  digits ConvNet  notebook 04's digits model: conv 32 5x5 - relu - pool - conv 64 3x3 - relu -
                  pool - affine 128 - relu - affine 10, reg 1e-4, on batches of 64 of the embedded
                  MNIST digits (1, 28, 28), Adam 1e-3
  date Seq2Seq    notebook 07's date translator: LSTM encoder and decoder, E=32, H=64, with
                  attention, on batches of 64 of its date pairs (padded sources), Adam 1e-2 and
                  gradients clipped to a global norm of 5

dlscratch's step is Solver._step itself (the model's loss and gradients, the clipping, the update
rule the Solver uses for every parameter). PyTorch's is the same network built from torch.nn
(nn.Conv2d, nn.MaxPool2d, nn.Linear; nn.Embedding, nn.LSTM with the encoder's padded sources packed,
so that its final state is the one after each source's last token as in dlscratch, the scaled
dot-product attention with padded positions masked), F.cross_entropy (padding ignored),
clip_grad_norm_ and torch.optim.Adam, started from the same weights. Before timing, each case
checks that both compute the same first loss. Notebook 04 also shifts its training digits at
random (ShiftedTraining); that augmentation is left out of both sides. The method is that of
bench_mlp.py: both libraries run alternately in rounds within one process, with the same number
of threads and a pause before each one's turn, and the figure reported is the median of every
timed call.

    make bench
    python benchmarks/bench_models.py [--threads N] [--rounds R] [--steps S]

Uses only the standard library, numpy and torch (and the course's own bundled data).
"""
import sys

from bench_conv import Case, describe_method, interleaved_times, report, warm_up
from bench_lstm import TORCH_GATE_ORDER
from bench_mlp import import_torch, parse_checked, resolve_threads, timing_parser
import results

TARGETS = {"digits ConvNet": 1.5, "date Seq2Seq": 1.5}        # issue 18's, for the new benchmarks
BATCH = 64


def parse_args(argv=None):
    parser = timing_parser("Time a training step of notebook 04's digits ConvNet and notebook 07's "
                           "date Seq2Seq in dlscratch and in PyTorch on the CPU (float32).",
                           steps=10, warmup=3)
    return parse_checked(parser, argv)


def batches_of(data, count):
    """count batches (X, y) of BATCH consecutive training examples, wrapping around the set."""
    X, y = data["X_train"], data["y_train"]
    starts = [(k * BATCH) % (len(X) - BATCH) for k in range(count)]
    return [(X[s:s + BATCH], y[s:s + BATCH]) for s in starts]


def solver_step(solver):
    """A function that runs the Solver's own training step on the next batch."""
    def step(batch):
        return solver._step(*batch)
    return step


def torch_step(torch, net, loss_of, optimizer, grad_clip=None):
    """A function that runs one PyTorch training step of net on a batch and returns the loss."""
    def step(batch):
        optimizer.zero_grad()
        loss = loss_of(*batch)
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(net.parameters(), grad_clip)
        optimizer.step()
        return loss.item()
    return step


def timed_case(kind, label, ours, theirs, ours_batches, theirs_batches, tolerance=1e-4):
    """A Case stepping each side through its batches, after checking the first losses agree."""
    first = ours(ours_batches[0]), theirs(theirs_batches[0])
    if abs(first[0] - first[1]) > tolerance * abs(first[1]):
        sys.exit(f"bench_models: {label}: first losses differ (dlscratch {first[0]:.5f}, "
                 f"PyTorch {first[1]:.5f}); not timing it")
    position = {"dlscratch": 0, "PyTorch": 0}

    def runner(name, step, batches):
        def run():
            k = position[name] = position[name] + 1
            return step(batches[k % len(batches)])
        return run
    case = Case(kind, label, runner("dlscratch", ours, ours_batches),
                runner("PyTorch", theirs, theirs_batches))
    return case, first


def copy_into(torch, parameter, array):
    """parameter <- array (numpy), without recording it in autograd."""
    import numpy as np
    with torch.no_grad():
        parameter.copy_(torch.from_numpy(np.ascontiguousarray(array)))


# ------------------------------------------------------------------------------------------------
# Notebook 04's digits ConvNet
# ------------------------------------------------------------------------------------------------

def convnet_case(torch, total_steps):
    import numpy as np
    from dlscratch.data import load_embedded_digits
    from dlscratch.models import ConvNet
    from dlscratch.solver import Solver

    data = load_embedded_digits(num_val=500, num_test=500, seed=0)
    model = ConvNet(input_dim=(1, 28, 28), num_filters=(32, 64), filter_size=[5, 3], pool=True,
                    hidden_dims=(128,), weight_scale="he", reg=1e-4, seed=0)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                    batch_size=BATCH, seed=0, verbose=False)
    nn, p = torch.nn, model.params
    net = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    for k, layer in enumerate([net[0], net[3], net[7], net[9]], start=1):
        weight = p[f"W{k}"].T if isinstance(layer, nn.Linear) else p[f"W{k}"]   # Linear: (out, in)
        copy_into(torch, layer.weight, weight)
        copy_into(torch, layer.bias, p[f"b{k}"])
    weights = [layer.weight for layer in (net[0], net[3], net[7], net[9])]

    def loss_of(X, y):
        penalty = sum((w * w).sum() for w in weights)                  # dlscratch's 0.5 reg |W|²
        return nn.functional.cross_entropy(net(X), y) + 0.5 * model.reg * penalty

    ours = batches_of(data, total_steps)
    theirs = [(torch.from_numpy(X.copy()), torch.from_numpy(y.astype(np.int64))) for X, y in ours]
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    return timed_case("digits ConvNet", "digits ConvNet train step, batch 64", solver_step(solver),
                      torch_step(torch, net, loss_of, optimizer), ours, theirs, tolerance=1e-3)


# ------------------------------------------------------------------------------------------------
# Notebook 07's date Seq2Seq with attention
# ------------------------------------------------------------------------------------------------

class TorchSeq2Seq:
    """dlscratch's Seq2Seq (LSTM, attention) in torch.nn, with a copy of its weights."""

    def __init__(self, torch, model):
        import numpy as np
        nn, p, H = torch.nn, model.params, model.hidden_dim
        self.torch, self.H = torch, H
        self.source = nn.Embedding(*p["W_src"].shape)
        self.target = nn.Embedding(*p["W_tgt"].shape)
        self.encoder = nn.LSTM(model.wordvec_dim, H, batch_first=True)
        self.decoder = nn.LSTM(model.wordvec_dim, H, batch_first=True)
        self.query, self.combine = nn.Linear(H, H), nn.Linear(2 * H, H)
        self.out = nn.Linear(H, model.target_vocab_size)
        copy_into(torch, self.source.weight, p["W_src"])
        copy_into(torch, self.target.weight, p["W_tgt"])
        for lstm, side in ((self.encoder, "enc"), (self.decoder, "dec")):
            copy_into(torch, lstm.weight_ih_l0, torch_gate_blocks(p[f"Wx_{side}"].T))
            copy_into(torch, lstm.weight_hh_l0, torch_gate_blocks(p[f"Wh_{side}"].T))
            copy_into(torch, lstm.bias_ih_l0, torch_gate_blocks(p[f"b_{side}"]))
            copy_into(torch, lstm.bias_hh_l0, np.zeros_like(p[f"b_{side}"]))
        for layer, name in ((self.query, "q"), (self.combine, "c"), (self.out, "out")):
            copy_into(torch, layer.weight, p[f"W_{name}"].T)
            copy_into(torch, layer.bias, p[f"b_{name}"])
        self.modules = [self.source, self.target, self.encoder, self.decoder, self.query,
                        self.combine, self.out]

    def parameters(self):
        return [w for module in self.modules for w in module.parameters()]

    def loss(self, X, lengths, decoder_input, y):
        """The mean cross-entropy per non-<pad> target token, as Seq2Seq.loss computes it."""
        torch, F = self.torch, self.torch.nn.functional
        rnn = torch.nn.utils.rnn
        packed = rnn.pack_padded_sequence(self.source(X), lengths, batch_first=True,
                                          enforce_sorted=False)
        encoded, final = self.encoder(packed)
        encoded, _ = rnn.pad_packed_sequence(encoded, batch_first=True, total_length=X.shape[1])
        decoded, _ = self.decoder(self.target(decoder_input), final)
        scores = self.query(decoded) @ encoded.transpose(1, 2) / self.H ** 0.5
        weights = scores.masked_fill((X == 0)[:, None, :], float("-inf")).softmax(dim=2)
        hidden = torch.tanh(self.combine(torch.cat([decoded, weights @ encoded], dim=2)))
        logits = self.out(hidden)
        return F.cross_entropy(logits.reshape(-1, logits.shape[2]), y.reshape(-1), ignore_index=0)


def torch_gate_blocks(rows):
    """(4H, ...) rows with dlscratch's gate blocks i, f, o, g -> torch's order i, f, g, o."""
    import numpy as np
    blocks = np.split(np.asarray(rows), 4)
    return np.concatenate([blocks[k] for k in TORCH_GATE_ORDER])   # the swap is its own inverse


def seq2seq_case(torch, total_steps):
    import numpy as np
    from dlscratch.data.translation import load_dates
    from dlscratch.models import Seq2Seq
    from dlscratch.solver import Solver

    data = load_dates(num_train=20_000, num_val=1000, num_test=1000, seed=0)
    model = Seq2Seq(len(data["source_vocab"]), len(data["target_vocab"]), wordvec_dim=32,
                    hidden_dim=64, cell_type="lstm", attention=True, seed=0)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-2},
                    batch_size=BATCH, grad_clip=5.0, seed=0, verbose=False)
    net = TorchSeq2Seq(torch, model)
    ours = batches_of(data, total_steps)
    theirs = [(torch.from_numpy(X.astype(np.int64)), torch.from_numpy((X != 0).sum(axis=1)),
               torch.from_numpy(model.decoder_input(y).astype(np.int64)),
               torch.from_numpy(y.astype(np.int64))) for X, y in ours]
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    label = (f"date Seq2Seq train step, batch 64, Ts={data['X_train'].shape[1]} "
             f"Tt={data['y_train'].shape[1]}")
    return timed_case("date Seq2Seq", label, solver_step(solver),
                      torch_step(torch, net, net.loss, optimizer, grad_clip=5.0), ours, theirs)


def main(argv=None):
    args = parse_args(argv)
    threads, source = resolve_threads(args.threads)   # before numpy is imported

    torch = import_torch("bench_models", threads)
    if torch is None:
        return 2
    torch.manual_seed(0)

    total_steps = 2 + args.warmup + args.rounds * args.steps
    built = [convnet_case(torch, total_steps), seq2seq_case(torch, total_steps)]
    cases = [case for case, _ in built]
    warm_up(cases, args.warmup)
    describe_method(torch, threads, source, args, "a training step of notebook 04's digits "
                    "ConvNet and of notebook 07's date Seq2Seq with attention")
    for case, (ours, theirs) in built:
        print(f"{case.kind}, first loss (same weights, same batch): dlscratch {ours:.5f}, "
              f"PyTorch {theirs:.5f}")
    sys.stdout.flush()

    times = interleaved_times(cases, args.rounds, args.steps)
    print()
    results.save("models", report(cases, times, TARGETS, width=56), threads=threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
