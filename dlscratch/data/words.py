"""Words for word2vec: a vocabulary, the corpora, and (centre, context) examples made on the fly.

    corpus = planted_corpus(num_sentences=100_000, seed=0)       # no download needed
    vocab = Vocabulary.from_sentences(corpus["train"], min_count=5)
    train = SkipGramExamples(vocab.encode_sentences(corpus["train"]), vocab.counts, window=5)
    X_batch, y_batch = train[positions]          # the examples centred on those corpus positions

The example sets are what the Solver's X_train can be instead of an array: len() is the number of
words in the corpus, and indexing with positions draws, as the original word2vec does, a window
size b uniform in 1..window for every centre word and drops frequent words with the probability
of `keep_probabilities`. An epoch of the Solver visits every position once, and every epoch draws
new windows and a new subsample, without ever materialising the examples of the whole corpus.
"""
import zipfile
from pathlib import Path

import numpy as np

from .files import DatasetError, data_root

TEXT8_FILENAME = "text8"
ANALOGY_FILENAME = "questions-words.txt"


def keep_probabilities(counts, sample=1e-3):
    """word2vec's subsampling: the chance (V,) of keeping each occurrence of a word, given the
    counts (V,). A word making up a share f of the corpus is kept with (√(f/sample) + 1)·sample/f,
    capped at 1: rare words are always kept, the commonest ones mostly dropped. sample=0: keep all."""
    counts = np.asarray(counts, dtype=np.float64)
    if not sample:
        return np.ones(len(counts))
    share = counts / counts.sum()
    with np.errstate(divide="ignore"):
        keep = (np.sqrt(share / sample) + 1) * sample / share
    return np.minimum(keep, 1.0)


class ContextWindows:
    """The centre words of a corpus and their dynamic, subsampled context windows.

    corpus: a list of sentences (id arrays) or one id array; windows never cross sentences.
    counts (V,): word counts, for the subsampling. window: the largest window (b <= window words on
    each side). sample: the subsampling threshold (0 keeps every word). seed: the draws' seed.
    """

    def __init__(self, corpus, counts, window=5, sample=1e-3, seed=0):
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        sentences = [np.asarray(corpus)] if np.ndim(corpus[0]) == 0 else [np.asarray(s) for s in corpus]
        self.tokens = np.concatenate(sentences).astype(np.int64)
        if self.tokens.size == 0:
            raise ValueError("the corpus is empty")
        if self.tokens.min() < 0 or self.tokens.max() >= len(counts):
            raise ValueError(f"the corpus holds ids outside [0, {len(counts)}) (len(counts))")
        # each word's sentence as the range [first, end) of corpus positions
        lengths = np.array([len(s) for s in sentences])
        ends = np.cumsum(lengths)
        self.sentence_first = np.repeat(ends - lengths, lengths)
        self.sentence_end = np.repeat(ends, lengths)
        self.window = window
        self.keep = keep_probabilities(counts, sample)
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        """The number of words in the corpus: the positions an epoch visits."""
        return len(self.tokens)

    def windows(self, positions):
        """The kept centre words at positions (B,) and their context words:
        -> centres (P,), contexts (P, 4·window) padded with -1: the left side's 2·window slots, then
        the right side's, each nearest first; P <= B (centres that were dropped or have no kept
        neighbour are left out)."""
        positions = np.asarray(positions, dtype=np.int64).ravel()
        kept_centre = self.rng.random(len(positions)) < self.keep[self.tokens[positions]]
        positions = positions[kept_centre]
        sizes = self.rng.integers(1, self.window + 1, size=len(positions))
        contexts = self._nearest_kept(positions, sizes).reshape(len(positions), -1)
        has_context = np.any(contexts >= 0, axis=1)
        return self.tokens[positions[has_context]], contexts[has_context]

    def _nearest_kept(self, positions, sizes):
        """Per centre, the ids of the sizes[i] nearest kept words on its left and on its right
        (each side ordered nearest first), -1 elsewhere: -> (B, 2, 2·window)."""
        # look twice as far as the window on each side, so that dropped words can be skipped over
        reach = np.arange(1, 2 * self.window + 1)
        neighbours = positions[:, None, None] + np.stack([-reach, reach])      # (B, 2, 2·window)
        inside = ((neighbours >= self.sentence_first[positions, None, None])
                  & (neighbours < self.sentence_end[positions, None, None]))
        ids = self.tokens[np.clip(neighbours, 0, len(self.tokens) - 1)]
        usable = inside & (self.rng.random(ids.shape) < self.keep[ids])
        taken = usable & (np.cumsum(usable, axis=2) <= sizes[:, None, None])
        return np.where(taken, ids, -1)

    def examples_per_position(self, sample_size=20_000, seed=0):
        """The average number of examples a corpus position yields (estimated on a fixed sample):
        a minibatch of B positions holds about B times this many examples. word2vec's learning
        rate is per example; our losses are means over the batch, so sgd's rate is that times this."""
        positions = np.random.default_rng(seed).integers(0, len(self), min(sample_size, len(self)))
        saved, self.rng = self.rng, np.random.default_rng(seed)
        try:
            return len(self[positions][1]) / len(positions)
        finally:
            self.rng = saved

    def fixed_examples(self, max_positions=None, seed=0):
        """The examples of the first max_positions positions (all by default), drawn once with
        `seed`: fixed arrays (X, y) for a validation set."""
        saved, self.rng = self.rng, np.random.default_rng(seed)
        try:
            return self[np.arange(min(len(self), max_positions or len(self)))]
        finally:
            self.rng = saved


