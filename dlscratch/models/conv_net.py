"""Convolutional networks: the classic three-layer net and a configurable stack of conv blocks,
plain or residual."""
import numbers

import numpy as np

from ..layers import (affine_backward, affine_forward, affine_relu_backward, affine_relu_forward,
                      conv_backward, conv_forward, conv_norm_add_relu_backward,
                      conv_norm_add_relu_forward, conv_norm_relu_backward, conv_norm_relu_forward,
                      conv_relu_backward, conv_relu_forward, conv_relu_param_backward,
                      conv_relu_pool_backward, conv_relu_pool_forward, max_pool_backward,
                      max_pool_forward)
from .._validate import require_sizes
from ..twins import twin_of
from .classifier import Classifier

# the first convolution's parameter gradients (its input's gradient is never used; see twins.py)
first_conv_backward = twin_of(conv_relu_param_backward)

# every pooling layer in these models halves the height and the width
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}
# the 1x1 convolution of a projection shortcut
PROJECTION_PARAM = {"stride": 1, "pad": 0}


def _same_padding(filter_size):
    """The padding that keeps H and W unchanged at stride 1; needs an odd filter size."""
    if not isinstance(filter_size, numbers.Integral) or filter_size < 1 or filter_size % 2 == 0:
        raise ValueError(f"filter_size must be a positive odd integer (so that 'same' padding "
                         f"exists), got {filter_size!r}")
    return (filter_size - 1) // 2


def _check_images(model_name, X, input_dim):
    """Raise a clear error unless X has shape (N, *input_dim)."""
    if X.shape[1:] != tuple(input_dim):
        raise ValueError(f"{model_name} expects X of shape (N, {', '.join(map(str, input_dim))}); "
                         f"got {X.shape}")


