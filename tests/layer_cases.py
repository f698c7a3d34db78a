"""Every layer of dlscratch.layers as one contract case: the table test_layer_contract.py runs.

A case is a forward/backward pair in the convention every layer keeps, forward(*inputs,
*settings) -> (out, cache) and backward(dout, cache) -> the gradients of the inputs in order, and
the inputs it is checked on. The few layers shaped otherwise are adapted here, once: the LSTM's
two states are stacked into one output, the masked recurrence's final state is appended to its
hidden states, and the embedding takes its weights first (its ids are a setting, not an input).
"""
from collections import namedtuple

import numpy as np

from dlscratch import layers as L
from dlscratch.layers.sandwiches import TRANSFORMER_BLOCK_PARAMS

# make(rng, dtype) -> (inputs, settings): settings() builds fresh setting objects (dicts that a
# layer may update, like batch norm's running averages) for every call.
# tol: the largest relative error of a float64 gradient against centred differences.
# bad_input: the input that gets a stray extra axis in the bad-shape test (None: the layer takes
# any shape). covers: the public functions the case runs (by default forward's and backward's).
Case = namedtuple("Case", "forward backward make tol bad_input covers",
                  defaults=(1e-7, 0, None))


def covered_names(case):
    """The public functions of dlscratch.layers that a case runs."""
    return case.covers or (case.forward.__name__, case.backward.__name__)


def randn(rng, *shape, dtype=np.float64, scale=1.0):
    """Standard normal samples of a shape, scaled, in a dtype."""
    return (scale * rng.standard_normal(shape)).astype(dtype)


def off_zero(a, margin=0.05):
    """Every entry pushed at least `margin` away from 0, so ReLU's kink is never crossed by ±h."""
    return (a + np.where(a >= 0, margin, -margin)).astype(a.dtype)


def bias_off_kinks(a, axis):
    """A bias b for the pre-activations a (b broadcast along `axis`) that keeps every entry of
    a + b at least 0.05 from ReLU's kink: each column's kink goes into its widest gap."""
    moved = np.moveaxis(a, axis, 0).reshape(a.shape[axis], -1)
    b = np.zeros(len(moved), dtype=a.dtype)
    for k, values in enumerate(moved):
        points = np.concatenate([[values.min() - 1], np.sort(values), [values.max() + 1]])
        gap = np.argmax(np.diff(points))
        b[k] = -(points[gap] + points[gap + 1]) / 2
    return b


def distinct(rng, shape, dtype, gap=0.01):
    """An array whose entries all differ by at least `gap`: max pooling has no ties, even at ±h."""
    values = gap * rng.permutation(int(np.prod(shape))) - gap * np.prod(shape) / 2
    return values.reshape(shape).astype(dtype)


def none():
    """No settings."""
    return ()


# ------------------------------------------------------------------------------------------------
# Adapters for the layers with more than one output
# ------------------------------------------------------------------------------------------------

def two_state(forward, backward):
    """forward -> (h, c, cache) and backward(dh, dc, cache) as one layer with out = stack(h, c)."""
    def stacked_forward(*args):
        h, c, cache = forward(*args)
        return np.stack([h, c]), cache

    def stacked_backward(dout, cache):
        return backward(dout[0], dout[1], cache)
    return stacked_forward, stacked_backward


def recurrence_with_final_state(states):
    """recurrence_forward with inputs x, the state's `states` arrays, Wx, Wh, b, as one layer
    whose out (N, T + states, H) is every hidden state followed by the final state."""
    def forward(x, *arrays_and_settings):
        state, (Wx, Wh, b, cell_type, mask) = (arrays_and_settings[:states],
                                                arrays_and_settings[states:])
        h, final, cache = L.recurrence_forward(x, tuple(state), Wx, Wh, b, cell_type, mask=mask)
        return np.concatenate([h, *(f[:, None] for f in final)], axis=1), cache

    def backward(dout, cache):
        T = cache.x_tm.shape[0]
        dfinal = tuple(dout[:, T + k] for k in range(states))
        dx, dstate, dWx, dWh, db = L.recurrence_backward(dout[:, :T], dfinal, cache)
        return (dx, *dstate, dWx, dWh, db)
    return forward, backward


def embedding_forward(W, ids):
    return L.word_embedding_forward(ids, W)


# ------------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------------

