BUDGET_FULL = 45.0
EXTRA_FULL = 135.0
"""Builds the draft of notebook 08 (first sections); run with the venv's python from notebooks/."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = []
md = lambda s: cells.append(new_markdown_cell(s.strip("\n")))
code = lambda s: cells.append(new_code_cell(s.strip("\n")))

md(r"""
# 08 · Transformers

Notebook 07 ended with attention helping a recurrent decoder read its input. The Transformer
(Vaswani et al., 2017) keeps the attention and drops the recurrence: every position of a sequence
looks at every other position at once, through several heads, and a stack of such layers with
small per-position networks between them is the whole model. A decoder-only Transformer trained
to predict the next character (Radford et al., 2018 and 2019, the GPT models) is what we build
here, forward and backward by hand in numpy like everything else, and train on the same Python
source as notebook 05's LSTM.

In this notebook we

1. read self-attention as a soft lookup, and hide the future with a causal mask;
2. split attention into heads, a reshape around the attention layer of notebook 07;
3. see what breaks without positions, and add them;
4. assemble the pre-norm block (residual stream, layer norm, attention, a GELU MLP) and check
   every gradient, of the block and of the whole model;
5. generate text with a key/value cache, and measure what the cache saves;
6. measure what attention costs as the context grows, against the LSTM;
7. race the Transformer against notebook 05's LSTM at equal parameters and equal training time,
   over three seeds, look at what its heads attend to, and sample from it.

The code lives in `dlscratch/layers/attention.py` (attention, heads, positions),
`dlscratch/layers/sandwiches.py` (the block) and `dlscratch/models/transformer.py`
(`TransformerLM`), all reached through `dlscratch.layers` and `dlscratch.models`.

**What you will learn.** Causal self-attention; multi-head attention as parallel subspaces;
positional encodings and why attention needs them; residual streams and pre-norm; the backward
pass of a Transformer block; the $O(T^2)$ cost of attention; key/value caching.

**What you need.** Notebook 07 (scaled dot-product attention and its backward pass), notebook 05
(character language models, perplexity) and notebook 03 (layer norm).

**Working on the student version?** The exercises are in the table below: the causal mask and
the heads in `dlscratch/layers/attention.py`, the block's backward pass in
`dlscratch/layers/sandwiches.py`, the key/value cache in `dlscratch/models/transformer.py`, and two
cells of this notebook marked `# YOUR CODE HERE`, each followed by a feedback cell. Write your
answers to the questions in the cells below them.

**Run time.** RUNTIME_PLACEHOLDER
""")

code(r"""
import time
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np

from assignment import exercises
from dlscratch import layers
from dlscratch.data.text import load_stdlib_corpus, stream_chunks, unigram_perplexity
from dlscratch.data.vocabulary import Vocabulary
from dlscratch.experiments import clearly_different, describe, train_on_the_clock
from dlscratch.gradient_check import check_model_gradients, feedback, layer_gradient_errors
from dlscratch.layers.sandwiches import TRANSFORMER_BLOCK_PARAMS
from dlscratch.models import RecurrentNet, TransformerLM
from dlscratch.settings import QUICK, pick
from dlscratch.solver import Solver

%matplotlib inline
plt.rcParams["figure.dpi"] = 80
rng = np.random.default_rng(0)
print("quick mode" if QUICK else "full run")
exercises.show("08_transformers")
""")

md(r"""
## Self-attention as a soft lookup

A Python dictionary answers a query with the value stored under the one key equal to it.
Attention answers a query $q$ with a *mixture* of all values, each weighted by how well its key
matches: $\text{out} = \sum_j \text{softmax}_j(q \cdot k_j / \sqrt D)\, v_j$. In **self**-attention
the queries, keys and values are all computed from the same sequence $x$ (shape $T\times D$):
$Q = xW_q$, $K = xW_k$, $V = xW_v$, so every position asks a question of every other position.

For a language model, position $i$ must predict character $i+1$ without seeing it: a **causal
mask** lets query $i$ attend keys $j \le i$ only. The mask is a lower-triangular $T\times T$ table
of booleans; a hidden key gets the score $-\infty$, so its weight is exactly 0 and it receives no
gradient (notebook 07's backward pass needs no change).
""")

code(r"""
T = 6
x = rng.standard_normal((1, T, 4))
out, cache = layers.attention_forward(x, x, x, causal=True)
weights = layers.attention_weights(cache)[0]
print(layers.causal_mask(4).astype(int))
assert np.all(np.triu(weights, 1) == 0) and np.allclose(weights.sum(axis=1), 1)
assert np.allclose(out[0, 0], x[0, 0])        # the first position can only see itself

fig, ax = plt.subplots(figsize=(4, 3.5))
image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1)
fig.colorbar(image, ax=ax, label="attention weight")
ax.set(title="Causal self-attention weights", xlabel="key position $j$", ylabel="query position $i$");
""")

md(r"""
## Heads: attention in parallel subspaces

