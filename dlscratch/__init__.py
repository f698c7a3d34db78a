"""dlscratch: deep learning from scratch in numpy.

layers         forward/backward pairs of plain functions (conv_layers, rnn_layers re-exported)
optimizations  update rules: sgd, sgd_momentum, nesterov, adagrad, rmsprop, adam, adamw
gradient_check numerical gradients and relative errors
models         FullyConnectedNet, ThreeLayerConvNet, ConvNet, RecurrentNet
solver         Solver, the one training loop for every model
checkpoint     checkpoint files of arrays and JSON only (loading one runs no code)
data           the embedded digits and loaders for the full public datasets
text           character vocabularies and the embedded text corpus
exercises      the registry of the course's exercises (assignment mode)
plotting       loss and accuracy curves, run comparisons, image grids
settings       DLSCRATCH_QUICK, the switch for short CI runs
"""
__version__ = "0.1.0"