N, T, D, H = 3, 4, 5, 6
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def affine_inputs(rng, dtype):
    return [randn(rng, 3, 2, 2, dtype=dtype), randn(rng, 4, 5, dtype=dtype),
            randn(rng, 5, dtype=dtype)], none


def affine_relu_inputs(rng, dtype):
    x, w = randn(rng, 4, 2, 3, dtype=dtype), randn(rng, 6, 5, dtype=dtype)
    return [x, w, bias_off_kinks(x.reshape(4, -1) @ w, axis=1)], none


def norm_inputs(rng, dtype, shape=(6, 4), channels=4):
    gamma = randn(rng, channels, dtype=dtype, scale=0.3) + dtype(1)
    return [randn(rng, *shape, dtype=dtype, scale=2) + dtype(1), gamma,
            randn(rng, channels, dtype=dtype)]


def running_stats(channels, dtype):
    return {"mode": "test", "running_mean": np.linspace(-1, 1, channels).astype(dtype),
            "running_var": np.linspace(0.5, 2, channels).astype(dtype)}


def affine_norm_relu_inputs(norm):
    def make(rng, dtype):
        inputs = [randn(rng, 5, 2, 3, dtype=dtype), randn(rng, 6, 4, dtype=dtype),
                  randn(rng, 4, dtype=dtype), randn(rng, 4, dtype=dtype, scale=0.3) + dtype(1),
                  randn(rng, 4, dtype=dtype, scale=0.3)]
        return inputs, lambda: ({"mode": "train"} if norm == "batchnorm" else {}, norm)
    return make


CONV_PARAM = {"stride": 1, "pad": 1}
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}


def conv_inputs(rng, dtype):
    return [randn(rng, 2, 3, 5, 5, dtype=dtype), randn(rng, 4, 3, 3, 3, dtype=dtype),
            randn(rng, 4, dtype=dtype)], lambda: (dict(CONV_PARAM),)


def strided_conv_inputs(rng, dtype):
    """A non-square kernel, stride 2 and pad 1 on an input the stride does not tile."""
    return [randn(rng, 2, 2, 7, 6, dtype=dtype), randn(rng, 3, 2, 3, 2, dtype=dtype),
            randn(rng, 3, dtype=dtype)], lambda: ({"stride": 2, "pad": 1},)


def pool_inputs(rng, dtype):
    return [distinct(rng, (2, 3, 6, 6), dtype)], lambda: (dict(POOL_PARAM),)


def overlapping_pool_inputs(rng, dtype):
    return [distinct(rng, (2, 2, 7, 7), dtype)], \
        lambda: ({"pool_height": 3, "pool_width": 3, "stride": 2},)


def conv_relu_inputs(pool):
    def make(rng, dtype):
        x, w = randn(rng, 2, 3, 6, 6, dtype=dtype), randn(rng, 3, 3, 3, 3, dtype=dtype)
        a, _ = L.conv_forward(x, w, np.zeros(3, dtype=dtype), CONV_PARAM)
        settings = (CONV_PARAM, POOL_PARAM) if pool else (CONV_PARAM,)
        return [x, w, bias_off_kinks(a, axis=1)], lambda: tuple(dict(s) for s in settings)
    return make


def conv_norm_relu_inputs(norm, pool):
    def make(rng, dtype):
        r = np.random.default_rng(1)   # a seed whose normalised values stay clear of ReLU's kink
        inputs = [randn(r, 2, 2, 5, 5, dtype=dtype), randn(r, 4, 2, 3, 3, dtype=dtype),
                  randn(r, 4, dtype=dtype), randn(r, 4, dtype=dtype, scale=0.2) + dtype(1),
                  randn(r, 4, dtype=dtype, scale=0.2)]

        def settings():
            norm_param = {"mode": "train"} if norm == "batchnorm" else {"G": 2}
            return (dict(CONV_PARAM), norm_param, norm) + ((dict(POOL_PARAM),) if pool else ())
        return inputs, settings
    return make


def norm_settings(norm):
    """A fresh norm_param: batchnorm in train mode, or groupnorm with two groups."""
    return {"mode": "train"} if norm == "batchnorm" else {"G": 2}


def scale_shift(r, dtype, channels=4):
    """gamma near 1 and beta near 0 for `channels` channels."""
    return [randn(r, channels, dtype=dtype, scale=0.2) + dtype(1),
            randn(r, channels, dtype=dtype, scale=0.2)]


