"""Time dlscratch's multi-head attention and a Transformer language model's training step against
PyTorch on the CPU (float32).

  attention   forward + backward of causal multi-head self-attention, N=32, T=128, D=128,
              4 heads: multihead_attention_forward/backward vs nn.MultiheadAttention(batch_first)
              with a causal attn_mask and autograd (the same weights: in_proj_weight = W_qkvᵀ)
  train step  one training step (forward, cross-entropy, backward, Adam) of a 4-layer pre-norm
              Transformer, D=128, 4 heads, T=128, batch 32, 96 characters: dlscratch
              TransformerLM + the Solver's Adam, the way Solver._step steps it, vs the same
              architecture in torch (nn.Embedding, learned positions, nn.LayerNorm,
              nn.MultiheadAttention, nn.Linear + F.gelu(approximate='tanh')) with torch.optim.Adam

Before timing, each case checks that both sides compute the same values (the same outputs and
gradients; the same first loss). The method is that of bench_mlp.py: both libraries run
alternately in rounds within one process, with the same number of threads and a pause before
each one's turn, and the figure reported is the median of every timed call.

    make bench
    python benchmarks/bench_transformer.py [--threads N] [--rounds R] [--steps S]

Uses only the standard library, numpy and torch.
"""
import sys

from bench_conv import Case, check_close, describe_method, interleaved_times, report, warm_up
from bench_mlp import import_torch, parse_checked, resolve_threads, timing_parser
import results

TARGETS = {"attention": 1.5, "train step": 1.5}        # issue 18's, for the new benchmarks
N, T, D, HEADS, LAYERS, VOCAB = 32, 128, 128, 4, 4, 96


def parse_args(argv=None):
    parser = timing_parser("Time multi-head attention and a Transformer language model's training "
                           "step in dlscratch and in PyTorch on the CPU (float32).", steps=5,
                           warmup=2)
    return parse_checked(parser, argv)


def attention_case(rng, torch):
    import numpy as np
    from dlscratch import layers as L

    x = rng.standard_normal((N, T, D), dtype=np.float32)
    dout = rng.standard_normal((N, T, D), dtype=np.float32)
    module = torch.nn.MultiheadAttention(D, HEADS, batch_first=True)
    with torch.no_grad():
        weights = (module.in_proj_weight.T.contiguous().numpy(), module.in_proj_bias.numpy().copy(),
                   module.out_proj.weight.T.contiguous().numpy(),
                   module.out_proj.bias.numpy().copy())
    causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    tx, tdout = torch.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(dout)

    def ours():
        out, cache = L.multihead_attention_forward(x, x, *weights, HEADS, causal=True)
        dquery, dkey_value, *grads = L.multihead_attention_backward(dout, cache)
        return [out, dquery + dkey_value, grads[0]]

    def theirs():
        for tensor in (tx, *module.parameters()):
            tensor.grad = None
        out, _ = module(tx, tx, tx, attn_mask=causal, need_weights=False)
        out.backward(tdout)
        return [out, tx.grad, module.in_proj_weight.grad.T]

    label = f"causal MHA fwd+bwd N={N} T={T} D={D} {HEADS} heads"
    check_close(label, ours(), [t.detach().numpy() for t in theirs()])
    return Case("attention", label, ours, theirs)