One attention mixes values with one set of weights per query. **Multi-head** attention cuts the
$D$ features into $H$ slices of $D_h = D/H$ and lets each slice attend on its own, with its own
weights: one head can look at the previous character while another looks for an opening bracket.
No new attention code is needed. With $q$ of shape $(N, T, D)$, `split_heads` reshapes to
$(N, T, H, D_h)$, moves the head axis forward and merges it with the batch, $(N\cdot H, T, D_h)$:
to `attention_forward` the heads are just more sequences. `merge_heads` undoes it, and one output
projection $W_o$ mixes the heads' results:

$$\text{MHA}(x) = \text{concat}_h\bigl(\text{attention}(xW_q^{(h)}, xW_k^{(h)}, xW_v^{(h)})\bigr)\, W_o + b_o.$$

The backward pass is the chain of the same pieces in reverse: the output projection (an affine
layer), `split_heads` of its gradient, attention's backward, `merge_heads`, and the input
projections. For self-attention $x$ feeds both the queries and the keys/values, so its gradient
is the sum of the two, `dquery + dkey_value`.
""")

code(r"""
D, heads = 8, 2
x = rng.standard_normal((2, 5, D))
weights = [rng.standard_normal(s) / np.sqrt(D) for s in ((D, 3 * D), (3 * D,), (D, D), (D,))]
mask = np.array([[True] * 3 + [False] * 2, [True] * 5])       # sequence 0 padded at the end

def self_attention(x, W_qkv, b_qkv, W_out, b_out):
    return layers.multihead_attention_forward(x, x, W_qkv, b_qkv, W_out, b_out, heads, mask=mask,
                                              causal=True)

def self_attention_backward(dout, cache):
    dquery, dkey_value, *dweights = layers.multihead_attention_backward(dout, cache)
    return (dquery + dkey_value, *dweights)

errors = layer_gradient_errors(self_attention, self_attention_backward, [x, *weights], rng=rng)
names = ["dx", "dW_qkv", "db_qkv", "dW_out", "db_out"]
print({n: f"{e:.1e}" for n, e in zip(names, errors)})
assert max(e for n, e in zip(names, errors) if n != "db_qkv") < 1e-7
""")

md(r"""
The key part of `db_qkv` is exactly zero: adding a constant vector $b$ to every key adds
$q\cdot b$ to all of a query's scores, and the softmax does not change when one constant is added
to a whole row. Its numerical gradient is rounding noise, so its relative error means nothing.
""")

md(r"""
## What breaks without positions

Self-attention without a mask treats its input as a **set**: permute the positions and the output
is permuted the same way, nothing else changes, because every score depends only on the two
vectors involved, never on where they stand. "abc" and "cba" look alike to it. A model that must
predict the next character needs order, so the Transformer adds a vector that depends on the
position to every input: learned ones (GPT) or the fixed sinusoids of Vaswani et al.,
$PE_{t,2i} = \sin(t/10000^{2i/D})$, $PE_{t,2i+1} = \cos(t/10000^{2i/D})$.
""")

code(r"""
perm = rng.permutation(5)
out, _ = layers.multihead_attention_forward(x, x, *weights, heads)
out_permuted, _ = layers.multihead_attention_forward(x[:, perm], x[:, perm], *weights, heads)
print("without positions, permuting the input permutes the output:",
      np.allclose(out_permuted, out[:, perm]))
assert np.allclose(out_permuted, out[:, perm])

pe = layers.sinusoidal_positions(5, D)
with_pe, _ = layers.multihead_attention_forward(x + pe, x + pe, *weights, heads)
with_pe_permuted, _ = layers.multihead_attention_forward(x[:, perm] + pe, x[:, perm] + pe, *weights,
                                                         heads)
print("with positions added:", np.allclose(with_pe_permuted, with_pe[:, perm]))
assert not np.allclose(with_pe_permuted, with_pe[:, perm])

