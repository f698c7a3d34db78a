"""The course's data: every dataset a notebook trains on, and the one vocabulary of every text model.

  images          the embedded digits (no download) and loaders for CIFAR-10 and MNIST
  vocabulary      Vocabulary: tokens (characters or words) <-> integer ids, for every text model
  text            character corpora (Python's standard library, a text file) and the batches of
                  truncated backpropagation through time
  words           word corpora (text8) and the (centre, context) examples of word2vec
  planted_corpus  a generated corpus with planted relations, and its analogy questions
  translation     the date and addition tasks of the sequence-to-sequence notebook
  files           where the data files live, and DatasetError

The image loaders are also reachable from here (`from dlscratch.data import load_embedded_digits`).
"""
from .files import DatasetError, data_root  # noqa: F401
from .images import (cifar10_available, dataset_summary, load_cifar10, load_digits,  # noqa: F401
                     load_embedded_digits, load_mnist, mnist_available)
