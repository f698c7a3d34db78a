"""Probes of the Transformer's exercises (notebook 08): the causal mask, the heads' split and
merge, the block's backward pass and the key/value cache."""
import numpy as np

from . import probe, randn, untouched


def _layers():
    from dlscratch import layers
    return layers


def _block_params():
    from dlscratch.layers.sandwiches import TRANSFORMER_BLOCK_PARAMS
    return TRANSFORMER_BLOCK_PARAMS


def _projections(rng, D, dtype=np.float64):
    """W_qkv, b_qkv, W_out, b_out for multi-head attention of width D."""
    return [(randn(rng, *shape) / np.sqrt(D)).astype(dtype)
            for shape in ((D, 3 * D), (3 * D,), (D, D), (D,))]


def _block(rng, D, M, dtype=np.float64):
    """A Transformer block's arrays by name, gains near 1."""
    shapes = {"attn_gamma": (D,), "attn_beta": (D,), "W_qkv": (D, 3 * D), "b_qkv": (3 * D,),
              "W_proj": (D, D), "b_proj": (D,), "mlp_gamma": (D,), "mlp_beta": (D,),
              "W_up": (D, M), "b_up": (M,), "W_down": (M, D), "b_down": (D,)}
    return {k: (0.5 * randn(rng, *shapes[k]) + k.endswith("gamma")).astype(dtype)
            for k in _block_params()}


# --- causal_mask --------------------------------------------------------------------------------

@probe("causal_mask")
def causal_masks_of_several_lengths(rng):
    """causal_mask(T) for T = 1, 2, 5, 9 (as 0/1 integers)."""
    L = _layers()
    return {f"mask_{T}": L.causal_mask(T).astype(np.int64) for T in (1, 2, 5, 9)}


@probe("causal_mask")
def causal_attention_forward_and_backward(rng):
    """attention_forward(..., causal=True) on (3, 6, 4) with and without a padding mask at the end."""
    L = _layers()
    q, k, v = (randn(rng, 3, 6, 4) for _ in range(3))
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = False
    out = {}
    for name, m in (("causal_", None), ("causal_padded_", mask)):
        o, cache = L.attention_forward(q, k, v, m, causal=True)
        grads = L.attention_backward(randn(rng, *o.shape), cache)
        out.update({f"{name}out": o, f"{name}weights": L.attention_weights(cache),
                    **{f"{name}d{i}": g for i, g in enumerate(grads)}})
    return out


# --- heads --------------------------------------------------------------------------------------

@probe("heads")
def split_and_merge_heads(rng):
    """split_heads of (2, 3, 8) into 4 heads; merge_heads of (6, 5, 2) into 3 heads."""
    L = _layers()
    x, y = randn(rng, 2, 3, 8), randn(rng, 6, 5, 2)
    before = x.copy()
    return {"split": L.split_heads(x, 4), "merge": L.merge_heads(y, 3),
            "round_trip": L.merge_heads(L.split_heads(x, 2), 2), **untouched("x", before, x)}


def _multihead(rng, query, key_value, heads, mask=None, causal=False, prefix=""):
    L = _layers()
    weights = _projections(rng, query.shape[2], query.dtype)
    out, cache = L.multihead_attention_forward(query, key_value, *weights, heads, mask=mask,
                                               causal=causal)
    grads = L.multihead_attention_backward(randn(rng, *out.shape, dtype=out.dtype), cache)
    names = ("dquery", "dkey_value", "dW_qkv", "db_qkv", "dW_out", "db_out")
    return {f"{prefix}out": out, f"{prefix}weights": cache.weights,
            **{f"{prefix}{n}": g for n, g in zip(names, grads)}}


@probe("heads")
def multihead_self_attention_causal(rng):
    """Causal multi-head self-attention, (2, 5, 6) with 3 heads: out, weights, every gradient."""
    x = randn(rng, 2, 5, 6)
    return _multihead(rng, x, x, 3, causal=True)


@probe("heads")
def multihead_cross_attention_padded_float32(rng):
    """Cross-attention (2, 3, 8) to (2, 6, 8), 2 heads, padded keys, in float32."""
    mask = np.ones((2, 6), dtype=bool)
    mask[1, 3:] = False
    return _multihead(rng, randn(rng, 2, 3, 8, dtype=np.float32),
                      randn(rng, 2, 6, 8, dtype=np.float32), 2, mask=mask)


# --- transformer_block --------------------------------------------------------------------------

def _block_run(rng, forward, backward, x, block, *settings, prefix=""):
    out, cache = forward(x, block, *settings)
    dx, grads = backward(randn(rng, *out.shape, dtype=out.dtype), cache)
    return {f"{prefix}out": out, f"{prefix}dx": dx,
            **{f"{prefix}d{name}": g for name, g in sorted(grads.items())}}


@probe("transformer_block")
def residual_mlp_backward_float64(rng):
    """x + MLP(LN(x)) on (2, 4, 6), hidden width 10: out, dx and the MLP's six gradients."""
    L = _layers()
    block = _block(rng, 6, 10)
    mlp = {k: block[k] for k in _block_params()[6:]}
    return _block_run(rng, L.residual_mlp_forward, L.residual_mlp_backward, randn(rng, 2, 4, 6),
                      mlp)


@probe("transformer_block")
def transformer_block_backward_float64(rng):
    """A causal block on (2, 5, 6), 2 heads, hidden width 12: out, dx and all 12 gradients."""
    L = _layers()
    return _block_run(rng, L.transformer_block_forward, L.transformer_block_backward,
                      randn(rng, 2, 5, 6), _block(rng, 6, 12), 2)


@probe("transformer_block")
def transformer_block_with_dropout_float32(rng):
    """A block in float32 with seeded dropout (keep 0.8) on both branches, 4 heads."""
    L = _layers()
    drop = {"p": 0.8, "mode": "train", "seed": 11}
    return _block_run(rng, L.transformer_block_forward, L.transformer_block_backward,
                      randn(rng, 3, 4, 8, dtype=np.float32), _block(rng, 8, 16, np.float32), 4,
                      True, None, drop)


# --- kv_cache -----------------------------------------------------------------------------------

def _model(rng, dtype=np.float64, **settings):
    from dlscratch.models import TransformerLM
    model = TransformerLM(9, block_size=8, embed_dim=8, num_heads=2, num_layers=2, dtype=dtype,
                          seed=int(rng.integers(1000)), **settings)
    for key, value in model.params.items():
        if key.startswith("W"):
            model.params[key] = (0.4 * randn(rng, *value.shape)).astype(dtype)
    return model


@probe("kv_cache")
def extend_a_cache_position_by_position(rng):
    """Scores of a prime of 3 then 4 single tokens through the cache, for 2 sequences."""
    model = _model(rng)
    X = rng.integers(9, size=(2, 7))
    cache = model.new_cache(N=2)
    parts = [model.extend(X[:, :3], cache)] + [model.extend(X[:, t:t + 1], cache)
                                               for t in range(3, 7)]
    return {f"scores_{i}": s for i, s in enumerate(parts)}


@probe("kv_cache")
def sample_with_the_cache(rng):
    """Greedy and seeded samples of 20 tokens (past the block of 8) with tied sinusoidal weights."""
    model = _model(rng, tie_weights=True, positions="sinusoidal")
    prime = rng.integers(9, size=5)
    return {"greedy": model.sample(prime, 20, temperature=0),
            "drawn": model.sample(prime, 20, temperature=0.8, top_k=4, seed=3)}