table = layers.sinusoidal_positions(128, 64)
fig, ax = plt.subplots(figsize=(7, 3))
image = ax.imshow(table.T, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
fig.colorbar(image, ax=ax, label="value")
ax.set(title="Sinusoidal positions, T = 128, D = 64", xlabel="position $t$", ylabel="feature");
""")

md(r"""
**Exercise (positions).** Write the sinusoidal table in plain numpy: one row per position $t$,
and for each $i = 0, \dots, D/2 - 1$ the angle $t / 10000^{2i/D}$, whose sine fills column $2i$
and whose cosine fills column $2i + 1$ ($D$ even). The feedback cell compares your table with
`layers.sinusoidal_positions`, which the model uses.
""")

code(r"""
# exercise: positions_table
def sinusoid_table(T, D):
    '''Positions PE (T, D), D even: PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(same angle).'''
    ### BEGIN SOLUTION
    t = np.arange(T)[:, None]                       # (T, 1)
    i = np.arange(D // 2)[None, :]                  # (1, D/2)
    angles = t / 10000 ** (2 * i / D)               # (T, D/2)
    table = np.zeros((T, D))
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles)
    return table
    ### END SOLUTION
""")

code(r"""
for T_pe, D_pe in [(5, 8), (128, 64), (1, 2)]:
    feedback(f"sinusoidal positions T = {T_pe}, D = {D_pe}", sinusoid_table(T_pe, D_pe),
             layers.sinusoidal_positions(T_pe, D_pe),
             hint="angles t / 10000 ** (2 i / D) as a (T, D/2) table by broadcasting; sines in the even columns, cosines in the odd")
""")

md(r"""
**Question 1.** For every offset $k$ there is one fixed $D\times D$ matrix $M_k$ with
$PE_{t+k} = PE_t\, M_k$ at every position $t$. Show it for one pair of columns $(2i, 2i+1)$ (the
angle-sum formulas), and say why that could make "the character $k$ places back" easy for
attention to find. What do learned positions lack that the sinusoids have, and what do they gain?
""")

md(r"""
**Your answer.**
<!-- BEGIN ANSWER -->
Write $a = 1/10000^{2i/D}$. Then $\sin(a(t+k)) = \sin(at)\cos(ak) + \cos(at)\sin(ak)$ and
$\cos(a(t+k)) = \cos(at)\cos(ak) - \sin(at)\sin(ak)$: the pair at $t+k$ is the pair at $t$ times
the $2\times 2$ rotation by the angle $ak$, which does not depend on $t$. $M_k$ is block diagonal
with one such rotation per pair. A score is a bilinear form $x_i W_q W_k^\top x_j^\top$, so a head
whose $W_q W_k^\top$ contains the rotation $M_k$ scores position $j = i - k$ highly wherever $i$
is: "$k$ back" is one linear map, learnt once for every position. Learned positions have no such
structure: each of the `block_size` rows is learnt separately from the text, so a relation between
positions must be learnt again at every position, and a position beyond the trained block has no
vector at all. In return they can fit whatever the data needs (GPT-2 uses them, and at scale they
work as well).
<!-- END ANSWER -->
""")

md(r"""
## The block: a residual stream with two branches

A pre-norm block (the GPT-2 arrangement) reads and writes a **residual stream** $x$:

$$x_1 = x + \text{MHA}(\text{LN}_1(x)), \qquad \text{out} = x_1 + \text{MLP}(\text{LN}_2(x_1)),
\qquad \text{MLP}(h) = \text{GELU}(hW_1 + b_1)\,W_2 + b_2,$$

with $W_1$ of shape $D\times 4D$. Each branch reads a normalised copy of the stream and *adds*
its result; the stream itself is never normalised. That is what makes deep stacks trainable: the
gradient of $x + f(x)$ is $d\text{out} + f'(x)^\top d\text{out}$, so $d\text{out}$ reaches every
block's input unchanged along the stream, however many blocks lie above (the residual block of
notebook 04 does the same for convolutions).

**The backward pass**, read off the graph from the top:

1. $d x_1 = d\text{out} + \text{LN}_2'^\top\,\text{MLP}'^\top\, d\text{out}$ — the MLP branch backward
   (affine, GELU, affine, layer norm), plus the stream;
2. $dx = dx_1 + \text{LN}_1'^\top\,(dq + dkv)$ with $dq + dkv$ = multi-head attention's backward of
   $dx_1$ (self-attention: both of its inputs are $\text{LN}_1(x)$).

`transformer_block_backward` is exactly these two steps, `residual_mlp_backward` the first.
""")

code(r"""
D, M = 8, 32
block = {"attn_gamma": 1 + 0.1 * rng.standard_normal(D), "attn_beta": 0.1 * rng.standard_normal(D),
         "W_qkv": rng.standard_normal((D, 3 * D)) / np.sqrt(D), "b_qkv": 0.1 * rng.standard_normal(3 * D),
         "W_proj": rng.standard_normal((D, D)) / np.sqrt(D), "b_proj": 0.1 * rng.standard_normal(D),
         "mlp_gamma": 1 + 0.1 * rng.standard_normal(D), "mlp_beta": 0.1 * rng.standard_normal(D),
         "W_up": rng.standard_normal((D, M)) / np.sqrt(D), "b_up": 0.1 * rng.standard_normal(M),
         "W_down": rng.standard_normal((M, D)) / np.sqrt(M), "b_down": 0.1 * rng.standard_normal(D)}

def block_forward(x, *arrays):
    return layers.transformer_block_forward(x, dict(zip(TRANSFORMER_BLOCK_PARAMS, arrays)), heads)

def block_backward(dout, cache):
    dx, grads = layers.transformer_block_backward(dout, cache)
    return (dx, *(grads[k] for k in TRANSFORMER_BLOCK_PARAMS))

x = rng.standard_normal((2, 5, D))
errors = layer_gradient_errors(block_forward, block_backward,
                               [x, *(block[k] for k in TRANSFORMER_BLOCK_PARAMS)], rng=rng)
for name, error in zip(["x", *TRANSFORMER_BLOCK_PARAMS], errors):
    print(f"d{name:<11}{error:.1e}")
assert max(e for n, e in zip(["x", *TRANSFORMER_BLOCK_PARAMS], errors) if n != "b_qkv") < 1e-6
""")

md(r"""
## The model, and its gradients

