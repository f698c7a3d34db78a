"""Text for the language models: a character vocabulary, the corpora, and batches for truncated
backpropagation through time.

The embedded corpus is the Python standard library's own source code, found at run time through
`sysconfig` (about 12 MB of real text on every machine with Python: no download, nothing to
ship). It is split into training and validation text by file, so the validation text is code the
model has never seen. A text file fetched into datasets/ (for example tinyshakespeare.txt) can be
loaded instead with `load_text_file`.

    corpus = load_stdlib_corpus(max_chars=1_000_000, seed=0)
    vocab = Vocabulary.from_text(corpus["train"], min_count=5)
    X, y = stream_chunks(vocab.encode(corpus["train"]), num_streams=32, seq_length=64)
"""
import math
import os
import sysconfig
from pathlib import Path

import numpy as np

from .files import DatasetError, data_root

# Folders of the standard library that hold no library code of its own: installed third-party
# packages, byte-code caches and test suites (which some distributions do not install at all).
STDLIB_SKIPPED_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__", "test", "tests",
                                 "idle_test"})
FILE_SEPARATOR = "\n\n"


# ------------------------------------------------------------------------------------------------
# Corpora
# ------------------------------------------------------------------------------------------------

def stdlib_root():
    """The folder of the running Python's standard library."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_source_files(root=None):
    """Every .py file of the standard library (no tests, no site-packages), sorted by path."""
    root = Path(root) if root is not None else stdlib_root()
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in STDLIB_SKIPPED_DIRS]
        files += [Path(folder, name) for name in names if name.endswith(".py")]
    if not files:
        raise DatasetError(f"found no Python source files under {root}: this Python installation "
                           "does not ship the standard library's sources")
    return sorted(files, key=lambda path: path.relative_to(root).as_posix())


def _read_source(path):
    """The text of a UTF-8 source file, or None when it cannot be read or decoded."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def load_stdlib_corpus(max_chars=None, val_fraction=0.1, seed=0, root=None):
    """The standard library's source code as training and validation text, split by file.

    The files are shuffled with default_rng(seed) and read in that order until max_chars
    characters are collected (None: all of them, about 12 MB); the first files of the shuffled
    order make up val_fraction of the characters for validation, the rest are for training.
    Files are joined with a blank line. Returns {"train", "val": str, "train_files",
    "val_files": list of paths relative to the library's folder, "source": str}.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    if max_chars is not None and max_chars < 2:
        raise ValueError(f"max_chars must be at least 2 (or None), got {max_chars}")
    root = Path(root) if root is not None else stdlib_root()
    files = stdlib_source_files(root)
    order = np.random.default_rng(seed).permutation(len(files))
    budget = math.inf if max_chars is None else max_chars
    texts, names, total = [], [], 0
    for index in order:
        text = _read_source(files[index])
        if not text:
            continue
        text = text[:int(min(len(text), budget - total))]
        texts.append(text)
        names.append(files[index].relative_to(root).as_posix())
        total += len(text)
        if total >= budget:
            break
    num_val, val_chars = 0, 0
    while num_val < len(texts) - 1 and val_chars < val_fraction * total:
        val_chars += len(texts[num_val])
        num_val += 1
    return {"train": FILE_SEPARATOR.join(texts[num_val:]),
            "val": FILE_SEPARATOR.join(texts[:num_val]),
            "train_files": names[num_val:], "val_files": names[:num_val],
            "source": f"Python {sysconfig.get_python_version()} standard library ({root})"}


def text_file_available(name="tinyshakespeare.txt", root=None):
    """True when the text file `name` is present in the data root (see dlscratch.data.data_root)."""
    return (data_root(root) / name).is_file()


def load_text_file(name="tinyshakespeare.txt", root=None, val_fraction=0.1, max_chars=None):
    """A fetched text corpus: its start for training, its last val_fraction for validation.

    Returns {"train", "val": str, "source": str}, like load_stdlib_corpus.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    path = data_root(root) / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"no text corpus at {path}; put a UTF-8 text file there, or use "
                           "load_stdlib_corpus(), which needs no download") from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path} is not UTF-8 text ({error})") from None
    text = text[:max_chars]
    cut = len(text) - int(round(val_fraction * len(text)))
    return {"train": text[:cut], "val": text[cut:], "source": str(path)}


# ------------------------------------------------------------------------------------------------
# Batches for truncated backpropagation through time, and a baseline
# ------------------------------------------------------------------------------------------------

def stream_chunks(ids, num_streams, seq_length):
    """Lay a long id sequence out as num_streams parallel streams cut into chunks of seq_length.

    Returns X and y, each (num_chunks * num_streams, seq_length): y is X shifted by one position
    (the next id to predict), and rows [k*B, (k+1)*B) with B = num_streams hold the k-th chunks of
    the B streams. So minibatches of B rows taken in order (Solver(..., shuffle=False,
    batch_size=B)) each continue the previous one, and a model can carry its hidden state across.
    Stream b is the b-th of B equal consecutive pieces of ids; the ids that do not fill a whole
    chunk at the end are dropped.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"stream_chunks: ids must be a 1-D integer array, got {ids.dtype} "
                        f"of shape {ids.shape}")
    if num_streams < 1 or seq_length < 1:
        raise ValueError(f"stream_chunks: num_streams and seq_length must be at least 1, got "
                         f"{num_streams} and {seq_length}")
    num_chunks = (len(ids) - 1) // num_streams // seq_length
    if num_chunks == 0:
        raise ValueError(f"stream_chunks: {len(ids)} ids are too few for {num_streams} streams "
                         f"of at least one chunk of {seq_length} (+1 for the last target)")
    stream_length = num_chunks * seq_length
    stride = (len(ids) - 1) // num_streams        # where each stream starts

    def layout(offset):
        streams = np.stack([ids[b * stride + offset: b * stride + offset + stream_length]
                            for b in range(num_streams)])            # (B, num_chunks * T)
        return (streams.reshape(num_streams, num_chunks, seq_length)
                .swapaxes(0, 1).reshape(num_chunks * num_streams, seq_length))

    return layout(0), layout(1)


def unigram_perplexity(train_ids, val_ids, vocab_size):
    """Perplexity on val_ids of the best model that ignores context: the training frequencies.

    Each id's probability is its count in train_ids plus one, normalised (add-one smoothing, so
    an id never seen in training still has a finite cost).
    """
    counts = np.bincount(np.ravel(train_ids), minlength=vocab_size) + 1.0
    log_probs = np.log(counts / counts.sum())
    return float(np.exp(-log_probs[np.ravel(val_ids)].mean()))
