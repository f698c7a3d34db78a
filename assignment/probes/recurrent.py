"""Probes of the recurrent layers (RNN, LSTM, GRU, word embedding, temporal loss) and attention."""
import numpy as np

from . import named, probe, randn, untouched

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


# ------------------------------------------------------------------------------------------------
# Helpers (they run in the worker; dlscratch is imported only when a case runs)
# ------------------------------------------------------------------------------------------------

def _layer(name):
    """The function `name` of dlscratch.layers."""
    from dlscratch import layers
    return getattr(layers, name)


def _recurrent_arrays(rng, cell, N, T, D, H, dtype=np.float64, sequence=True):
    """x ((N, T, D) or (N, D)), h0 (N, H), Wx, Wh, b (weights scaled by 1/2) for a cell type."""
    G = GATES[cell] * H
    x = randn(rng, N, T, D, dtype=dtype) if sequence else randn(rng, N, D, dtype=dtype)
    h0 = randn(rng, N, H, dtype=dtype)
    Wx, Wh, b = (0.5 * randn(rng, *shape, dtype=dtype) for shape in ((D, G), (H, G), (G,)))
    return x, h0, Wx, Wh, b


def _step_run(rng, cell, N, D, H, dtype=np.float64, prefix=""):
    """next_h and the gradients dx, dprev_h, dWx, dWh, db of one rnn or gru step."""
    x, prev_h, Wx, Wh, b = _recurrent_arrays(rng, cell, N, 1, D, H, dtype, sequence=False)
    next_h, cache = _layer(f"{cell}_step_forward")(x, prev_h, Wx, Wh, b)
    grads = _layer(f"{cell}_step_backward")(randn(rng, N, H, dtype=dtype), cache)
    names = ("next_h", "dx", "dprev_h", "dWx", "dWh", "db")
    return {f"{prefix}{k}": v for k, v in zip(names, (next_h, *grads))}


def _sequence_run(rng, cell, N, T, D, H, dtype=np.float64, prefix=""):
    """h and the gradients dx, dh0, dWx, dWh, db of an rnn or gru over a sequence."""
    x, h0, Wx, Wh, b = _recurrent_arrays(rng, cell, N, T, D, H, dtype)
    h, cache = _layer(f"{cell}_forward")(x, h0, Wx, Wh, b)
    grads = _layer(f"{cell}_backward")(randn(rng, N, T, H, dtype=dtype), cache)
    names = ("h", "dx", "dh0", "dWx", "dWh", "db")
    return {f"{prefix}{k}": v for k, v in zip(names, (h, *grads))}


def _recurrent_untouched(rng, cell):
    """Whether a step or a sequence, forward and backward, modified any input or dout."""
    outputs = {}
    for sequence in (False, True):
        x, h0, Wx, Wh, b = _recurrent_arrays(rng, cell, 3, 4, 5, 6, sequence=sequence)
        arrays = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b,
                  "dout": randn(rng, 3, 4, 6) if sequence else randn(rng, 3, 6)}
        before = {key: a.copy() for key, a in arrays.items()}
        kind = "" if sequence else "_step"
        out, cache = _layer(f"{cell}{kind}_forward")(x, h0, Wx, Wh, b)
        outputs.update(named(f"{'sequence' if sequence else 'step'}", out,
                             _layer(f"{cell}{kind}_backward")(arrays["dout"], cache)))
        for key, a in arrays.items():
            outputs.update(untouched(f"{'sequence' if sequence else 'step'}_{key}", before[key], a))
    return outputs


def _lstm_step_run(rng, N, D, H, dtype=np.float64, prefix=""):
    """next_h, next_c and the gradients of one LSTM step from a random prev_c."""
    x, prev_h, Wx, Wh, b = _recurrent_arrays(rng, "lstm", N, 1, D, H, dtype, sequence=False)
    prev_c = randn(rng, N, H, dtype=dtype)
    next_h, next_c, cache = _layer("lstm_step_forward")(x, prev_h, prev_c, Wx, Wh, b)
    grads = _layer("lstm_step_backward")(randn(rng, N, H, dtype=dtype),
                                         randn(rng, N, H, dtype=dtype), cache)
    names = ("next_h", "next_c", "dx", "dprev_h", "dprev_c", "dWx", "dWh", "db")
    return {f"{prefix}{k}": v for k, v in zip(names, (next_h, next_c, *grads))}