class ThreeLayerConvNet(Classifier):
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax, on images (N, C, H, W).

    The convolution has num_filters filters of filter_size x filter_size, stride 1 and 'same'
    padding. Parameters: W1 (F, C, fs, fs), b1 (F,), W2 (F*(H//2)*(W//2), hidden_dim), b2,
    W3 (hidden_dim, num_classes), b3.
    """

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32, seed=None):
        super().__init__(reg=reg, dtype=dtype, seed=seed)
        C, H, W = input_dim
        require_sizes("ThreeLayerConvNet", num_filters=num_filters, filter_size=filter_size,
                      hidden_dim=hidden_dim, num_classes=num_classes, channels=C, height=H, width=W)
        self.input_dim = tuple(input_dim)
        self.conv_param = {"stride": 1, "pad": _same_padding(filter_size)}
        pooled_dim = num_filters * (H // 2) * (W // 2)
        self.params["W1"] = self._init_weight((num_filters, C, filter_size, filter_size),
                                              weight_scale)
        self.params["b1"] = np.zeros(num_filters, dtype=self.dtype)
        self.params["W2"] = self._init_weight((pooled_dim, hidden_dim), weight_scale)
        self.params["b2"] = np.zeros(hidden_dim, dtype=self.dtype)
        self.params["W3"] = self._init_weight((hidden_dim, num_classes), weight_scale)
        self.params["b3"] = np.zeros(num_classes, dtype=self.dtype)

    def _forward(self, X, mode):
        """Scores (N, num_classes) for X (N, C, H, W) and the caches the backward pass needs."""
        _check_images("ThreeLayerConvNet", X, self.input_dim)
        p = self.params
        ### BEGIN SOLUTION
        pooled, cache1 = conv_relu_pool_forward(X, p["W1"], p["b1"], self.conv_param, POOL_PARAM)
        hidden, cache2 = affine_relu_forward(pooled, p["W2"], p["b2"])
        scores, cache3 = affine_forward(hidden, p["W3"], p["b3"])
        ### END SOLUTION
        return scores, (cache1, cache2, cache3)

    def _backward(self, dscores, caches):
        """Gradients of every parameter given dscores (N, num_classes) and the forward's caches."""
        cache1, cache2, cache3 = caches
        grads = {}
        ### BEGIN SOLUTION
        dhidden, grads["W3"], grads["b3"] = affine_backward(dscores, cache3)
        dpooled, grads["W2"], grads["b2"] = affine_relu_backward(dhidden, cache2)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(dpooled, cache1)
        ### END SOLUTION
        return grads


class ConvNet(Classifier):
    """{conv - [batch/group norm] - relu - [2x2 pool]} x L - {affine - relu} x M - affine - softmax.

    num_filters: filters of each conv block, e.g. (16, 32) for two blocks.
    filter_size: one odd size for every block, or one per block; stride 1 and 'same' padding.
    pool:        True/False for every block, or one bool per block: end the block with a 2x2 max
                 pool (stride 2), which halves H and W (rounded down).
    hidden_dims: sizes of the affine-relu layers between the conv blocks and the scores.
    normalization: None, 'batchnorm' (spatial batch norm) or 'groupnorm' with num_groups groups,
                 applied in every conv block.
    weight_scale: std of the initial weights, or 'he' for sqrt(2 / fan_in) (the default).
    residual:    make every conv block a residual block (He et al. 2016), which needs a
                 normalization: relu(skip(x) + norm(conv(relu(norm(conv(x)))))) then [pool], where
                 skip is the identity, or a 1x1 convolution where the block changes the channels.

    Parameters: W1..WL, b1..bL for the conv blocks (Wi of shape (F, C, fs, fs)), with gamma1..gammaL
    and beta1..betaL (F,) when normalised; then W(L+1).., b(L+1).. for the affine layers. A residual
    block i adds its second convolution Wi_2 (F, F, fs, fs), bi_2, gammai_2, betai_2 and, where
    C != F, the shortcut's Wi_skip (F, C, 1, 1) and bi_skip.
    """

    def __init__(self, input_dim=(3, 32, 32), num_filters=(16, 32), filter_size=3, pool=True,
                 hidden_dims=(128,), num_classes=10, normalization=None, num_groups=4, reg=0.0,
                 weight_scale="he", residual=False, dtype=np.float32, seed=None):
        super().__init__(reg=reg, dtype=dtype, seed=seed)
        if normalization not in (None, "batchnorm", "groupnorm"):
            raise ValueError("normalization must be None, 'batchnorm' or 'groupnorm', "
                             f"got {normalization!r}")
        if residual and normalization is None:
            raise ValueError("residual=True needs normalization='batchnorm' or 'groupnorm': "
                             "a residual block normalises after each of its two convolutions")
        num_filters = list(num_filters)
        require_sizes("ConvNet", num_classes=num_classes,
                      **{f"num_filters[{i}]": f for i, f in enumerate(num_filters)},
                      **{f"hidden_dims[{i}]": d for i, d in enumerate(hidden_dims)})
        L = len(num_filters)
        filter_sizes = self._per_block("filter_size", filter_size, L)
        self.pools = [bool(p) for p in self._per_block("pool", pool, L)]
        self.input_dim = tuple(input_dim)
        self.normalization = normalization
        self.num_conv = L
        self.num_affine = len(hidden_dims) + 1
        self.conv_params = [{"stride": 1, "pad": _same_padding(fs)} for fs in filter_sizes]
        self.residual = bool(residual)

        C, H, W = input_dim
        for i, (F, fs, pooled) in enumerate(zip(num_filters, filter_sizes, self.pools), start=1):
            if normalization == "groupnorm" and F % num_groups:
                raise ValueError(f"groupnorm needs num_groups ({num_groups}) to divide the "
                                 f"filters of every block; block {i} has {F}")
            self.params[f"W{i}"] = self._init_weight((F, C, fs, fs), weight_scale)
            self.params[f"b{i}"] = np.zeros(F, dtype=self.dtype)
            if normalization:
                self.params[f"gamma{i}"] = np.ones(F, dtype=self.dtype)
                self.params[f"beta{i}"] = np.zeros(F, dtype=self.dtype)
            if residual:
                self._add_residual_params(i, C, F, fs, weight_scale)
            C = F
            if pooled:
                if H < 2 or W < 2:
                    raise ValueError(f"block {i} pools an image of {H}x{W} pixels: too many "
                                     f"pooling layers for input_dim {tuple(input_dim)}")
                H, W = H // 2, W // 2
        dims = [C * H * W, *hidden_dims, num_classes]
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=L + 1):
            self.params[f"W{i}"] = self._init_weight((fan_in, fan_out), weight_scale)
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=self.dtype)
        # batchnorm's running statistics (or groupnorm's G) live here, not in params: not learned;
        # a residual block's second normalisation has its own, after the first L
        norms = 2 * L if residual else L
        if normalization == "batchnorm":
            self.norm_params = [{} for _ in range(norms)]
        elif normalization == "groupnorm":
            self.norm_params = [{"G": num_groups} for _ in range(norms)]
        else:
            self.norm_params = []

    def _add_residual_params(self, i, C, F, fs, weight_scale):
        """Block i's second convolution and normalisation, and a projection shortcut if C != F."""
        self.params[f"W{i}_2"] = self._init_weight((F, F, fs, fs), weight_scale)
        self.params[f"b{i}_2"] = np.zeros(F, dtype=self.dtype)
        self.params[f"gamma{i}_2"] = np.ones(F, dtype=self.dtype)
        self.params[f"beta{i}_2"] = np.zeros(F, dtype=self.dtype)
        if C != F:
            self.params[f"W{i}_skip"] = self._init_weight((F, C, 1, 1), weight_scale)
            self.params[f"b{i}_skip"] = np.zeros(F, dtype=self.dtype)

    def _residual_block_forward(self, x, i, mode):
        """Residual block i (1-based): relu(skip(x) + norm(conv(relu(norm(conv(x)))))) - [pool]."""
        p, conv_param = self.params, self.conv_params[i - 1]
        first_norm, second_norm = self.norm_params[i - 1], self.norm_params[self.num_conv + i - 1]
        first_norm["mode"] = second_norm["mode"] = mode
        h, first_cache = conv_norm_relu_forward(x, p[f"W{i}"], p[f"b{i}"], p[f"gamma{i}"],
                                                p[f"beta{i}"], conv_param, first_norm,
                                                self.normalization)
        skip, skip_cache = x, None
        if f"W{i}_skip" in p:
            skip, skip_cache = conv_forward(x, p[f"W{i}_skip"], p[f"b{i}_skip"], PROJECTION_PARAM)
        out, second_cache = conv_norm_add_relu_forward(h, skip, p[f"W{i}_2"], p[f"b{i}_2"],
                                                       p[f"gamma{i}_2"], p[f"beta{i}_2"],
                                                       conv_param, second_norm,
                                                       self.normalization)
        pool_cache = None
        if self.pools[i - 1]:
            out, pool_cache = max_pool_forward(out, POOL_PARAM)
        return out, (first_cache, skip_cache, second_cache, pool_cache)

    def _residual_block_backward(self, dout, cache, i, grads):
        """Gradients of residual block i: stores its parameters' gradients, returns dx."""
        first_cache, skip_cache, second_cache, pool_cache = cache
        if self.pools[i - 1]:
            dout = max_pool_backward(dout, pool_cache)
        (dh, dskip, grads[f"W{i}_2"], grads[f"b{i}_2"], grads[f"gamma{i}_2"],
         grads[f"beta{i}_2"]) = conv_norm_add_relu_backward(dout, second_cache)
        (dx, grads[f"W{i}"], grads[f"b{i}"], grads[f"gamma{i}"],
         grads[f"beta{i}"]) = conv_norm_relu_backward(dh, first_cache)
        if skip_cache is not None:
            dskip, grads[f"W{i}_skip"], grads[f"b{i}_skip"] = conv_backward(dskip, skip_cache)
        return dx + dskip

    @staticmethod
    def _per_block(name, value, num_blocks):
        """`value` repeated for every conv block, or the given per-block list checked for length."""
        if isinstance(value, (list, tuple)):
            if len(value) != num_blocks:
                raise ValueError(f"{name} gives {len(value)} values for {num_blocks} conv blocks")
            return list(value)
        return [value] * num_blocks

    def _conv_block_forward(self, x, i, mode):
        """Conv block i (1-based): conv - [norm] - relu - [pool]; returns (out, cache)."""
        if self.residual:
            return self._residual_block_forward(x, i, mode)
        w, b = self.params[f"W{i}"], self.params[f"b{i}"]
        conv_param = self.conv_params[i - 1]
        ### BEGIN SOLUTION
        if self.normalization:
            norm_param = self.norm_params[i - 1]
            norm_param["mode"] = mode
            out, cache = conv_norm_relu_forward(x, w, b, self.params[f"gamma{i}"],
                                                self.params[f"beta{i}"], conv_param, norm_param,
                                                self.normalization)
        else:
            out, cache = conv_relu_forward(x, w, b, conv_param)
        pool_cache = None
        if self.pools[i - 1]:
            out, pool_cache = max_pool_forward(out, POOL_PARAM)
        ### END SOLUTION
        return out, (cache, pool_cache)

    def _conv_block_backward(self, dout, cache, i, grads, need_dx=True):
        """Gradients of conv block i: stores its parameters' gradients in grads, returns dx.

        With need_dx False (the first block: nothing needs the gradient of the images) a block
        may return None instead and leave that gradient out; returning it anyway is right too.
        """
        if self.residual:
            return self._residual_block_backward(dout, cache, i, grads)
        block_cache, pool_cache = cache
        ### BEGIN SOLUTION
        if self.pools[i - 1]:
            dout = max_pool_backward(dout, pool_cache)
        if self.normalization:
            (dx, grads[f"W{i}"], grads[f"b{i}"],
             grads[f"gamma{i}"], grads[f"beta{i}"]) = conv_norm_relu_backward(dout, block_cache)
        elif not need_dx:
            grads[f"W{i}"], grads[f"b{i}"] = first_conv_backward(dout, block_cache)
            dx = None
        else:
            dx, grads[f"W{i}"], grads[f"b{i}"] = conv_relu_backward(dout, block_cache)
        ### END SOLUTION
        return dx

    def _forward(self, X, mode):
        """Scores (N, num_classes) for X (N, C, H, W) and the caches the backward pass needs."""
        _check_images("ConvNet", X, self.input_dim)
        caches = []
        out = X
        ### BEGIN SOLUTION
        for i in range(1, self.num_conv + 1):
            out, cache = self._conv_block_forward(out, i, mode)
            caches.append(cache)
        last = self.num_conv + self.num_affine
        for i in range(self.num_conv + 1, last):
            out, cache = affine_relu_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            caches.append(cache)
        scores, cache = affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])
        caches.append(cache)
        ### END SOLUTION
        return scores, caches

    def _backward(self, dscores, caches):
        """Gradients of every parameter given dscores (N, num_classes) and the forward's caches."""
        grads = {}
        ### BEGIN SOLUTION
        last = self.num_conv + self.num_affine
        dout, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(dscores, caches[-1])
        for i in range(last - 1, self.num_conv, -1):
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_relu_backward(dout, caches[i - 1])
        for i in range(self.num_conv, 0, -1):
            dout = self._conv_block_backward(dout, caches[i - 1], i, grads, need_dx=i > 1)
        ### END SOLUTION
        return grads