def conv_norm_add_relu_inputs(norm):
    def make(rng, dtype):
        r = np.random.default_rng(3)   # a seed whose sums stay clear of ReLU's kink
        inputs = [randn(r, 2, 2, 5, 5, dtype=dtype), randn(r, 2, 4, 5, 5, dtype=dtype),
                  randn(r, 4, 2, 3, 3, dtype=dtype), randn(r, 4, dtype=dtype),
                  *scale_shift(r, dtype)]
        return inputs, lambda: (dict(CONV_PARAM), norm_settings(norm), norm)
    return make


def residual_block_inputs(norm):
    def make(rng, dtype):
        r = np.random.default_rng(5)   # a seed whose activations stay clear of ReLU's kink
        conv = lambda: [randn(r, 4, 4, 3, 3, dtype=dtype), randn(r, 4, dtype=dtype),
                        *scale_shift(r, dtype)]
        inputs = [randn(r, 2, 4, 5, 5, dtype=dtype), *conv(), *conv()]
        return inputs, lambda: (dict(CONV_PARAM), norm_settings(norm), norm_settings(norm), norm)
    return make


def cell_inputs(cell):
    def make(rng, dtype):
        G = GATES[cell] * H
        inputs = [randn(rng, N, G, dtype=dtype), randn(rng, N, H, dtype=dtype)]
        if cell == "lstm":
            inputs.append(randn(rng, N, H, dtype=dtype))
        Wh = randn(rng, H, G, dtype=dtype, scale=0.5)
        return inputs, lambda: (Wh,)
    return make


def recurrent_inputs(cell, sequence, c0=False):
    def make(rng, dtype):
        G = GATES[cell] * H
        x = randn(rng, N, T, D, dtype=dtype) if sequence else randn(rng, N, D, dtype=dtype)
        state = [randn(rng, N, H, dtype=dtype)]
        if cell == "lstm" and not sequence:
            state.append(randn(rng, N, H, dtype=dtype))
        weights = [randn(rng, *shape, dtype=dtype, scale=0.5) for shape in ((D, G), (H, G), (G,))]
        initial_c = randn(rng, N, H, dtype=dtype)
        return [x, *state, *weights], (lambda: (initial_c,)) if c0 else none
    return make


def masked_recurrence_inputs(cell):
    def make(rng, dtype):
        G, states = GATES[cell] * H, 2 if cell == "lstm" else 1
        mask = np.ones((N, T), dtype=bool)
        mask[0, 2:], mask[2, 1:] = False, False
        inputs = [randn(rng, N, T, D, dtype=dtype),
                  *(randn(rng, N, H, dtype=dtype) for _ in range(states)),
                  *(randn(rng, *shape, dtype=dtype, scale=0.5) for shape in ((D, G), (H, G), (G,)))]
        return inputs, lambda: (cell, mask)
    return make


def embedding_inputs(rng, dtype):
    ids = np.array([[0, 3, 3, 1], [3, 0, 6, 3]])          # repeated ids must add up
    return [randn(rng, 7, 5, dtype=dtype)], lambda: (ids,)


def temporal_affine_inputs(rng, dtype):
    return [randn(rng, N, T, D, dtype=dtype), randn(rng, D, 7, dtype=dtype),
            randn(rng, 7, dtype=dtype)], none


def attention_inputs(masked):
    def make(rng, dtype):
        inputs = [randn(rng, 2, 3, 4, dtype=dtype), randn(rng, 2, 5, 4, dtype=dtype),
                  randn(rng, 2, 5, 6, dtype=dtype)]
        mask = np.array([[True, True, True, False, False], [True] * 5]) if masked else None
        return inputs, lambda: (mask,)
    return make


def causal_attention_inputs(masked):
    def make(rng, dtype):
        inputs = [randn(rng, 2, 4, 3, dtype=dtype), randn(rng, 2, 4, 3, dtype=dtype),
                  randn(rng, 2, 4, 5, dtype=dtype)]
        mask = np.array([[True, True, False, False], [True] * 4]) if masked else None
        return inputs, lambda: (mask, True)
    return make