def _lstm_sequence_run(rng, N, T, D, H, dtype=np.float64, with_c0=False, prefix=""):
    """h, every cell state (the cache's c) and the gradients of an LSTM over a sequence."""
    x, h0, Wx, Wh, b = _recurrent_arrays(rng, "lstm", N, T, D, H, dtype)
    if with_c0:
        h, cache = _layer("lstm_forward")(x, h0, Wx, Wh, b, c0=randn(rng, N, H, dtype=dtype))
    else:
        h, cache = _layer("lstm_forward")(x, h0, Wx, Wh, b)
    grads = _layer("lstm_backward")(randn(rng, N, T, H, dtype=dtype), cache)
    names = ("h", "c", "dx", "dh0", "dWx", "dWh", "db")
    return {f"{prefix}{k}": v for k, v in zip(names, (h, cache.c, *grads))}


def _masked_recurrence_run(rng, cell, N=3, T=5, D=4, H=3):
    """recurrence_forward over a padded batch, and its backward from a final-state gradient:
    h, the final state, dx, the initial state's gradient, dWx, dWh, db."""
    x, h0, Wx, Wh, b = _recurrent_arrays(rng, cell, N, T, D, H)
    state = (h0, randn(rng, N, H)) if cell == "lstm" else (h0,)
    mask = np.ones((N, T), dtype=bool)
    mask[0, 3:], mask[1, 1:] = False, False               # rows 0 and 1 are padded
    h, final, cache = _layer("recurrence_forward")(x, state, Wx, Wh, b, cell, mask=mask)
    dfinal = tuple(randn(rng, N, H) for _ in state)
    dx, dstate, dWx, dWh, db = _layer("recurrence_backward")(randn(rng, N, T, H), dfinal, cache)
    out = {"h": h, "dx": dx, "dWx": dWx, "dWh": dWh, "db": db}
    out.update({f"final_{k}": f for k, f in enumerate(final)})
    out.update({f"dstate_{k}": d for k, d in enumerate(dstate)})
    return out


def _masked_recurrence_probe(cell):
    """The probe of the masked recurrence with one cell type."""
    def masked_recurrence(rng):
        return _masked_recurrence_run(rng, cell)
    masked_recurrence.__name__ = f"{cell}_masked_recurrence_float64"
    masked_recurrence.__doc__ = (f"recurrence_forward/backward with a {cell} cell on a padded batch "
                                 "(a state held at padding, a final-state gradient): every output")
    probe(cell)(masked_recurrence)


# ------------------------------------------------------------------------------------------------
# rnn (and the temporal affine layer, which runs the same input projection)
# ------------------------------------------------------------------------------------------------

def _cell_probes(cell, title):
    """The step, sequence, edge-size and float32 cases of a vanilla RNN or GRU cell."""
    def step(rng):
        return _step_run(rng, cell, 3, 5, 6)

    def sequence(rng):
        return _sequence_run(rng, cell, 3, 4, 5, 6)

    def single_example_and_single_step(rng):
        return {**_sequence_run(rng, cell, 1, 7, 2, 3, prefix="long_"),
                **_sequence_run(rng, cell, 4, 1, 3, 2, prefix="short_")}

    def float32_keeps_dtype(rng):
        return {**_step_run(rng, cell, 3, 5, 6, dtype=np.float32, prefix="step_"),
                **_sequence_run(rng, cell, 3, 4, 5, 6, dtype=np.float32, prefix="seq_")}
    for run, name, doc in (
            (step, "step_forward_backward_float64", "One {} step: next_h, dx, dprev_h, dWx, dWh, db."),
            (sequence, "sequence_forward_backward_float64",
             "A {} over a sequence (N 3, T 4, D 5, H 6): h, dx, dh0, dWx, dWh, db."),
            (single_example_and_single_step, "sequence_single_example_and_single_step_float64",
             "{} sequences with N 1, T 7 and with N 4, T 1: h and every gradient."),
            (float32_keeps_dtype, "float32_keeps_dtype",
             "{} step and sequence in float32: outputs and gradients stay float32.")):
        run.__name__, run.__doc__ = f"{cell}_{name}", doc.format(title)
        probe(cell)(run)


