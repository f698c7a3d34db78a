"""dlscratch: deep learning from scratch in numpy.

What a student writes
  layers            forward/backward pairs of plain functions: affine, activations, losses,
                    batch/layer norm, dropout, sandwiches; re-exports the three modules below
  conv_layers       convolution, max pooling, spatial batch/group norm (naive and fast)
  rnn_layers        vanilla RNN, LSTM and GRU steps and sequences, word embeddings, temporal
                    affine and softmax loss
  attention_layers  scaled dot-product attention with a padding mask
  optimizations     update rules: sgd, sgd_momentum, nesterov, adagrad, rmsprop, adam, adamw
  models            FullyConnectedNet, ThreeLayerConvNet, ConvNet, RecurrentNet, SkipGram, CBOW,
                    Seq2Seq (the classifiers share models.classifier.Classifier)
  solver            Solver, the one training loop for every model

Given tools
  gradient_check    numerical gradients and relative errors
  checkpoint        checkpoint files of arrays and JSON only (loading one runs no code)
  sparse            row gradients for word embeddings (RowGradient) and their readers
  plotting          loss and accuracy curves, run comparisons, image grids
  settings          DLSCRATCH_QUICK, the switch for short CI runs

The course's data
  data              the embedded digits and loaders for CIFAR-10 and MNIST
  text              character vocabulary, the embedded corpora, truncated-BPTT batches
  words             word vocabulary, corpora and (centre, context) examples for word2vec
  planted_corpus    a generated corpus with planted relations, and its analogy questions
  embeddings        neighbours, analogies, similarity scores and a 2-D picture of word vectors
  seq2seq_data      the date and addition translation tasks

Instructors
  exercises         the registry of the course's exercises (assignment mode; the release, the
                    grader and the notebooks read it)
"""
__version__ = "0.1.0"
