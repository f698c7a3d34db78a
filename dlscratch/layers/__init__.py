"""Layers as pairs of plain functions: `from dlscratch import layers; layers.affine_forward(...)`.

Every `*_forward` returns `(out, cache)` and every `*_backward(dout, cache)` returns the gradients
with respect to the forward's inputs, in the order they were passed. Inputs are never modified in
place, and every function returns arrays of its input's dtype (float32 or float64).

One file per concept, in the order the course meets them:
  core           affine, ReLU, sigmoid, tanh; GELU                        (notebook 01; 08)
  losses         softmax and SVM losses, the temporal softmax loss        (01, 05)
  normalization  batch norm, layer norm, spatial batch norm, group norm   (03, 04; 08)
  dropout        inverted dropout                                         (03)
  conv           convolution and max pooling, naive and fast              (04)
  recurrent      RNN, LSTM and GRU steps and sequences, word embeddings,
                 the temporal affine layer                                (05)
  attention      scaled dot-product attention with a padding mask         (07)
                 causal and multi-head attention, sinusoidal positions    (08)
  sandwiches     the blocks the models chain: affine-relu, conv-norm-relu-pool, ...,
                 the pre-norm Transformer block                           (08)
This module gathers every public name of those files, so one import reaches them all.
"""
from .attention import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .core import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .sandwiches import *  # noqa: F401,F403