_cell_probes("rnn", "vanilla RNN")
for _cell in GATES:
    _masked_recurrence_probe(_cell)


@probe("rnn")
def temporal_affine_float64_and_float32(rng):
    """Temporal affine layer: out, dx, dw, db in float64 and in float32."""
    outputs = {}
    for dtype in (np.float64, np.float32):
        x, w, b = (randn(rng, *shape, dtype=dtype) for shape in ((3, 4, 5), (5, 7), (7,)))
        out, cache = _layer("temporal_affine_forward")(x, w, b)
        dx, dw, db = _layer("temporal_affine_backward")(randn(rng, 3, 4, 7, dtype=dtype), cache)
        name = np.dtype(dtype).name
        outputs.update({f"{name}_out": out, f"{name}_dx": dx, f"{name}_dw": dw, f"{name}_db": db})
    return outputs


@probe("rnn")
def rnn_does_not_modify_inputs(rng):
    """Vanilla RNN step and sequence, forward and backward, leave every input and dout unchanged."""
    outputs = _recurrent_untouched(rng, "rnn")
    x, w, b, dout = randn(rng, 3, 4, 5), randn(rng, 5, 7), randn(rng, 7), randn(rng, 3, 4, 7)
    before = [a.copy() for a in (x, w, b, dout)]
    out, cache = _layer("temporal_affine_forward")(x, w, b)
    outputs.update(named("affine", out, _layer("temporal_affine_backward")(dout, cache)))
    for name, copy, a in zip(("x", "w", "b", "dout"), before, (x, w, b, dout)):
        outputs.update(untouched(f"affine_{name}", copy, a))
    return outputs


# ------------------------------------------------------------------------------------------------
# lstm
# ------------------------------------------------------------------------------------------------

@probe("lstm")
def lstm_step_forward_backward_float64(rng):
    """One LSTM step from a random prev_c: next_h, next_c, dx, dprev_h, dprev_c, dWx, dWh, db."""
    return _lstm_step_run(rng, 3, 5, 6)


@probe("lstm")
def lstm_sequence_forward_backward_float64(rng):
    """An LSTM over a sequence from c0 = 0: h, every cell state, dx, dh0, dWx, dWh, db."""
    return _lstm_sequence_run(rng, 3, 4, 5, 6)


@probe("lstm")
def lstm_sequence_with_an_initial_cell_state_float64(rng):
    """An LSTM over a sequence from a given c0 (N 2, T 6, H 3): h, cell states, gradients."""
    return _lstm_sequence_run(rng, 2, 6, 4, 3, with_c0=True)


@probe("lstm")
def lstm_float32_keeps_dtype(rng):
    """LSTM step and sequence (with c0) in float32: outputs, cell states, gradients float32."""
    return {**_lstm_step_run(rng, 3, 5, 6, dtype=np.float32, prefix="step_"),
            **_lstm_sequence_run(rng, 3, 4, 5, 6, dtype=np.float32, with_c0=True, prefix="seq_")}


