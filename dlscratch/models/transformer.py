"""A decoder-only Transformer language model over characters (Radford et al. 2018, 2019; the
block of Vaswani et al. 2017 with the layer norm moved before each branch).

    ids (N, T) -> token embedding + positions -> num_layers pre-norm blocks
               -> layer norm -> affine to the vocabulary -> scores (N, T, V)

Each block is x + MHA(LN(x)) with causal self-attention, then x + MLP(LN(x)) (two affine layers
with a GELU between, mlp_ratio * D hidden features); see dlscratch.layers.sandwiches. Unlike the
RecurrentNet, nothing is carried from one chunk to the next: a position sees the at most
block_size positions of its own chunk, itself included.

Generation keeps a key/value cache: the keys and values of every position already seen are kept
per layer, so each new token costs one position of work instead of a pass over the whole context.
"""
import math
import zlib

import numpy as np

from .._validate import require_sizes
from ..layers import (attention_forward, dropout_backward, dropout_forward, layernorm_backward,
                      layernorm_forward, merge_heads, residual_mlp_forward, sinusoidal_positions,
                      split_heads, temporal_affine_backward, temporal_affine_forward,
                      transformer_block_backward, transformer_block_forward,
                      word_embedding_backward, word_embedding_forward)
from ..layers.sandwiches import TRANSFORMER_BLOCK_PARAMS
from .language_model import LanguageModel

POSITIONS = ("learned", "sinusoidal")
# GPT-2's initialisation: every weight from N(0, 0.02²), the projections that end a residual
# branch scaled by 1/√(2 num_layers) so that the residual stream's variance does not grow with depth
INIT_STD = 0.02


class KVCache:
    """The keys and values of the positions seen so far, per layer, heads first:
    k[l] and v[l] of shape (N * num_heads, block_size, D / num_heads); `length` positions filled."""

    def __init__(self, num_layers, N, num_heads, block_size, head_dim, dtype):
        shape = (N * num_heads, block_size, head_dim)
        self.k = [np.zeros(shape, dtype=dtype) for _ in range(num_layers)]
        self.v = [np.zeros(shape, dtype=dtype) for _ in range(num_layers)]
        self.length = 0


