"""A fully-connected network of any depth, with optional batch/layer normalisation and dropout."""
import zlib

import numpy as np

from ..layers import (affine_backward, affine_forward, affine_norm_relu_backward,
                      affine_norm_relu_forward, affine_relu_backward, affine_relu_forward,
                      affine_relu_param_backward, dropout_backward, dropout_forward)
from .._validate import require_sizes
from ..twins import twin_of
from .classifier import Classifier

# the first layer's parameter gradients (its input's gradient is never used; see twins.py)
first_layer_backward = twin_of(affine_relu_param_backward)


class FullyConnectedNet(Classifier):
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax.

    Parameters: W1..WL and b1..bL for the affine layers; gamma1..gamma(L-1) and beta1..beta(L-1)
    for the normalisation layers when normalization is 'batchnorm' or 'layernorm'.
    """

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        super().__init__(reg=reg, dtype=dtype, seed=seed)
        if normalization not in (None, "batchnorm", "layernorm"):
            raise ValueError("normalization must be None, 'batchnorm' or 'layernorm', "
                             f"got {normalization!r}")
        if not 0 < dropout_keep_ratio <= 1:
            raise ValueError("dropout_keep_ratio is the probability of keeping a unit and must "
                             f"lie in (0, 1], got {dropout_keep_ratio}")
        require_sizes("FullyConnectedNet", input_dim=input_dim, num_classes=num_classes,
                      **{f"hidden_dims[{i}]": d for i, d in enumerate(hidden_dims)})
        self.input_dim = input_dim
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.dropout_keep_ratio = dropout_keep_ratio
        self.num_layers = len(hidden_dims) + 1

        dims = [input_dim, *hidden_dims, num_classes]
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            self.params[f"W{i}"] = self._init_weight((fan_in, fan_out), weight_scale)
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=self.dtype)
            if normalization and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(fan_out, dtype=self.dtype)
                self.params[f"beta{i}"] = np.zeros(fan_out, dtype=self.dtype)
        # Running statistics of the batchnorm layers live here, not in params: they are not learned.
        self.bn_params = [{} for _ in range(self.num_layers - 1)] if normalization else []

    def _dropout_params(self, X, mode):
        """Dropout settings for each hidden layer in one forward pass over the batch X."""
        params = [{"p": self.dropout_keep_ratio, "mode": mode} for _ in range(self.num_layers - 1)]
        if self.seed is not None:
            # Seeding the mask with the model's seed, the batch's contents and the layer gives each
            # batch and layer its own mask, yet the same batch always the same one: training still
            # sees fresh masks, and repeated calls in a gradient check see identical ones.
            batch_key = zlib.crc32(np.ascontiguousarray(X).data)
            for layer, param in enumerate(params, start=1):
                param["seed"] = [self.seed, batch_key, layer]
        return params

    def _forward(self, X, mode):
        """Scores (N, num_classes) for X (N, ...) and the caches the backward pass needs."""
        if X.ndim < 2 or np.prod(X.shape[1:]) != self.input_dim:
            raise ValueError(f"FullyConnectedNet expects X of shape (N, {self.input_dim}) or any "
                             f"(N, ...) with {self.input_dim} values per example; got {X.shape}")
        caches = []
        out = X
        dropout_params = self._dropout_params(X, mode) if self.use_dropout else None
        ### BEGIN SOLUTION
        for i in range(1, self.num_layers):
            w, b = self.params[f"W{i}"], self.params[f"b{i}"]
            if self.normalization:
                norm_param = self.bn_params[i - 1]
                norm_param["mode"] = mode
                out, cache = affine_norm_relu_forward(
                    out, w, b, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                    norm_param, self.normalization)
            else:
                out, cache = affine_relu_forward(out, w, b)
            dropout_cache = None
            if self.use_dropout:
                out, dropout_cache = dropout_forward(out, dropout_params[i - 1])
            caches.append((cache, dropout_cache))
        L = self.num_layers
        scores, cache = affine_forward(out, self.params[f"W{L}"], self.params[f"b{L}"])
        caches.append(cache)
        ### END SOLUTION
        return scores, caches

    def _backward(self, dscores, caches):
        """Gradients of every parameter given dscores (N, num_classes) and the forward's caches."""
        grads = {}
        ### BEGIN SOLUTION
        L = self.num_layers
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, caches[-1])
        for i in range(L - 1, 0, -1):
            cache, dropout_cache = caches[i - 1]
            if self.use_dropout:
                dout = dropout_backward(dout, dropout_cache)
            if self.normalization:
                (dout, grads[f"W{i}"], grads[f"b{i}"],
                 grads[f"gamma{i}"], grads[f"beta{i}"]) = affine_norm_relu_backward(dout, cache)
            elif i == 1:        # nothing uses the gradient of the input X: skip it
                grads["W1"], grads["b1"] = first_layer_backward(dout, cache)
            else:
                dout, grads[f"W{i}"], grads[f"b{i}"] = affine_relu_backward(dout, cache)
        ### END SOLUTION
        return grads