@probe("lstm")
def lstm_does_not_modify_inputs(rng):
    """LSTM step and sequence (with c0), forward and backward, leave every input unchanged."""
    outputs = {}
    x, prev_h, Wx, Wh, b = _recurrent_arrays(rng, "lstm", 3, 1, 5, 6, sequence=False)
    arrays = {"x": x, "prev_h": prev_h, "prev_c": randn(rng, 3, 6), "Wx": Wx, "Wh": Wh, "b": b,
              "dnext_h": randn(rng, 3, 6), "dnext_c": randn(rng, 3, 6)}
    before = {key: a.copy() for key, a in arrays.items()}
    next_h, next_c, cache = _layer("lstm_step_forward")(x, prev_h, arrays["prev_c"], Wx, Wh, b)
    outputs.update(named("step", next_h, _layer("lstm_step_backward")(arrays["dnext_h"],
                                                                      arrays["dnext_c"], cache)))
    outputs["step_next_c"] = next_c
    for key, a in arrays.items():
        outputs.update(untouched(f"step_{key}", before[key], a))
    x, h0, Wx, Wh, b = _recurrent_arrays(rng, "lstm", 3, 4, 5, 6)
    arrays = {"x": x, "h0": h0, "c0": randn(rng, 3, 6), "Wx": Wx, "Wh": Wh, "b": b,
              "dout": randn(rng, 3, 4, 6)}
    before = {key: a.copy() for key, a in arrays.items()}
    out, cache = _layer("lstm_forward")(x, h0, Wx, Wh, b, c0=arrays["c0"])
    outputs.update(named("sequence", out, _layer("lstm_backward")(arrays["dout"], cache)))
    for key, a in arrays.items():
        outputs.update(untouched(f"sequence_{key}", before[key], a))
    return outputs


# ------------------------------------------------------------------------------------------------
# gru
# ------------------------------------------------------------------------------------------------

_cell_probes("gru", "GRU")


@probe("gru")
def gru_does_not_modify_inputs(rng):
    """GRU step and sequence, forward and backward, leave every input and dout unchanged."""
    return _recurrent_untouched(rng, "gru")


# ------------------------------------------------------------------------------------------------
# word_embedding
# ------------------------------------------------------------------------------------------------

def _embedding_run(rng, x, V, D, dtype=np.float64, prefix=""):
    """out and dW of a word embedding of the ids x for a random dout."""
    W = randn(rng, V, D, dtype=dtype)
    out, cache = _layer("word_embedding_forward")(x, W)
    dW = _layer("word_embedding_backward")(randn(rng, *x.shape, D, dtype=dtype), cache)
    return {f"{prefix}out": out, f"{prefix}dW": dW}


@probe("word_embedding")
def word_embedding_repeated_ids_float64(rng):
    """Word embedding of 12 ids from 5 of 8 words (repeats, unused rows): out and dW."""
    return _embedding_run(rng, rng.integers(0, 5, size=(3, 4)), 8, 5)


@probe("word_embedding")
def word_embedding_fixed_ids_and_int32_ids(rng):
    """Word embedding of fixed ids (id 3 four times, the last id) and of int32 ids: out and dW."""
    fixed = _embedding_run(rng, np.array([[0, 3, 3, 1], [3, 0, 6, 3]]), 7, 4, prefix="fixed_")
    small = _embedding_run(rng, rng.integers(0, 3, size=(2, 5)).astype(np.int32), 3, 2,
                           prefix="int32_")
    return {**fixed, **small}


@probe("word_embedding")
def word_embedding_float32_keeps_dtype(rng):
    """Word embedding with a float32 W: out and dW stay float32."""
    return _embedding_run(rng, rng.integers(0, 6, size=(2, 5)), 6, 3, dtype=np.float32)


@probe("word_embedding")
def word_embedding_does_not_modify_inputs(rng):
    """Word embedding forward and backward leave the ids, W and dout unchanged."""
    x, W, dout = rng.integers(0, 4, size=(3, 4)), randn(rng, 5, 3), randn(rng, 3, 4, 3)
    before = [a.copy() for a in (x, W, dout)]
    out, cache = _layer("word_embedding_forward")(x, W)
    results = named("embedding", out, _layer("word_embedding_backward")(dout, cache))
    return {**results, **{key: value for name, copy, a in zip(("x", "W", "dout"), before, (x, W, dout))
                          for key, value in untouched(name, copy, a).items()}}