`TransformerLM` chains a token embedding plus positions, `num_layers` blocks, a final layer norm
and an affine layer to the vocabulary, and predicts the next character at every position. Its
loss is the mean cross-entropy per character, as for notebook 05's `RecurrentNet`, so the Solver
trains both and reports perplexity. A gradient check of every parameter, in float64:
""")

code(r"""
small = TransformerLM(11, block_size=6, embed_dim=8, num_heads=2, num_layers=2, dtype=np.float64,
                      seed=0)
for name, value in small.params.items():          # GPT-2's std 0.02 is nearly linear: spread them
    if name.startswith(("W", "b")):
        small.params[name] = 0.5 * rng.standard_normal(value.shape)
X_check, y_check = rng.integers(11, size=(3, 6)), rng.integers(11, size=(3, 6))
errors = check_model_gradients(small, X_check, y_check, max_entries=20)
assert max(errors.values()) < 1e-6
""")

md(r"""
**Exercise (parameter count).** The race below compares models at an equal number of
parameters, so count them. Write `transformer_parameter_count` from the shapes alone, for learned
positions and an untied output layer: the token embedding ($V\times D$) and the positions
($T\times D$); per block two layer norms (a gain and a shift of $D$ each), $W_{qkv}$ and its bias,
$W_{proj}$ and its bias, and the MLP's two affine layers (width $M = $ `mlp_ratio` $\cdot D$);
then the final layer norm and the output layer ($D\times V$ and a bias). The feedback cell counts
the arrays of real models.
""")

code(r"""
# exercise: parameter_count
def transformer_parameter_count(vocab_size, block_size, embed_dim, num_layers, mlp_ratio=4):
    '''Trainable numbers of a TransformerLM with learned positions and untied output weights.'''
    ### BEGIN SOLUTION
    V, T, D, M = vocab_size, block_size, embed_dim, mlp_ratio * embed_dim
    embeddings = V * D + T * D
    attention = (D * 3 * D + 3 * D) + (D * D + D)
    mlp = (D * M + M) + (M * D + D)
    norms = 2 * (D + D)
    output = (D + D) + (D * V + V)                  # final layer norm, output layer
    return embeddings + num_layers * (attention + mlp + norms) + output
    ### END SOLUTION
""")

code(r"""
for V_c, T_c, D_c, L_c, H_c in [(11, 6, 8, 2, 2), (98, 128, 48, 3, 2), (65, 256, 128, 4, 8)]:
    counted = TransformerLM(V_c, block_size=T_c, embed_dim=D_c, num_heads=H_c, num_layers=L_c,
                            seed=0).num_parameters()
    feedback(f"parameters of V = {V_c}, T = {T_c}, D = {D_c}, {L_c} layers, {H_c} heads",
             transformer_parameter_count(V_c, T_c, D_c, L_c), counted, tolerance=0.5,
             hint="a block holds 12 D^2 + 13 D numbers with mlp_ratio 4: count each matrix and each bias")
""")

md(r"""
**Question 2.** Why does the count not depend on the number of heads? For the race's
Transformer ($V = 98$, $T = 128$, $D = 48$, three layers) which share of the parameters sits in
the blocks, and how does that share change as $D$ grows?
""")

md(r"""
**Your answer.**
<!-- BEGIN ANSWER -->
The heads are a reshape: $W_{qkv}$ maps $D$ features to $3D$ whatever way the $D$ are then cut
into heads, and $W_{proj}$ mixes the $D$ merged features back. A block holds
$4D^2 + 4D$ (attention) $+\; 8D^2 + 5D$ (MLP) $+\; 4D$ (norms) $= 12D^2 + 13D$ numbers: 28,272 at
$D = 48$, so the three blocks hold 84,816 of the model's 100,562, 84 %. The rest, the embedding,
positions and output layer, grows as $(2V + T)D$, linearly in $D$, while the blocks grow as $D^2$:
the wider the model, the larger the blocks' share (GPT-2 small: about 85 M of its 124 M
parameters are in the blocks, the rest mostly the 50,257-token embedding).
<!-- END ANSWER -->
""")

md(r"""
## Generating with a key/value cache

To generate, the model predicts a character, appends it and predicts again. Recomputing the whole
context for every new character repeats work: the keys and values of the earlier positions do not
change (a causal model never lets an old position see a new one). A **key/value cache** keeps
them, per layer; a new character computes its own query, key and value, appends the key and value
to the cache and attends over it, which costs one position of work instead of $T$.
""")

code(r"""
model = TransformerLM(98, block_size=128, embed_dim=64, num_heads=4, num_layers=2, seed=0)
prime, length = [1, 2, 3], pick(quick=40, full=120)
timings = {}
for use_cache in (True, False):
    start = time.perf_counter()
    ids = model.sample(prime, length, seed=0, use_cache=use_cache)
    timings[use_cache] = time.perf_counter() - start
    if use_cache:
        cached_ids = ids
assert np.array_equal(cached_ids, ids)            # the same characters, within one block
print(f"{length} characters: {timings[True]:.2f} s with the cache, {timings[False]:.2f} s "
      f"recomputing the context ({timings[False] / timings[True]:.1f}x)")