class SkipGramExamples(ContextWindows):
    """Skip-gram's examples: indexing with positions gives (centres (P,), contexts (P,)), one pair
    per (centre, context word)."""

    def __getitem__(self, positions):
        centres, contexts = self.windows(positions)
        rows, columns = np.nonzero(contexts >= 0)
        return centres[rows], contexts[rows, columns]


class CBOWExamples(ContextWindows):
    """CBOW's examples: indexing with positions gives (contexts (P, 2·window) padded with -1,
    centres (P,)), one example per kept centre word."""

    def __getitem__(self, positions):
        centres, contexts = self.windows(positions)
        # move each row's context words to the front, then cut the padding to 2·window columns
        order = np.argsort(contexts < 0, axis=1, kind="stable")[:, :2 * self.window]
        return np.take_along_axis(contexts, order, axis=1), centres


# ------------------------------------------------------------------------------------------------
# Corpora
# ------------------------------------------------------------------------------------------------

def load_text8(root=None, max_words=None, chunk_chars=1 << 24):
    """The words of text8 (fetched by `make data`): a list of str, the first max_words if given."""
    path = data_root(root) / TEXT8_FILENAME
    if not path.is_file():
        raise DatasetError(f"text8 is not at {path}; run `make data` (or python datasets/fetch.py "
                           "text8) to fetch it, or use planted_corpus(), which needs no download")
    words = []
    with open(path, encoding="ascii", errors="strict") as f:
        carry = ""
        while max_words is None or len(words) < max_words:
            chunk = f.read(chunk_chars)
            if not chunk:
                break
            pieces = (carry + chunk).split(" ")
            carry = pieces.pop()               # may be a word cut in two by the chunk boundary
            words.extend(p for p in pieces if p)
        words.extend(carry.split())
    if not words:
        raise DatasetError(f"{path} holds no words; delete it and fetch it again")
    return words[:max_words]


def analogy_questions_path(root=None):
    """Where `make data` puts Google's analogy questions (questions-words.txt)."""
    return data_root(root) / ANALOGY_FILENAME


def text8_available(root=None):
    """True when text8 and the analogy questions have been fetched."""
    return (data_root(root) / TEXT8_FILENAME).is_file() and analogy_questions_path(root).is_file()


def extract_text8(archive, dest):
    """Unpack text8.zip's single member 'text8' into dest (a folder)."""
    with zipfile.ZipFile(archive) as z:
        if TEXT8_FILENAME not in z.namelist():
            raise DatasetError(f"{archive} does not contain {TEXT8_FILENAME!r}")
        z.extract(TEXT8_FILENAME, Path(dest))