# ------------------------------------------------------------------------------------------------
# temporal_loss
# ------------------------------------------------------------------------------------------------

def _loss_inputs(rng, N, T, V, dtype=np.float64):
    """Scores x (N, T, V), targets y and a mask with at least one True per sequence."""
    x = randn(rng, N, T, V, dtype=dtype)
    y = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) > 0.4
    mask[np.arange(N), rng.integers(0, T, size=N)] = True
    return x, y, mask


@probe("temporal_loss")
def temporal_loss_with_a_mask_float64(rng):
    """Temporal softmax loss with a random mask: loss (summed over time, mean over N) and dx."""
    x, y, mask = _loss_inputs(rng, 3, 5, 7)
    loss, dx = _layer("temporal_softmax_loss")(x, y, mask)
    return {"loss": loss, "dx": dx}


@probe("temporal_loss")
def temporal_loss_without_a_mask_float64(rng):
    """Temporal softmax loss with mask None (every step counts) and an all-True mask."""
    x, y, _ = _loss_inputs(rng, 4, 3, 6)
    loss, dx = _layer("temporal_softmax_loss")(x, y)
    all_true, dx_all_true = _layer("temporal_softmax_loss")(x, y, np.ones((4, 3), dtype=bool))
    return {"loss": loss, "dx": dx, "all_true_loss": all_true, "all_true_dx": dx_all_true}


@probe("temporal_loss")
def temporal_loss_of_equal_scores_and_a_single_step(rng):
    """Temporal softmax loss of all-zero scores (T log V), and of sequences of one step (T 1)."""
    _, y, _ = _loss_inputs(rng, 3, 4, 7)
    every_step = np.ones((3, 4), dtype=bool)
    zero, dzero = _layer("temporal_softmax_loss")(np.zeros((3, 4, 7)), y, every_step)
    x, y, mask = _loss_inputs(rng, 4, 1, 5)
    one, done = _layer("temporal_softmax_loss")(x, y, mask)
    return {"zero_loss": zero, "zero_dx": dzero, "one_step_loss": one, "one_step_dx": done}


@probe("temporal_loss")
def temporal_loss_mask_leaves_steps_out(rng):
    """Temporal softmax loss where masked steps hold huge scores (they must not count, dx 0 there),
    and an all-False mask (loss 0, dx 0)."""
    x, y, mask = _loss_inputs(rng, 3, 5, 7)
    x[~mask] = 100.0
    loss, dx = _layer("temporal_softmax_loss")(x, y, mask)
    none, dnone = _layer("temporal_softmax_loss")(x, y, np.zeros_like(mask))
    return {"loss": loss, "dx": dx, "none_loss": none, "none_dx": dnone}


@probe("temporal_loss")
def temporal_loss_float32_keeps_dtype(rng):
    """Temporal softmax loss of float32 scores: dx stays float32 (the loss, a float, is judged
    in float32 precision)."""
    x, y, mask = _loss_inputs(rng, 3, 5, 7, dtype=np.float32)
    loss, dx = _layer("temporal_softmax_loss")(x, y, mask)
    return {"loss": np.float32(loss), "dx": dx}


@probe("temporal_loss")
def temporal_loss_does_not_modify_inputs(rng):
    """Temporal softmax loss leaves x, y and the mask unchanged."""
    x, y, mask = _loss_inputs(rng, 3, 5, 7)
    before = [a.copy() for a in (x, y, mask)]
    loss, dx = _layer("temporal_softmax_loss")(x, y, mask)
    return {"loss": np.asarray(loss), "dx": dx,
            **{key: value for name, copy, a in zip(("x", "y", "mask"), before, (x, y, mask))
               for key, value in untouched(name, copy, a).items()}}


# ------------------------------------------------------------------------------------------------
# attention
# ------------------------------------------------------------------------------------------------

