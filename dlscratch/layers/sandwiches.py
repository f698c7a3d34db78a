"""Sandwich layers: the blocks the networks are built from, each a chain of layers with one
forward and one backward (affine -> relu, conv -> norm -> relu -> pool, the residual block, the
Transformer block, ...)."""
from .._validate import require_shape
from .attention import multihead_attention_backward, multihead_attention_forward
from .conv import conv_backward, conv_forward, max_pool_backward, max_pool_forward
from .core import (affine_backward, affine_forward, gelu_backward, gelu_forward, relu_backward,
                   relu_forward)
from .dropout import dropout_backward, dropout_forward
from .normalization import (batchnorm_backward, batchnorm_forward, layernorm_backward,
                            layernorm_forward, spatial_batchnorm_backward,
                            spatial_batchnorm_forward, spatial_groupnorm_backward,
                            spatial_groupnorm_forward)
from .recurrent import temporal_affine_backward, temporal_affine_forward

__all__ = [
    "affine_relu_forward", "affine_relu_backward", "affine_relu_param_backward",
    "affine_norm_relu_forward", "affine_norm_relu_backward", "conv_relu_forward",
    "conv_relu_backward", "conv_relu_param_backward", "conv_relu_pool_forward",
    "conv_relu_pool_backward", "conv_norm_relu_forward", "conv_norm_relu_backward",
    "conv_norm_relu_pool_forward", "conv_norm_relu_pool_backward", "conv_norm_add_relu_forward",
    "conv_norm_add_relu_backward", "residual_block_forward", "residual_block_backward",
    "residual_mlp_forward", "residual_mlp_backward", "transformer_block_forward",
    "transformer_block_backward",
]


def affine_relu_forward(x, w, b):
    """affine -> relu: x (N, ...) -> out (N, M)."""
    a, affine_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (affine_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """Gradients of affine_relu_forward: dout (N, M) -> dx, dw, db."""
    affine_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), affine_cache)


def affine_relu_param_backward(dout, cache):
    """The parameters' gradients of affine_relu_forward alone: dout (N, M) -> dw, db.

    For a network's first layer, whose input gradient nothing uses. This one computes it and
    drops it; the solved course's fast twin (dlscratch/fast.py) leaves it out, as a framework
    does for an input that needs no gradient.
    """
    _, dw, db = affine_relu_backward(dout, cache)
    return dw, db


_NORMALIZERS = {
    "batchnorm": (batchnorm_forward, batchnorm_backward),
    "layernorm": (layernorm_forward, layernorm_backward),
}


def affine_norm_relu_forward(x, w, b, gamma, beta, norm_param, normalization):
    """affine -> batchnorm or layernorm -> relu: x (N, ...) -> out (N, M)."""
    if normalization not in _NORMALIZERS:
        raise ValueError(f"normalization must be one of {sorted(_NORMALIZERS)}, "
                         f"got {normalization!r}")
    norm_forward = _NORMALIZERS[normalization][0]
    a, affine_cache = affine_forward(x, w, b)
    n, norm_cache = norm_forward(a, gamma, beta, norm_param)
    out, relu_cache = relu_forward(n)
    return out, (normalization, affine_cache, norm_cache, relu_cache)


def affine_norm_relu_backward(dout, cache):
    """Gradients of affine_norm_relu_forward: dout (N, M) -> dx, dw, db, dgamma, dbeta."""
    normalization, affine_cache, norm_cache, relu_cache = cache
    norm_backward = _NORMALIZERS[normalization][1]
    dn = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = norm_backward(dn, norm_cache)
    dx, dw, db = affine_backward(da, affine_cache)
    return dx, dw, db, dgamma, dbeta


def _groupnorm_with_groups_in_param(x, gamma, beta, gn_param):
    """spatial_groupnorm_forward taking the number of groups from gn_param['G']."""
    if "G" not in gn_param:
        raise ValueError("conv_norm_relu_forward: for 'groupnorm', norm_param must give the "
                         "number of groups as norm_param['G']")
    return spatial_groupnorm_forward(x, gamma, beta, gn_param["G"], gn_param)


_SPATIAL_NORMALIZERS = {
    "batchnorm": (spatial_batchnorm_forward, spatial_batchnorm_backward),
    "groupnorm": (_groupnorm_with_groups_in_param, spatial_groupnorm_backward),
}


def _spatial_normalizer(normalization):
    """The (forward, backward) pair of 'batchnorm' or 'groupnorm', or a clear error."""
    if normalization not in _SPATIAL_NORMALIZERS:
        raise ValueError(f"normalization must be one of {sorted(_SPATIAL_NORMALIZERS)}, "
                         f"got {normalization!r}")
    return _SPATIAL_NORMALIZERS[normalization]


def conv_relu_forward(x, w, b, conv_param):
    """conv -> relu: x (N, C, H, W) -> out (N, F, H', W')."""
    a, conv_cache = conv_forward(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout, cache):
    """Gradients of conv_relu_forward: dout (N, F, H', W') -> dx, dw, db."""
    conv_cache, relu_cache = cache
    return conv_backward(relu_backward(dout, relu_cache), conv_cache)


