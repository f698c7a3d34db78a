"""dlscratch: deep learning from scratch in numpy.

layers         forward/backward pairs of plain functions
optimizations  update rules: sgd, sgd_momentum, nesterov, adagrad, rmsprop, adam, adamw
gradient_check numerical gradients and relative errors
models         FullyConnectedNet, ...
solver         Solver, the one training loop for every model
data           the embedded digits and loaders for the full public datasets
plotting       loss and accuracy curves, run comparisons, image grids
settings       DLSCRATCH_QUICK, the switch for short CI runs
"""
__version__ = "0.1.0"