def _qkv(rng, N, Tq, Tk, D, Dv, dtype=np.float64):
    return (randn(rng, N, Tq, D, dtype=dtype), randn(rng, N, Tk, D, dtype=dtype),
            randn(rng, N, Tk, Dv, dtype=dtype))


def _padding_mask(rng, N, Tk):
    """A random (N, Tk) mask: sequence 0 has one key only, the last one every key, the others
    padded ends; every sequence may attend at least one key."""
    lengths = rng.integers(1, Tk + 1, size=N)
    lengths[-1] = Tk
    mask = np.arange(Tk)[None, :] < lengths[:, None]
    mask[0] = False
    mask[0, rng.integers(0, Tk)] = True
    return mask


def _attention_run(rng, q, k, v, mask, prefix=""):
    """out, weights and dq, dk, dv of an attention for a random dout."""
    from dlscratch import layers
    out, cache = layers.attention_forward(q, k, v, mask)
    dout = randn(rng, q.shape[0], q.shape[1], v.shape[2], dtype=q.dtype)
    dq, dk, dv = layers.attention_backward(dout, cache)
    return {f"{prefix}out": out, f"{prefix}weights": layers.attention_weights(cache),
            f"{prefix}dq": dq, f"{prefix}dk": dk, f"{prefix}dv": dv}


@probe("attention")
def attention_without_a_mask_float64(rng):
    """Attention (N 3, Tq 4, Tk 5, D 6, Dv 7), mask None: out, weights, dq, dk, dv."""
    return _attention_run(rng, *_qkv(rng, 3, 4, 5, 6, 7), None)


@probe("attention")
def attention_with_a_padding_mask_float64(rng):
    """Attention with a padding mask (one sequence with a single key): out, weights, gradients."""
    return _attention_run(rng, *_qkv(rng, 4, 3, 6, 5, 2), _padding_mask(rng, 4, 6))


@probe("attention")
def attention_masked_keys_and_large_scores(rng):
    """Attention with huge keys and values at masked positions; with scores of size ~1000."""
    q, k, v = _qkv(rng, 3, 4, 5, 6, 3)
    mask = _padding_mask(rng, 3, 5)
    k_huge, v_huge = k.copy(), v.copy()
    k_huge[~mask], v_huge[~mask] = 100.0, -50.0
    return {**_attention_run(rng, q, k_huge, v_huge, mask, prefix="masked_"),
            **_attention_run(rng, 1000 * q, k, v, mask, prefix="large_")}


@probe("attention")
def attention_all_true_mask_and_one_query(rng):
    """Attention with an all-True mask, and with a single query per sequence (Tq 1)."""
    return {**_attention_run(rng, *_qkv(rng, 2, 3, 4, 5, 3), np.ones((2, 4), dtype=bool),
                             prefix="all_true_"),
            **_attention_run(rng, *_qkv(rng, 3, 1, 4, 2, 5), _padding_mask(rng, 3, 4),
                             prefix="one_query_")}


@probe("attention")
def attention_float32_keeps_dtype(rng):
    """Attention in float32 with a padding mask: out, weights and gradients stay float32."""
    return _attention_run(rng, *_qkv(rng, 3, 4, 5, 6, 7, dtype=np.float32),
                          _padding_mask(rng, 3, 5))


@probe("attention")
def attention_does_not_modify_inputs(rng):
    """Attention forward and backward leave q, k, v, the mask and dout unchanged."""
    from dlscratch import layers
    q, k, v = _qkv(rng, 3, 4, 5, 6, 7)
    arrays = {"q": q, "k": k, "v": v, "mask": _padding_mask(rng, 3, 5), "dout": randn(rng, 3, 4, 7)}
    before = {key: a.copy() for key, a in arrays.items()}
    out, cache = layers.attention_forward(q, k, v, arrays["mask"])
    results = named("attention", out, layers.attention_backward(arrays["dout"], cache))
    return {**results, **{key: value for name, a in arrays.items()
                          for key, value in untouched(name, before[name], a).items()}}
