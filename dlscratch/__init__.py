"""dlscratch: deep learning from scratch in numpy.

What a student writes
  layers/           forward/backward pairs of plain functions, one file per concept: core
                    (affine, ReLU, sigmoid, tanh), losses, normalization, dropout, conv,
                    recurrent, attention, sandwiches; `dlscratch.layers` gathers them all
  optimizations     update rules: sgd, sgd_momentum, nesterov, adagrad, rmsprop, adam, adamw
  models/           FullyConnectedNet, ThreeLayerConvNet, ConvNet, RecurrentNet, SkipGram, CBOW,
                    Seq2Seq, all on models.base.Model (the classifiers on models.classifier)
  solver            Solver, the one training loop for every model
  schedules         learning-rate schedules for the Solver: step, exponential, cosine, warm-up

Given tools
  gradient_check    numerical gradients, relative errors and a model's gradient table
  checkpoint        checkpoint files of arrays and JSON only (loading one runs no code)
  sparse            row gradients for word embeddings (RowGradient) and their readers
  embeddings        neighbours, analogies, similarity scores and a 2-D picture of word vectors
  experiments       runs over seeds, final values as mean ± sd, smoothing, learning-rate range test
  plotting          loss and accuracy curves, run comparisons over seeds, image grids
  settings          DLSCRATCH_QUICK, DLSCRATCH_PROGRESS and DLSCRATCH_MALLOC, the switches
                    read from the environment
  allocator         glibc's malloc told to keep freed memory for the next step (done on import)
  twins             twin_of: the fast twin of an exercise function where the course has one

The course's data
  data/             images (embedded digits, CIFAR-10, MNIST), vocabulary, text (character
                    corpora), words (word2vec corpora and examples), planted_corpus,
                    translation (the date and addition tasks), files (where data lives)

In the instructors' copy only
  fast              fast twins of exercise functions (adam, a first layer's backward): the same
                    numbers bit for bit with less work; the Solver and the models use them

The exercises, their points and notebooks are listed in assignment/exercises.py, outside the
package; the instructors' release and grader live beside it in assignment/.
"""
__version__ = "0.1.0"

from . import allocator  # noqa: E402,F401  (tunes malloc once, on import)