class TransformerLM(LanguageModel):
    """Predicts the next token at every position: ids (N, T <= block_size) -> scores (N, T, V).

    Parameters: W_embed (V, D); W_pos (block_size, D) with learned positions (sinusoidal ones are
    fixed, not learned); for each block l = 1..num_layers the arrays of TRANSFORMER_BLOCK_PARAMS
    with the suffix l (attn_gamma1, W_qkv1, ..., b_down1); gamma_final, beta_final (D,);
    W_vocab (D, V) unless tie_weights (then the output layer is W_embedᵀ) and b_vocab (V,).

    The loss is the cross-entropy per predicted token (nats), so exp(loss) is the perplexity;
    targets y < 0 are left out. reg adds 0.5·reg·‖W‖² for the matrices of the blocks and of the
    output layer (not the embeddings, gains or biases).
    """

    def __init__(self, vocab_size, block_size, embed_dim, num_heads, num_layers, mlp_ratio=4,
                 positions="learned", tie_weights=False, dropout_keep_ratio=1.0, reg=0.0,
                 dtype=np.float32, seed=None, vocab=None):
        """vocab: an optional vocabulary of len vocab_size with encode(text) and decode(ids),
        which lets sample() take and return text."""
        require_sizes("TransformerLM", vocab_size=vocab_size, block_size=block_size,
                      embed_dim=embed_dim, num_heads=num_heads, num_layers=num_layers,
                      mlp_ratio=mlp_ratio)
        if embed_dim % num_heads:
            raise ValueError(f"TransformerLM: num_heads ({num_heads}) must divide embed_dim "
                             f"({embed_dim})")
        if positions not in POSITIONS:
            raise ValueError(f"TransformerLM: positions must be one of {POSITIONS}, got "
                             f"{positions!r}")
        if not 0 < dropout_keep_ratio <= 1:
            raise ValueError(f"TransformerLM: dropout_keep_ratio is the probability of keeping "
                             f"a unit and must lie in (0, 1], got {dropout_keep_ratio}")
        if vocab is not None and len(vocab) != vocab_size:
            raise ValueError(f"the vocabulary has {len(vocab)} ids but vocab_size is {vocab_size}")
        super().__init__(dtype, seed)
        self.vocab_size, self.block_size, self.embed_dim = vocab_size, block_size, embed_dim
        self.num_heads, self.num_layers, self.mlp_ratio = num_heads, num_layers, mlp_ratio
        self.positions, self.tie_weights = positions, tie_weights
        self.dropout_keep_ratio, self.reg, self.vocab = dropout_keep_ratio, reg, vocab

        D, M = embed_dim, mlp_ratio * embed_dim
        self.params["W_embed"] = self._gaussian((vocab_size, D), INIT_STD)
        if positions == "learned":
            self.params["W_pos"] = self._gaussian((block_size, D), INIT_STD)
        else:
            self.position_table = sinusoidal_positions(block_size, D, dtype=self.dtype)
        branch_end = INIT_STD / math.sqrt(2 * num_layers)
        for l in range(1, num_layers + 1):
            self.params.update({
                f"attn_gamma{l}": np.ones(D, dtype=self.dtype),
                f"attn_beta{l}": np.zeros(D, dtype=self.dtype),
                f"W_qkv{l}": self._gaussian((D, 3 * D), INIT_STD),
                f"b_qkv{l}": np.zeros(3 * D, dtype=self.dtype),
                f"W_proj{l}": self._gaussian((D, D), branch_end),
                f"b_proj{l}": np.zeros(D, dtype=self.dtype),
                f"mlp_gamma{l}": np.ones(D, dtype=self.dtype),
                f"mlp_beta{l}": np.zeros(D, dtype=self.dtype),
                f"W_up{l}": self._gaussian((D, M), INIT_STD),
                f"b_up{l}": np.zeros(M, dtype=self.dtype),
                f"W_down{l}": self._gaussian((M, D), branch_end),
                f"b_down{l}": np.zeros(D, dtype=self.dtype),
            })
        self.params["gamma_final"] = np.ones(D, dtype=self.dtype)
        self.params["beta_final"] = np.zeros(D, dtype=self.dtype)
        if not tie_weights:
            self.params["W_vocab"] = self._gaussian((D, vocab_size), INIT_STD)
        self.params["b_vocab"] = np.zeros(vocab_size, dtype=self.dtype)

    # --------------------------------------------------------------------------------------------
    # Pieces
    # --------------------------------------------------------------------------------------------

    def _block(self, l):
        """The arrays of block l (1-based) by their names in TRANSFORMER_BLOCK_PARAMS."""
        return {name: self.params[f"{name}{l}"] for name in TRANSFORMER_BLOCK_PARAMS}

    def _embed(self, X, start=0):
        """Token embeddings plus the positions start .. start + T - 1: X (N, T) -> (N, T, D)."""
        embedded, cache = word_embedding_forward(X, self.params["W_embed"])
        T = X.shape[1]
        if self.positions == "learned":
            return embedded + self.params["W_pos"][start:start + T], cache
        # Vaswani et al. scale the embeddings by √D before adding the fixed positions
        return embedded * self.dtype.type(math.sqrt(self.embed_dim)) + \
            self.position_table[start:start + T], cache

    def _output_weights(self):
        """The output layer's matrix (D, V): W_vocab, or W_embedᵀ when the weights are tied."""
        return self.params["W_embed"].T if self.tie_weights else self.params["W_vocab"]

    def _dropout_param(self, X, mode, site):
        """dropout_forward's settings for one site of one pass over X, or None without dropout.

        With a seed, the mask depends on the seed, the batch's contents and the site: fresh masks
        for fresh batches, the same ones for repeated calls on one batch (a gradient check).
        """
        if self.dropout_keep_ratio == 1 or mode == "test":
            return None
        param = {"p": self.dropout_keep_ratio, "mode": mode}
        if self.seed is not None:
            param["seed"] = [self.seed, zlib.crc32(np.ascontiguousarray(X).data), site]
        return param

    # --------------------------------------------------------------------------------------------
    # Forward and backward passes
    # --------------------------------------------------------------------------------------------

    def _forward(self, X, mode="test"):
        """Scores (N, T, V) for ids X (N, T) and the caches the backward pass needs."""
        p = self.params
        x, embed_cache = self._embed(X)
        embed_drop = self._dropout_param(X, mode, 0)
        x, drop_cache = (x, None) if embed_drop is None else dropout_forward(x, embed_drop)
        block_caches = []
        for l in range(1, self.num_layers + 1):
            x, cache = transformer_block_forward(x, self._block(l), self.num_heads, causal=True,
                                                 dropout_param=self._dropout_param(X, mode, l))
            block_caches.append(cache)
        h, norm_cache = layernorm_forward(x, p["gamma_final"], p["beta_final"], {})
        scores, out_cache = temporal_affine_forward(h, self._output_weights(), p["b_vocab"])
        return scores, (embed_cache, drop_cache, block_caches, norm_cache, out_cache, X.shape[1])

    def _backward(self, dscores, cache):
        """Gradients of every parameter given dscores (N, T, V) and the forward's caches."""
        embed_cache, drop_cache, block_caches, norm_cache, out_cache, T = cache
        grads = {}
        dh, dW_out, grads["b_vocab"] = temporal_affine_backward(dscores, out_cache)
        dx, grads["gamma_final"], grads["beta_final"] = layernorm_backward(dh, norm_cache)
        for l in range(self.num_layers, 0, -1):
            dx, block_grads = transformer_block_backward(dx, block_caches[l - 1])
            grads.update({f"{name}{l}": g for name, g in block_grads.items()})
        if drop_cache is not None:
            dx = dropout_backward(dx, drop_cache)
        if self.positions == "learned":
            grads["W_pos"] = np.zeros_like(self.params["W_pos"])
            grads["W_pos"][:T] = dx.sum(axis=0)
        else:
            dx = dx * self.dtype.type(math.sqrt(self.embed_dim))
        grads["W_embed"] = word_embedding_backward(dx, embed_cache)
        if self.tie_weights:
            grads["W_embed"] += dW_out.T
        else:
            grads["W_vocab"] = dW_out
        return grads

    def _regularized(self, name):
        """Whether reg applies to a parameter: the matrices of the blocks and the output layer."""
        return name.startswith("W_") and name not in ("W_embed", "W_pos")

    def _check_context(self, X):
        X = self._check_ids(X)
        if X.shape[1] > self.block_size:
            raise ValueError(f"TransformerLM: sequences may be at most block_size = "
                             f"{self.block_size} tokens long, got {X.shape[1]}")
        return X

    def loss(self, X, y=None):
        """Scores (N, T, V) when y is None; otherwise (loss per token, grads keyed like params).

        X, y: (N, T) integer ids, T <= block_size; y holds the next token at each position
        (< 0: none).
        """
        X = self._check_context(X)
        if y is None:
            return self._forward(X, "test")[0]
        scores, cache = self._forward(X, "train")
        loss, dscores = self._token_loss(scores, y)
        grads = self._backward(dscores, cache)
        for name, w in self.params.items():
            if self.reg and self._regularized(name):
                loss += 0.5 * self.reg * float(np.sum(w * w))
                grads[name] = grads[name] + self.dtype.type(self.reg) * w
        return loss, grads

    def attention_maps(self, X):
        """Every head's attention weights on ids X (N, T): (num_layers, N, num_heads, T, T)."""
        block_caches = self._forward(self._check_context(X), "test")[1][2]
        return np.stack([attention.weights for _, attention, _, _ in block_caches])

    def _scores(self, X):
        """Scores (N, T, V) for ids X (N, T) in test mode (evaluation)."""
        return self._forward(self._check_context(X), "test")[0]

    # --------------------------------------------------------------------------------------------
    # Generation with a key/value cache
    # --------------------------------------------------------------------------------------------

    def new_cache(self, N=1):
        """An empty key/value cache for N sequences."""
        return KVCache(self.num_layers, N, self.num_heads, self.block_size,
                       self.embed_dim // self.num_heads, self.dtype)

    def extend(self, ids, cache):
        """Scores (N, t, V) of the next t positions ids (N, t), which attend to every position in
        the cache and to themselves; their keys and values are added to the cache.

        t is 1, or any t <= block_size on an empty cache (the prime); test mode (no dropout).
        """
        ids = self._check_ids(ids)
        start, t = cache.length, ids.shape[1]
        if start and t != 1:
            raise ValueError(f"extend: a cache holding {start} positions takes one new token at "
                             f"a time, got {t}")
        if start + t > self.block_size:
            raise ValueError(f"extend: the cache holds {start} of block_size = {self.block_size}"
                             f" positions and cannot take {t} more")
        H, p = self.num_heads, self.params
        x, _ = self._embed(ids, start)
        for l in range(1, self.num_layers + 1):
            block = self._block(l)
            keys, values = cache.k[l - 1], cache.v[l - 1]
            h, _ = layernorm_forward(x, block["attn_gamma"], block["attn_beta"], {})
            ### BEGIN SOLUTION
            q, k, v = np.split(h @ block["W_qkv"] + block["b_qkv"], 3, axis=2)
            keys[:, start:start + t] = split_heads(k, H)
            values[:, start:start + t] = split_heads(v, H)
            # the prime attends causally among itself; a single new token sees every position
            heads, _ = attention_forward(split_heads(q, H), keys[:, :start + t],
                                         values[:, :start + t], causal=start == 0)
            ### END SOLUTION
            x = x + merge_heads(heads, H) @ block["W_proj"] + block["b_proj"]
            x, _ = residual_mlp_forward(x, block)
        cache.length = start + t
        h, _ = layernorm_forward(x, p["gamma_final"], p["beta_final"], {})
        return h @ self._output_weights() + p["b_vocab"]

    def sample(self, prime, length, temperature=1.0, top_k=None, seed=None, use_cache=True):
        """Generate `length` tokens following the non-empty prime.

        prime: text (needs the model's vocab) or a sequence of ids. Each token is drawn from
        softmax(scores / temperature), among the top_k highest scores when top_k is given;
        temperature 0 picks the most likely token every time. seed: an int or a
        np.random.Generator. Returns text when prime is text, else ids (length,).

        use_cache=True extends a key/value cache by one position per token. When the cache is full
        (block_size positions) it starts again from the last block_size // 2 tokens, so a token
        sees between half a block and a block of context. use_cache=False recomputes the whole
        context, the last block_size tokens, for every token: the same tokens while the text fits
        in one block, and the reference the cache's speed is measured against.
        """
        ids, is_text = self._prime_ids(prime, length, temperature)
        if top_k is not None:
            require_sizes("sample", top_k=top_k)
        rng = np.random.default_rng(seed)
        tokens = list(ids[-self.block_size:])
        cache = self.new_cache() if use_cache else None
        scores = self.extend(np.array([tokens]), cache) if use_cache else None
        generated = np.empty(length, dtype=np.int64)
        for i in range(length):
            if not use_cache:
                scores = self._scores(np.array([tokens[-self.block_size:]]))
            generated[i] = self._pick(scores[0, -1], temperature, rng, top_k)
            tokens.append(generated[i])
            if use_cache and cache.length == self.block_size:
                cache = self.new_cache()
                scores = self.extend(np.array([tokens[-max(1, self.block_size // 2):]]), cache)
            elif use_cache:
                scores = self.extend(np.array([[generated[i]]]), cache)
        return self.vocab.decode(generated) if is_text else generated