class TorchGPT:
    """The architecture of TransformerLM in torch modules, holding a TransformerLM's weights."""

    def __init__(self, torch, model):
        import numpy as np
        nn, p = torch.nn, model.params

        def tensor(a):
            return torch.from_numpy(np.ascontiguousarray(a))

        self.torch = torch
        self.embed = nn.Embedding(VOCAB, D)
        self.pos = nn.Parameter(tensor(p["W_pos"]))
        self.blocks = []
        for l in range(1, LAYERS + 1):
            block = {"ln1": nn.LayerNorm(D), "attn": nn.MultiheadAttention(D, HEADS, batch_first=True),
                     "ln2": nn.LayerNorm(D), "up": nn.Linear(D, 4 * D), "down": nn.Linear(4 * D, D)}
            with torch.no_grad():
                block["ln1"].weight.copy_(tensor(p[f"attn_gamma{l}"]))
                block["ln1"].bias.copy_(tensor(p[f"attn_beta{l}"]))
                block["attn"].in_proj_weight.copy_(tensor(p[f"W_qkv{l}"].T))
                block["attn"].in_proj_bias.copy_(tensor(p[f"b_qkv{l}"]))
                block["attn"].out_proj.weight.copy_(tensor(p[f"W_proj{l}"].T))
                block["attn"].out_proj.bias.copy_(tensor(p[f"b_proj{l}"]))
                block["ln2"].weight.copy_(tensor(p[f"mlp_gamma{l}"]))
                block["ln2"].bias.copy_(tensor(p[f"mlp_beta{l}"]))
                for name, layer in (("up", block["up"]), ("down", block["down"])):
                    layer.weight.copy_(tensor(p[f"W_{name}{l}"].T))
                    layer.bias.copy_(tensor(p[f"b_{name}{l}"]))
            self.blocks.append(block)
        self.ln_f = nn.LayerNorm(D)
        self.head = nn.Linear(D, VOCAB)
        with torch.no_grad():
            self.embed.weight.copy_(tensor(p["W_embed"]))
            self.ln_f.weight.copy_(tensor(p["gamma_final"]))
            self.ln_f.bias.copy_(tensor(p["beta_final"]))
            self.head.weight.copy_(tensor(p["W_vocab"].T))
            self.head.bias.copy_(tensor(p["b_vocab"]))
        self.causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)

    def parameters(self):
        modules = [self.embed, self.ln_f, self.head] + [m for b in self.blocks for m in b.values()]
        return [self.pos] + [q for m in modules for q in m.parameters()]

    def loss(self, X, y):
        F = self.torch.nn.functional
        x = self.embed(X) + self.pos[:X.shape[1]]
        for b in self.blocks:
            h = b["ln1"](x)
            x = x + b["attn"](h, h, h, attn_mask=self.causal, need_weights=False)[0]
            x = x + b["down"](F.gelu(b["up"](b["ln2"](x)), approximate="tanh"))
        scores = self.head(self.ln_f(x))
        return F.cross_entropy(scores.reshape(-1, VOCAB), y.reshape(-1))


def train_step_case(rng, torch, total_steps):
    import numpy as np
    from dlscratch import optimizations
    from dlscratch.twins import twin_of
    from dlscratch.models import TransformerLM

    model = TransformerLM(VOCAB, block_size=T, embed_dim=D, num_heads=HEADS, num_layers=LAYERS,
                          seed=0)
    configs = {name: {"learning_rate": 1e-3} for name in model.params}
    adam = twin_of(optimizations.adam)            # the rule Solver(update_rule="adam") uses
    p = model.params
    net = TorchGPT(torch, model)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    # fresh random characters every step: nothing to memorise, gradients of a realistic size
    batches = rng.integers(0, VOCAB, size=(total_steps, N, T + 1))
    torch_batches = torch.from_numpy(batches.astype(np.int64))
    step = {"dlscratch": 0, "PyTorch": 0}

    def ours():
        k = step["dlscratch"] = step["dlscratch"] + 1
        loss, grads = model.loss(batches[k, :, :-1], batches[k, :, 1:])
        for name, w in p.items():
            p[name], configs[name] = adam(w, grads[name], configs[name])
        return float(loss)

    def theirs():
        k = step["PyTorch"] = step["PyTorch"] + 1
        optimizer.zero_grad()
        loss = net.loss(torch_batches[k, :, :-1], torch_batches[k, :, 1:])
        loss.backward()
        optimizer.step()
        return loss.item()

    first = ours(), theirs()
    if abs(first[0] - first[1]) > 1e-4 * abs(first[1]):
        sys.exit(f"bench_transformer: train step: first losses differ (dlscratch {first[0]:.5f}, "
                 f"PyTorch {first[1]:.5f}); not timing it")
    label = f"train step {LAYERS} layers D={D} T={T} batch {N}"
    return Case("train step", label, ours, theirs), first


def main(argv=None):
    args = parse_args(argv)
    threads, source = resolve_threads(args.threads)   # before numpy is imported

    import numpy as np
    torch = import_torch("bench_transformer", threads)
    if torch is None:
        return 2
    torch.manual_seed(0)

    rng = np.random.default_rng(0)
    total_steps = 2 + args.warmup + args.rounds * args.steps
    train_case, first_losses = train_step_case(rng, torch, total_steps)
    cases = [attention_case(rng, torch), train_case]
    warm_up(cases, args.warmup)
    describe_method(torch, threads, source, args, "multi-head attention (forward + backward) "
                    "and a Transformer language model's training step")
    print(f"train step, first loss (same weights, same batch): dlscratch {first_losses[0]:.5f}, "
          f"PyTorch {first_losses[1]:.5f}")
    sys.stdout.flush()

    times = interleaved_times(cases, args.rounds, args.steps)
    print()
    results.save("transformer", report(cases, times, TARGETS, width=48), threads=threads)
    return 0

if __name__ == "__main__":
    sys.exit(main())