""")

md(r"""
**Question 3.** The cache makes each new character cost one position of work. What does it cost
in memory? Count the numbers a full cache holds for the race's Transformer ($D = 48$, three
layers, block 128) and for GPT-2 small (12 layers, $D = 768$, 1,024 positions) per sequence, and
compare with what the LSTM must keep to generate its next character.
""")

md(r"""
**Your answer.**
<!-- BEGIN ANSWER -->
A cache keeps a key and a value of $D$ numbers per position per layer: $2 \cdot L \cdot T \cdot D$
numbers per sequence. For the race's model that is $2 \cdot 3 \cdot 128 \cdot 48 = 36{,}864$
numbers, 144 KiB in float32, more than a third of the model's own 100,562 parameters. For GPT-2 small it is
$2 \cdot 12 \cdot 1024 \cdot 768 \approx 18.9$ M numbers, 75 MB per sequence in float32, and it
grows with every sequence served at once. The LSTM keeps only its state, $h$ and $c$ of 128
numbers each, whatever the length of the text: a recurrent model compresses the past into a fixed
state, the Transformer keeps all of it and looks it up. The cache buys the lookup's speed with
memory that grows linearly with the context.
<!-- END ANSWER -->
""")

md(r"""
## What attention costs as the context grows

Every query scores every key. A layer over $T$ positions computes $T^2$ scores per head (the
causal mask throws half of them away), keeps the $T\times T$ weights for the backward pass, and
so its time and memory grow as $T^2$, while its projections grow as $T$. An LSTM does the same
work at every step, so its cost grows as $T$; but its $T$ steps must run one after the other,
each a small matrix product, where attention is a few large ones. We measure one layer of each,
forward and backward in float32, at batch 8 and width 64 (four heads for attention, 64 hidden
units for the LSTM): the median time of several runs, and the peak memory numpy allocates during
one run (Python's `tracemalloc` sees every numpy array).
""")

code(r"""
def cost_of(step, repeats):
    '''(median seconds, peak bytes allocated) of step(): one forward and backward pass.'''
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(np.median(seconds)), peak

def attention_step(x, weights):
    out, cache = layers.multihead_attention_forward(x, x, *weights, 4, causal=True)
    layers.multihead_attention_backward(np.ones_like(out), cache)

def lstm_step(x, h0, Wx, Wh, b):
    h, cache = layers.lstm_forward(x, h0, Wx, Wh, b)
    layers.lstm_backward(np.ones_like(h), cache)

N_c, D_c = 8, 64
cost_rng = np.random.default_rng(8)
attn_weights = [(cost_rng.standard_normal(s) / np.sqrt(D_c)).astype(np.float32)
                for s in ((D_c, 3 * D_c), (3 * D_c,), (D_c, D_c), (D_c,))]
lstm_weights = [(cost_rng.standard_normal(s) / np.sqrt(D_c)).astype(np.float32)
                for s in ((N_c, D_c), (D_c, 4 * D_c), (D_c, 4 * D_c), (4 * D_c,))]
lengths = pick(quick=[32, 64, 128, 256], full=[32, 64, 128, 256, 512, 1024])
costs = {"attention": [], "LSTM": []}
for T_c in lengths:
    x_c = cost_rng.standard_normal((N_c, T_c, D_c)).astype(np.float32)
    repeats = 5 if T_c <= 256 else 3
    costs["attention"].append(cost_of(lambda: attention_step(x_c, attn_weights), repeats))
    costs["LSTM"].append(cost_of(lambda: lstm_step(x_c, *lstm_weights), repeats))
print("    T   attention ms   LSTM ms   attention MB   LSTM MB")
for k, T_c in enumerate(lengths):
    (ta, ma), (tl, ml) = costs["attention"][k], costs["LSTM"][k]
    print(f"{T_c:5} {1e3 * ta:14.2f} {1e3 * tl:9.2f} {ma / 2**20:14.2f} {ml / 2**20:9.2f}")

def growth(values):
    '''The exponent p of values ∝ T^p between the two longest contexts.'''
    return np.log(values[-1] / values[-2]) / np.log(lengths[-1] / lengths[-2])

exponents = {name: (growth([c[0] for c in runs]), growth([c[1] for c in runs]))
             for name, runs in costs.items()}
for name, (time_p, memory_p) in exponents.items():
    print(f"{name:<9} from T = {lengths[-2]} to {lengths[-1]}: time grows as T^{time_p:.2f}, "
          f"memory as T^{memory_p:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for (name, runs), style in zip(costs.items(), ["o-", "s--"]):
    axes[0].loglog(lengths, [1e3 * c[0] for c in runs], style, label=name)
    axes[1].loglog(lengths, [c[1] / 2**20 for c in runs], style, label=name)
for ax, k, unit in [(axes[0], 0, 1e3), (axes[1], 1, 2.0**-20)]:
    start = costs["attention"][0][k] * unit
    for power, style in [(1, ":"), (2, "-.")]:
        ax.loglog(lengths, [start * (T_c / lengths[0]) ** power for T_c in lengths], style,
                  color="grey", linewidth=1, label=f"$\\propto T^{power}$")
    ax.set_xlabel("context length $T$")
    ax.legend()
axes[0].set(ylabel="forward + backward (ms)", title="Time of one layer, batch 8, width 64")
axes[1].set(ylabel="peak memory allocated (MB)", title="Memory of one layer, batch 8, width 64")
fig.tight_layout();
assert exponents["attention"][1] > 1.5 and exponents["LSTM"][1] < 1.2
assert exponents["attention"][0] > exponents["LSTM"][0] + 0.3
""")

md(r"""
## A race against notebook 05's LSTM

Does the Transformer learn more from the same text in the same time? Both models read notebook
05's corpus and split, the Python source of the standard library with whole files held out for
validation, cut into 32 streams of 128-character chunks, and train with Adam and gradient
clipping at norm 5. They have nearly the same number of parameters: notebook 05's LSTM
(embeddings of 32, 128 hidden units) and a Transformer with $D = 48$, three layers and two heads.
Each gets the same **wall-clock budget** on this machine: `train_on_the_clock` steps a `Solver`
until the budget is spent, and stops the clock while it measures the validation bits per character,
on the same 256 validation chunks (32,768 characters; 64 in quick mode) at evenly spaced moments. The runs
alternate between the models, seed by seed, so a busy moment of the machine falls on both.

Learning rates: the LSTM keeps notebook 05's 0.01. For the Transformer, 0.003 was the best of
0.001, 0.003, 0.01 and 0.02 in 60-second trials on seed 0 before this notebook was written
(3.86, 3.75, 4.33 and 4.41 bits per character); two heads did better than four (3.96).

One difference is built into the models: the LSTM carries its state from chunk to chunk and so
has the whole stream behind it, while the Transformer sees only its own chunk, $t$ characters
of context at position $t$, 63.5 on average.
""")

code(r"""
corpus = load_stdlib_corpus(max_chars=pick(quick=400_000, full=1_500_000), val_fraction=0.1, seed=0)
vocab = Vocabulary.from_text(corpus["train"], min_count=5)
train_ids, val_ids = vocab.encode(corpus["train"]), vocab.encode(corpus["val"])
B, T = 32, 128
X_train, y_train = stream_chunks(train_ids, num_streams=B, seq_length=T)
X_val, y_val = stream_chunks(val_ids, num_streams=B, seq_length=T)
scored = pick(quick=64, full=256)                 # validation chunks scored during the race
race_data = {"X_train": X_train, "y_train": y_train, "X_val": X_val[:scored], "y_val": y_val[:scored]}
unigram_bits = np.log2(unigram_perplexity(train_ids, val_ids, len(vocab)))
print(f"{len(train_ids):,} training and {len(val_ids):,} validation characters; {vocab}")
print(f"baselines: uniform {np.log2(len(vocab)):.2f} bits per character, unigram {unigram_bits:.2f}")

def make_model(kind, seed):
    if kind == "LSTM":
        return RecurrentNet(len(vocab), wordvec_dim=32, hidden_dim=128, cell_type="lstm", seed=seed,
                            vocab=vocab)
    return TransformerLM(len(vocab), block_size=T, embed_dim=48, num_heads=2, num_layers=3,
                         seed=seed, vocab=vocab)

LEARNING_RATES = {"LSTM": 1e-2, "Transformer": 3e-3}
for kind in LEARNING_RATES:
    print(f"{kind:<12}{make_model(kind, 0).num_parameters():,} parameters")
""")

code(r"""
budget = pick(quick=3.0, full=BUDGET_FULL)       # seconds of training per run
seeds = pick(quick=(0, 1), full=(0, 1, 2))
race, racers, race_solvers = {kind: [] for kind in LEARNING_RATES}, {}, {}
for seed in seeds:
    for kind, learning_rate in LEARNING_RATES.items():
        model = make_model(kind, seed)
        solver = Solver(model, race_data, update_rule="adam",
                        optim_config={"learning_rate": learning_rate}, batch_size=B,
                        shuffle=False, grad_clip=5.0, verbose=False, seed=seed)
        history = train_on_the_clock(solver, budget, num_points=pick(quick=3, full=8))
        history["bits"] = np.log2(history["val"])
        race[kind].append(history)
        if seed == seeds[0]:
            racers[kind], race_solvers[kind] = model, solver       # seed 0's, used below
        print(f"seed {seed} {kind:<12}{history['steps'][-1]:5} steps "
              f"({1e3 * history['seconds'][-1] / history['steps'][-1]:.0f} ms each), "
              f"validation {history['bits'][-1]:.3f} bits per character")
""")

code(r"""
final_bits = {kind: [h["bits"][-1] for h in runs] for kind, runs in race.items()}
for kind, values in final_bits.items():
    print(f"{kind:<12} after {budget:.0f} s: {describe(values)} bits per character")
verdict = clearly_different(final_bits["LSTM"], final_bits["Transformer"])
winner = min(final_bits, key=lambda kind: np.mean(final_bits[kind]))
print(f"{winner} ahead, {'clearly different' if verdict else 'within the noise'}")

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for (kind, runs), style in zip(race.items(), ["o-", "s--"]):
    for ax, axis in zip(axes, ["seconds", "steps"]):
        xs, bits = np.mean([h[axis] for h in runs], axis=0), np.array([h["bits"] for h in runs])
        ax.plot(xs, bits.mean(axis=0), style, markersize=4, label=f"{kind} ({len(runs)} seeds)")
        ax.fill_between(xs, bits.min(axis=0), bits.max(axis=0), alpha=0.2)
for ax in axes:
    ax.axhline(unigram_bits, color="grey", linestyle=":", label="unigram")
    ax.set(ylabel="validation bits per character", ylim=(None, unigram_bits + 1.5))
    ax.legend()
axes[0].set(xlabel="training time (s)", title="Equal time: validation bits per character")
axes[1].set(xlabel="training steps (32 × 128 characters each)", title="The same runs, by steps")
fig.tight_layout();
""")

code(r"""
assert np.mean(final_bits["LSTM"]) < np.mean(final_bits["Transformer"])   # what this machine shows
if not QUICK:
    assert verdict and max(np.mean(v) for v in final_bits.values()) < unigram_bits
""")

md(r"""
### As the budget grows

The race stops after BUDGET_FULL seconds. Do the curves cross later? Seed 0's two models train on from where
they stopped, for EXTRA_FULL seconds more each (the same solvers, so Adam's moments and the LSTM's carried
state go on). From these longer runs we read how many seconds, and how many steps, each model
needs to first reach a given level of validation bits per character.
""")

code(r"""
extra = pick(quick=3.0, full=EXTRA_FULL)
long_runs = {}
for kind, solver in race_solvers.items():
    first = race[kind][0]
    more = train_on_the_clock(solver, extra, num_points=pick(quick=1, full=6))
    long_runs[kind] = {axis: np.concatenate([first[axis], first[axis][-1] + np.array(more[axis][1:])])
                       for axis in ("seconds", "steps")}
    long_runs[kind]["bits"] = np.concatenate([first["bits"], np.log2(more["val"][1:])])
    print(f"{kind:<12}after {long_runs[kind]['seconds'][-1]:.0f} s ({long_runs[kind]['steps'][-1]} "
          f"steps): {long_runs[kind]['bits'][-1]:.3f} bits per character")

def first_reaching(run, level, axis):
    '''When the run's best validation bits first reach `level` (interpolated), or None.'''
    best = np.minimum.accumulate(run["bits"])
    if best[-1] > level:
        return None
    return float(np.interp(level, best[::-1], np.asarray(run[axis], dtype=float)[::-1]))

top = max(run["bits"][-1] for run in long_runs.values())
levels = [level for level in (4.0, 3.8, 3.6, 3.4, 3.2, 3.0, 2.8, 2.6) if level >= top]
print("\n bits   LSTM s  steps   Transformer s  steps   steps ratio")
step_ratios = []
for level in levels:
    (ls, lt), (ts, tt) = [(first_reaching(long_runs[k], level, "seconds"),
                           first_reaching(long_runs[k], level, "steps")) for k in ("LSTM", "Transformer")]
    step_ratios.append(tt / lt)
    print(f"{level:5.1f} {ls:8.1f} {lt:6.0f} {ts:15.1f} {tt:6.0f} {tt / lt:11.1f}")

fig, ax = plt.subplots(figsize=(7, 4))
for (kind, run), style in zip(long_runs.items(), ["o-", "s--"]):
    ax.plot(run["seconds"], run["bits"], style, markersize=4, label=f"{kind} (seed 0)")
ax.axvline(budget, color="grey", linestyle="--", linewidth=1, label="the race's budget")
ax.axhline(unigram_bits, color="grey", linestyle=":", label="unigram")
ax.set(xlabel="training time (s)", ylabel="validation bits per character",
       ylim=(None, unigram_bits + 1.5), title="The same two models, trained on for longer")
ax.legend();
""")

md(r"""
## What the heads look at

Each head of each layer has its own attention weights, a $T\times T$ table per sequence.
`TransformerLM.attention_maps` returns them all. Below, seed 0's Transformer from the race reads a
line of validation code; each panel is one head, each row one query position (the character
being read) and each column one key position. Across all 256 validation chunks we also measure,
per head, the mean weight on the character itself, on the one before it, and on the last unclosed
opening bracket (for the characters that have one), and the mean distance looked back,
$\sum_j w_{ij}(i - j)$.
""")

code(r"""
transformer = racers["Transformer"]
val_text = corpus["val"]
start = next(i + 1 for i in range(len(val_text) - 60) if val_text[i] == "\n"
             and "(" in val_text[i + 1:i + 49] and ")" in val_text[i + 1:i + 49]
             and any(q in val_text[i + 1:i + 49] for q in "'\""))
snippet = val_text[start:start + 48]
print(repr(snippet))
maps = transformer.attention_maps(vocab.encode(snippet)[None])[:, 0]      # (layers, heads, T, T)

L_m, H_m = maps.shape[:2]
fig, axes = plt.subplots(L_m, H_m, figsize=(4.6 * H_m, 4.2 * L_m))
for l in range(L_m):
    for h in range(H_m):
        ax = axes[l, h]
        image = ax.imshow(maps[l, h], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(snippet)), [c if c.strip() else "·" for c in snippet], fontsize=6)
        ax.set_yticks(range(len(snippet)), [c if c.strip() else "·" for c in snippet], fontsize=6)
        ax.set(title=f"layer {l + 1}, head {h + 1}", xlabel="key (attended to)",
               ylabel="query (reading)")
fig.colorbar(image, ax=axes, shrink=0.6, label="attention weight");
""")

code(r"""
def last_open_bracket(ids_row, opening, closing):
    '''For each position, the position of the last unclosed opening bracket (-1 if none).'''
    stack, where = [], []
    for t, token in enumerate(ids_row):
        where.append(stack[-1] if stack else -1)   # before reading token t
        if token in opening:
            stack.append(t)
        elif token in closing and stack:
            stack.pop()
    return np.array(where)

opening = {vocab.encode(c)[0] for c in "([{" if c in vocab}
closing = {vocab.encode(c)[0] for c in ")]}" if c in vocab}
all_maps = np.concatenate([transformer.attention_maps(X_val[i:i + 32]) for i in range(0, 256, 32)],
                          axis=1)                                     # (layers, 256, heads, T, T)
positions = np.arange(T)
brackets = np.array([last_open_bracket(row, opening, closing) for row in X_val[:256]])   # (256, T)
has_bracket = brackets >= 0
head_stats = {}
for l in range(all_maps.shape[0]):
    for h in range(all_maps.shape[2]):
        w = all_maps[l, :, h]                                         # (256, T, T)
        itself = w[:, positions, positions].mean()
        previous = w[:, positions[1:], positions[1:] - 1].mean()
        distance = (w * (positions[:, None] - positions[None, :])).sum(axis=2).mean()
        chunk, query = np.nonzero(has_bracket)
        bracket = w[chunk, query, brackets[chunk, query]].mean()
        uniform = (1 / (query + 1)).mean()                            # a flat look at every key
        head_stats[(l + 1, h + 1)] = (itself, previous, bracket, uniform, distance)
print("layer head   itself  previous  open bracket (flat would give)  mean distance")
for (l, h), (itself, previous, bracket, uniform, distance) in head_stats.items():
    print(f"{l:5} {h:4} {itself:8.3f} {previous:9.3f} {bracket:13.3f} ({uniform:.3f}) {distance:17.1f}")
""")

md(r"""
## Samples

The race's Transformer (seed 0) writes Python after the prime `def `, through its key/value cache:
greedily-ish at a low temperature, from its own beliefs at $\tau = 1$, and at $\tau = 1$ among
the five most likely characters only (**top-k** sampling, which cuts off the long tail of
unlikely characters that makes $\tau = 1$ text stumble). The LSTM's sample at $\tau = 0.5$ is
there to compare.
""")

code(r"""
for temperature, top_k in [(0.5, None), (1.0, None), (1.0, 5)]:
    text = transformer.sample("def ", 240, temperature=temperature, top_k=top_k, seed=0)
    print(f"--- Transformer, temperature {temperature}" + (f", top {top_k}" if top_k else ""))
    print("def " + text)
print("--- LSTM, temperature 0.5")
print("def " + racers["LSTM"].sample("def ", 240, temperature=0.5, seed=0))
""")

md(r"""
## Summary

SUMMARY_PLACEHOLDER

## Further reading

* A. Vaswani et al., *Attention is all you need*, NeurIPS 2017: the Transformer, multi-head
  attention, sinusoidal positions.
* A. Radford et al., *Improving language understanding by generative pre-training*, 2018, and
  *Language models are unsupervised multitask learners*, 2019: the decoder-only GPT models, learned
  positions, and (GPT-2) pre-norm blocks with the scaled initialisation used here.
* J. L. Ba, J. R. Kiros and G. E. Hinton, *Layer normalization*, 2016; D. Hendrycks and K. Gimpel,
  *Gaussian error linear units (GELUs)*, 2016.
* R. Xiong et al., *On layer normalization in the Transformer architecture*, ICML 2020: why
  pre-norm trains without a warm-up where post-norm needs one.
* N. Elhage et al., *A mathematical framework for Transformer circuits*, 2021, and C. Olsson et al.,
  *In-context learning and induction heads*, 2022: the residual stream as a shared channel, and
  the heads small models learn first.
* T. Dao et al., *FlashAttention*, NeurIPS 2022: attention computed in tiles, without ever storing
  the $T\times T$ weights, so its memory grows as $T$.

Back to [the course map](00_start_here.ipynb); the attention layer itself is derived in
[notebook 07](07_seq2seq_attention.ipynb), the LSTM and the corpus in
[notebook 05](05_recurrent_nets.ipynb), layer norm in [notebook 03](03_normalization_and_dropout.ipynb).
""")

for cell in cells:
    cell.source = cell.source.replace("BUDGET_FULL", repr(BUDGET_FULL)).replace("EXTRA_FULL", repr(EXTRA_FULL))
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}})
nbformat.write(nb, "/work/wt08/notebooks/08_transformers.ipynb")