def multihead_inputs(Tk, masked=False, causal=False, heads=2, D=6):
    """query (2, 4, D), key_value (2, Tk, D) and the four projection arrays."""
    def make(rng, dtype):
        scale = 1 / np.sqrt(D)
        inputs = [randn(rng, 2, 4, D, dtype=dtype), randn(rng, 2, Tk, D, dtype=dtype),
                  randn(rng, D, 3 * D, dtype=dtype, scale=scale), randn(rng, 3 * D, dtype=dtype),
                  randn(rng, D, D, dtype=dtype, scale=scale), randn(rng, D, dtype=dtype)]
        mask = None
        if masked:
            mask = np.ones((2, Tk), dtype=bool)
            mask[0, Tk // 2:] = False
        return inputs, lambda: (heads, mask, causal)
    return make


MLP_PARAMS = TRANSFORMER_BLOCK_PARAMS[6:]


def block_layer(forward_with_dict, backward_with_dict, keys):
    """A block forward(x, dict of arrays, ...) as a layer of x and the arrays named by keys."""
    def forward(x, *arrays_and_settings):
        arrays, settings = arrays_and_settings[:len(keys)], arrays_and_settings[len(keys):]
        return forward_with_dict(x, dict(zip(keys, arrays)), *settings)

    def backward(dout, cache):
        dx, grads = backward_with_dict(dout, cache)
        assert sorted(grads) == sorted(keys)
        return (dx, *(grads[k] for k in keys))
    return forward, backward


def block_inputs(keys, settings, D=6, M=10):
    """x (2, 4, D) and a Transformer block's arrays named by keys (gains near 1)."""
    shapes = {"attn_gamma": (D,), "attn_beta": (D,), "W_qkv": (D, 3 * D), "b_qkv": (3 * D,),
              "W_proj": (D, D), "b_proj": (D,), "mlp_gamma": (D,), "mlp_beta": (D,),
              "W_up": (D, M), "b_up": (M,), "W_down": (M, D), "b_down": (D,)}

    def make(rng, dtype):
        arrays = [randn(rng, *shapes[k], dtype=dtype, scale=0.5) + dtype(k.endswith("gamma"))
                  for k in keys]
        return [randn(rng, 2, 4, D, dtype=dtype), *arrays], lambda: settings
    return make


def block_dropout():
    return {"p": 0.8, "mode": "train", "seed": 3}


# ------------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------------

def _layers():
    cases = {
        "affine": Case(L.affine_forward, L.affine_backward, affine_inputs, bad_input=1),
        "relu": Case(L.relu_forward, L.relu_backward,
                     lambda rng, dtype: ([off_zero(randn(rng, 3, 4, 2, dtype=dtype))], none),
                     bad_input=None),
        "sigmoid": Case(L.sigmoid_forward, L.sigmoid_backward,
                        lambda rng, dtype: ([randn(rng, 3, 5, dtype=dtype, scale=3)], none),
                        bad_input=None),
        "tanh": Case(L.tanh_forward, L.tanh_backward,
                     lambda rng, dtype: ([randn(rng, 3, 5, dtype=dtype, scale=2)], none),
                     bad_input=None),
        "batchnorm_train": Case(L.batchnorm_forward, L.batchnorm_backward,
                                lambda rng, dtype: (norm_inputs(rng, dtype),
                                                    lambda: ({"mode": "train"},)), bad_input=1),
        "batchnorm_test": Case(L.batchnorm_forward, L.batchnorm_backward,
                               lambda rng, dtype: (norm_inputs(rng, dtype),
                                                   lambda: (running_stats(4, dtype),)),
                               bad_input=1),
        "batchnorm_alt_train": Case(L.batchnorm_forward, L.batchnorm_backward_alt,
                                    lambda rng, dtype: (norm_inputs(rng, dtype),
                                                        lambda: ({"mode": "train"},)),
                                    bad_input=1),
        "batchnorm_alt_test": Case(L.batchnorm_forward, L.batchnorm_backward_alt,
                                   lambda rng, dtype: (norm_inputs(rng, dtype),
                                                       lambda: (running_stats(4, dtype),)),
                                   bad_input=1),
        "layernorm": Case(L.layernorm_forward, L.layernorm_backward,
                          lambda rng, dtype: (norm_inputs(rng, dtype, (4, 6), 6), lambda: ({},)),
                          bad_input=1),
        "spatial_batchnorm_train": Case(
            L.spatial_batchnorm_forward, L.spatial_batchnorm_backward,
            lambda rng, dtype: (norm_inputs(rng, dtype, (2, 3, 4, 5), 3),
                                lambda: ({"mode": "train"},)), bad_input=1),
        "spatial_batchnorm_test": Case(
            L.spatial_batchnorm_forward, L.spatial_batchnorm_backward,
            lambda rng, dtype: (norm_inputs(rng, dtype, (2, 3, 4, 5), 3),
                                lambda: (running_stats(3, dtype),)), bad_input=1),
        "spatial_groupnorm": Case(
            L.spatial_groupnorm_forward, L.spatial_groupnorm_backward,
            lambda rng, dtype: (norm_inputs(rng, dtype, (2, 4, 3, 3), 4), lambda: (2, {})),
            bad_input=1),
        "dropout_train": Case(L.dropout_forward, L.dropout_backward,
                              lambda rng, dtype: ([randn(rng, 5, 6, dtype=dtype)],
                                                  lambda: ({"p": 0.6, "mode": "train",
                                                            "seed": 7},)), bad_input=None),
        "dropout_test": Case(L.dropout_forward, L.dropout_backward,
                             lambda rng, dtype: ([randn(rng, 5, 6, dtype=dtype)],
                                                 lambda: ({"p": 0.6, "mode": "test"},)),
                             bad_input=None),
        "word_embedding": Case(embedding_forward, L.word_embedding_backward, embedding_inputs,
                               covers=("word_embedding_forward", "word_embedding_backward")),
        "temporal_affine": Case(L.temporal_affine_forward, L.temporal_affine_backward,
                                temporal_affine_inputs, bad_input=1),
        "attention": Case(L.attention_forward, L.attention_backward, attention_inputs(False)),
        "attention_masked": Case(L.attention_forward, L.attention_backward,
                                 attention_inputs(True)),
        "attention_causal": Case(L.attention_forward, L.attention_backward,
                                 causal_attention_inputs(False)),
        "attention_causal_masked": Case(L.attention_forward, L.attention_backward,
                                        causal_attention_inputs(True)),
        "multihead_attention": Case(L.multihead_attention_forward,
                                    L.multihead_attention_backward, multihead_inputs(5)),
        "multihead_attention_masked": Case(L.multihead_attention_forward,
                                           L.multihead_attention_backward,
                                           multihead_inputs(5, masked=True)),
        "multihead_attention_causal": Case(L.multihead_attention_forward,
                                           L.multihead_attention_backward,
                                           multihead_inputs(4, masked=True, causal=True, heads=3)),
        "residual_mlp": Case(*block_layer(L.residual_mlp_forward, L.residual_mlp_backward,
                                          MLP_PARAMS),
                             block_inputs(MLP_PARAMS, (None,)), bad_input=0,
                             covers=("residual_mlp_forward", "residual_mlp_backward")),
        "transformer_block": Case(*block_layer(L.transformer_block_forward,
                                               L.transformer_block_backward,
                                               TRANSFORMER_BLOCK_PARAMS),
                                  block_inputs(TRANSFORMER_BLOCK_PARAMS, (2, True, None, None)),
                                  bad_input=0, covers=("transformer_block_forward",
                                                       "transformer_block_backward")),
        "transformer_block_dropout": Case(*block_layer(L.transformer_block_forward,
                                                       L.transformer_block_backward,
                                                       TRANSFORMER_BLOCK_PARAMS),
                                          block_inputs(TRANSFORMER_BLOCK_PARAMS,
                                                       (2, True, None, block_dropout())), 1e-5,
                                          bad_input=0, covers=("transformer_block_forward",
                                                               "transformer_block_backward")),
        "gelu": Case(L.gelu_forward, L.gelu_backward,
                     lambda rng, dtype: ([randn(rng, 3, 4, 5, dtype=dtype, scale=2)], none),
                     bad_input=None),
        "layernorm_sequences": Case(L.layernorm_forward, L.layernorm_backward,
                                    lambda rng, dtype: (norm_inputs(rng, dtype, (2, 3, 6), 6),
                                                        lambda: ({},)),
                                    bad_input=1),
        "affine_relu": Case(L.affine_relu_forward, L.affine_relu_backward, affine_relu_inputs,
                            bad_input=1),
        "conv_relu": Case(L.conv_relu_forward, L.conv_relu_backward, conv_relu_inputs(False),
                          bad_input=1),
        "conv_relu_pool": Case(L.conv_relu_pool_forward, L.conv_relu_pool_backward,
                               conv_relu_inputs(True), 1e-6, bad_input=1),
    }
    for kind in ("naive", "fast"):
        suffix = "_naive" if kind == "naive" else ""
        conv = (getattr(L, f"conv_forward{suffix}"), getattr(L, f"conv_backward{suffix}"))
        pool = (getattr(L, f"max_pool_forward{suffix}"), getattr(L, f"max_pool_backward{suffix}"))
        cases[f"conv_{kind}"] = Case(*conv, conv_inputs, bad_input=1)
        cases[f"conv_{kind}_strided"] = Case(*conv, strided_conv_inputs, bad_input=1)
        cases[f"max_pool_{kind}"] = Case(*pool, pool_inputs)
        cases[f"max_pool_{kind}_overlapping"] = Case(*pool, overlapping_pool_inputs)
    for norm in ("batchnorm", "layernorm"):
        cases[f"affine_{norm}_relu"] = Case(L.affine_norm_relu_forward,
                                            L.affine_norm_relu_backward,
                                            affine_norm_relu_inputs(norm), bad_input=1)
    for norm in ("batchnorm", "groupnorm"):
        cases[f"conv_{norm}_relu"] = Case(L.conv_norm_relu_forward, L.conv_norm_relu_backward,
                                          conv_norm_relu_inputs(norm, False), 1e-6, bad_input=1)
        cases[f"conv_{norm}_relu_pool"] = Case(L.conv_norm_relu_pool_forward,
                                               L.conv_norm_relu_pool_backward,
                                               conv_norm_relu_inputs(norm, True), 1e-6,
                                               bad_input=1)
        cases[f"conv_{norm}_add_relu"] = Case(L.conv_norm_add_relu_forward,
                                              L.conv_norm_add_relu_backward,
                                              conv_norm_add_relu_inputs(norm), 1e-6, bad_input=1)
        cases[f"residual_block_{norm}"] = Case(L.residual_block_forward,
                                               L.residual_block_backward,
                                               residual_block_inputs(norm), 1e-6, bad_input=1)
    # a few gradient entries of the sequences are ~1e-7, where the rounding of the centred
    # differences alone reaches relative errors of ~1e-6
    for cell in GATES:
        cell_names = (f"{cell}_cell_forward", f"{cell}_cell_backward")
        step_names = (f"{cell}_step_forward", f"{cell}_step_backward")
        cell_layer = (getattr(L, cell_names[0]), getattr(L, cell_names[1]))
        step_layer = (getattr(L, step_names[0]), getattr(L, step_names[1]))
        if cell == "lstm":
            cell_layer, step_layer = two_state(*cell_layer), two_state(*step_layer)
        cases[f"{cell}_cell"] = Case(*cell_layer, cell_inputs(cell), bad_input=None,
                                     covers=cell_names)
        cases[f"{cell}_step"] = Case(*step_layer, recurrent_inputs(cell, False), bad_input=-1,
                                     covers=step_names)
        cases[f"{cell}_sequence"] = Case(getattr(L, f"{cell}_forward"),
                                         getattr(L, f"{cell}_backward"),
                                         recurrent_inputs(cell, True), 1e-5, bad_input=-1)
        states = 2 if cell == "lstm" else 1
        cases[f"{cell}_masked_recurrence"] = Case(
            *recurrence_with_final_state(states), masked_recurrence_inputs(cell), 1e-5,
            bad_input=-1, covers=("recurrence_forward", "recurrence_backward"))
    cases["lstm_sequence_from_c0"] = Case(L.lstm_forward, L.lstm_backward,
                                          recurrent_inputs("lstm", True, c0=True), 1e-5,
                                          bad_input=-1)
    return cases


LAYERS = _layers()

# public functions of dlscratch.layers that are not a forward/backward pair, each with its own
# tests: the losses return (loss, dx); softmax, log_softmax, sigmoid and standardize are the
# building blocks the layers share; attention_weights reads a cache; causal_mask, split_heads,
# merge_heads and sinusoidal_positions make arrays (tests/test_transformer_layers.py);
# affine_relu_param_backward and conv_relu_param_backward give a sandwich's parameter gradients
# alone (tests/test_layers.py compares them with the whole backward's)
NOT_LAYERS = {"log_softmax", "softmax", "softmax_loss", "svm_loss", "temporal_softmax_loss",
              "sigmoid", "standardize", "standardize_backward", "attention_weights",
              "causal_mask", "split_heads", "merge_heads", "sinusoidal_positions",
              "affine_relu_param_backward", "conv_relu_param_backward"}