def conv_relu_param_backward(dout, cache):
    """The parameters' gradients of conv_relu_forward alone: dout (N, F, H', W') -> dw, db.

    For a network's first convolution, whose input gradient nothing uses; like
    affine_relu_param_backward, this one computes dx and drops it, the fast twin leaves it out.
    """
    _, dw, db = conv_relu_backward(dout, cache)
    return dw, db


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """conv -> relu -> max pool: x (N, C, H, W) -> out (N, F, H'', W'')."""
    a, conv_relu_cache = conv_relu_forward(x, w, b, conv_param)
    out, pool_cache = max_pool_forward(a, pool_param)
    return out, (conv_relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    """Gradients of conv_relu_pool_forward: dout (N, F, H'', W'') -> dx, dw, db."""
    conv_relu_cache, pool_cache = cache
    return conv_relu_backward(max_pool_backward(dout, pool_cache), conv_relu_cache)


def conv_norm_relu_forward(x, w, b, gamma, beta, conv_param, norm_param, normalization):
    """conv -> spatial batchnorm or groupnorm -> relu: x (N, C, H, W) -> out (N, F, H', W').

    norm_param is the bn_param of batchnorm, or for 'groupnorm' the gn_param plus the number of
    groups under the key 'G'.
    """
    norm_forward = _spatial_normalizer(normalization)[0]
    a, conv_cache = conv_forward(x, w, b, conv_param)
    n, norm_cache = norm_forward(a, gamma, beta, norm_param)
    out, relu_cache = relu_forward(n)
    return out, (normalization, conv_cache, norm_cache, relu_cache)


def conv_norm_relu_backward(dout, cache):
    """Gradients of conv_norm_relu_forward: dout (N, F, H', W') -> dx, dw, db, dgamma, dbeta."""
    normalization, conv_cache, norm_cache, relu_cache = cache
    norm_backward = _SPATIAL_NORMALIZERS[normalization][1]
    dn = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = norm_backward(dn, norm_cache)
    dx, dw, db = conv_backward(da, conv_cache)
    return dx, dw, db, dgamma, dbeta


def conv_norm_relu_pool_forward(x, w, b, gamma, beta, conv_param, norm_param, normalization,
                                pool_param):
    """conv -> spatial norm -> relu -> max pool: x (N, C, H, W) -> out (N, F, H'', W'')."""
    a, block_cache = conv_norm_relu_forward(x, w, b, gamma, beta, conv_param, norm_param,
                                            normalization)
    out, pool_cache = max_pool_forward(a, pool_param)
    return out, (block_cache, pool_cache)


def conv_norm_relu_pool_backward(dout, cache):
    """Gradients of conv_norm_relu_pool_forward: dout -> dx, dw, db, dgamma, dbeta."""
    block_cache, pool_cache = cache
    return conv_norm_relu_backward(max_pool_backward(dout, pool_cache), block_cache)


def conv_norm_add_relu_forward(h, skip, w, b, gamma, beta, conv_param, norm_param, normalization):
    """relu(norm(conv(h)) + skip), the end of a residual block: h (N, C, H, W), skip (N, F, H', W')
    -> out (N, F, H', W')."""
    norm_forward = _spatial_normalizer(normalization)[0]
    a, conv_cache = conv_forward(h, w, b, conv_param)
    n, norm_cache = norm_forward(a, gamma, beta, norm_param)
    require_shape("conv_norm_add_relu_forward", "skip",
                  skip, n.shape)
    out, relu_cache = relu_forward(n + skip)
    return out, (normalization, conv_cache, norm_cache, relu_cache)


def conv_norm_add_relu_backward(dout, cache):
    """Gradients of conv_norm_add_relu_forward: dout -> dh, dskip, dw, db, dgamma, dbeta."""
    normalization, conv_cache, norm_cache, relu_cache = cache
    norm_backward = _SPATIAL_NORMALIZERS[normalization][1]
    dsum = relu_backward(dout, relu_cache)          # the sum passes its gradient to both terms
    da, dgamma, dbeta = norm_backward(dsum, norm_cache)
    dh, dw, db = conv_backward(da, conv_cache)
    return dh, dsum, dw, db, dgamma, dbeta


def residual_block_forward(x, w1, b1, gamma1, beta1, w2, b2, gamma2, beta2, conv_param,
                           norm_param1, norm_param2, normalization):
    """relu(x + norm(conv(relu(norm(conv(x)))))), He et al.'s basic block with an identity skip:
    x (N, C, H, W) -> out (N, C, H, W); w1 and w2 of shape (C, C, fs, fs)."""
    h, first_cache = conv_norm_relu_forward(x, w1, b1, gamma1, beta1, conv_param, norm_param1,
                                            normalization)
    out, second_cache = conv_norm_add_relu_forward(h, x, w2, b2, gamma2, beta2, conv_param,
                                                   norm_param2, normalization)
    return out, (first_cache, second_cache)


def residual_block_backward(dout, cache):
    """Gradients of residual_block_forward: dout -> dx, dw1, db1, dgamma1, dbeta1, dw2, db2,
    dgamma2, dbeta2; dx adds the gradient through the block and the one along the skip."""
    first_cache, second_cache = cache
    dh, dskip, dw2, db2, dgamma2, dbeta2 = conv_norm_add_relu_backward(dout, second_cache)
    dx, dw1, db1, dgamma1, dbeta1 = conv_norm_relu_backward(dh, first_cache)
    return dx + dskip, dw1, db1, dgamma1, dbeta1, dw2, db2, dgamma2, dbeta2


# The arrays of one pre-norm Transformer block, in the order of its forward pass: the layer norm
# before attention, attention's projections, the layer norm before the MLP, the MLP's two layers.
TRANSFORMER_BLOCK_PARAMS = ("attn_gamma", "attn_beta", "W_qkv", "b_qkv", "W_proj", "b_proj",
                            "mlp_gamma", "mlp_beta", "W_up", "b_up", "W_down", "b_down")


def _branch_dropout(x, dropout_param, branch):
    """Dropout on a residual branch (identity when dropout_param is None): (out, cache)."""
    if dropout_param is None:
        return x, None
    param = dict(dropout_param)
    if "seed" in param:                      # each branch its own mask
        param["seed"] = [*param["seed"], branch] if isinstance(param["seed"], list) \
            else [param["seed"], branch]
    return dropout_forward(x, param)


def _branch_dropout_backward(dout, cache):
    """Gradient of _branch_dropout: dout itself when the branch had no dropout."""
    return dout if cache is None else dropout_backward(dout, cache)


def residual_mlp_forward(x, block, dropout_param=None):
    """The second half of a Transformer block, x + MLP(LN(x)), the MLP an affine layer to M
    features, a GELU and an affine layer back: x (N, T, D) -> out (N, T, D).

    block: the block's arrays by name (those of TRANSFORMER_BLOCK_PARAMS from mlp_gamma on).
    """
    p = block
    h, norm = layernorm_forward(x, p["mlp_gamma"], p["mlp_beta"], {})
    u, up = temporal_affine_forward(h, p["W_up"], p["b_up"])
    g, gelu = gelu_forward(u)
    m, down = temporal_affine_forward(g, p["W_down"], p["b_down"])
    m, drop = _branch_dropout(m, dropout_param, 2)
    return x + m, (norm, up, gelu, down, drop)


def residual_mlp_backward(dout, cache):
    """Gradients of residual_mlp_forward: dout (N, T, D) -> dx and a dict of the MLP's gradients."""
    norm, up, gelu, down, drop = cache
    grads = {}
    ### BEGIN SOLUTION
    dm = _branch_dropout_backward(dout, drop)
    dg, grads["W_down"], grads["b_down"] = temporal_affine_backward(dm, down)
    du = gelu_backward(dg, gelu)
    dh, grads["W_up"], grads["b_up"] = temporal_affine_backward(du, up)
    dx, grads["mlp_gamma"], grads["mlp_beta"] = layernorm_backward(dh, norm)
    dx = dx + dout                     # the residual stream carries dout past the branch
    ### END SOLUTION
    return dx, grads


def transformer_block_forward(x, block, num_heads, causal=True, mask=None, dropout_param=None):
    """A pre-norm Transformer block: x + MHA(LN(x)), then residual_mlp_forward:
    x (N, T, D) -> out (N, T, D).

    block: the block's arrays by name (TRANSFORMER_BLOCK_PARAMS); W_up (D, M), W_down (M, D).
    causal and mask as for attention; dropout_param: None or dropout_forward's settings, applied
    to each branch before it joins the residual stream.
    """
    p = block
    h, norm = layernorm_forward(x, p["attn_gamma"], p["attn_beta"], {})
    a, attn = multihead_attention_forward(h, h, p["W_qkv"], p["b_qkv"], p["W_proj"], p["b_proj"],
                                          num_heads, mask=mask, causal=causal)
    a, drop = _branch_dropout(a, dropout_param, 1)
    out, mlp = residual_mlp_forward(x + a, block, dropout_param)
    return out, (norm, attn, drop, mlp)


def transformer_block_backward(dout, cache):
    """Gradients of transformer_block_forward: dout (N, T, D) -> dx (N, T, D) and a dict of the
    block's gradients keyed like TRANSFORMER_BLOCK_PARAMS."""
    norm, attn, drop, mlp = cache
    ### BEGIN SOLUTION
    dx1, grads = residual_mlp_backward(dout, mlp)
    # x1 = x + MHA(LN(x)), self-attention: the normalised input's gradient is dquery + dkey_value
    da = _branch_dropout_backward(dx1, drop)
    dquery, dkey_value, grads["W_qkv"], grads["b_qkv"], grads["W_proj"], grads["b_proj"] = \
        multihead_attention_backward(da, attn)
    dx, grads["attn_gamma"], grads["attn_beta"] = layernorm_backward(dquery + dkey_value, norm)
    dx = dx + dx1
    ### END SOLUTION
    return dx, grads
