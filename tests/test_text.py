"""dlscratch.data.text: the corpora and the chunks for truncated BPTT."""
import math

import numpy as np
import pytest

from dlscratch.data import DatasetError
from dlscratch.data.text import (load_stdlib_corpus, load_text_file, stdlib_source_files,
                                 stream_chunks, text_file_available, unigram_perplexity)


# ------------------------------------------------------------------------------------------------
# Corpora
# ------------------------------------------------------------------------------------------------

def test_stdlib_source_files_are_sorted_library_code():
    files = stdlib_source_files()
    assert len(files) > 100
    assert files == sorted(files, key=lambda p: p.as_posix())
    names = {p.as_posix() for p in files}
    assert any(name.endswith("/json/decoder.py") for name in names)
    assert not any("site-packages" in name or "/test/" in name for name in names)


def test_stdlib_corpus_is_split_by_file_and_deterministic():
    corpus = load_stdlib_corpus(max_chars=300_000, val_fraction=0.2, seed=1)
    assert not set(corpus["train_files"]) & set(corpus["val_files"])
    total = len(corpus["train"]) + len(corpus["val"])
    separators = 2 * (len(corpus["train_files"]) + len(corpus["val_files"]) - 2)
    assert total - separators == 300_000
    assert 0.2 * 300_000 <= len(corpus["val"]) < len(corpus["train"])
    assert "def " in corpus["train"] and "import" in corpus["val"]
    again = load_stdlib_corpus(max_chars=300_000, val_fraction=0.2, seed=1)
    assert again["train"] == corpus["train"] and again["val"] == corpus["val"]
    other = load_stdlib_corpus(max_chars=300_000, val_fraction=0.2, seed=2)
    assert other["val_files"] != corpus["val_files"]


def test_stdlib_corpus_from_a_folder(tmp_path):
    for name, text in {"a.py": "x = 1\n", "pkg/b.py": "y = 2\n", "pkg/c.py": "z = 3\n",
                       "test/t.py": "never\n", "site-packages/s.py": "never\n",
                       "notes.txt": "never\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    corpus = load_stdlib_corpus(val_fraction=0.3, root=tmp_path)
    assert sorted(corpus["train_files"] + corpus["val_files"]) == ["a.py", "pkg/b.py", "pkg/c.py"]
    assert len(corpus["val_files"]) == 1 and "never" not in corpus["train"] + corpus["val"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no Python source"):
        load_stdlib_corpus(root=tmp_path / "empty")
    with pytest.raises(ValueError, match="val_fraction"):
        load_stdlib_corpus(val_fraction=1.0, root=tmp_path)


def test_text_file_loader(tmp_path):
    assert not text_file_available("corpus.txt", root=tmp_path)
    with pytest.raises(DatasetError, match="load_stdlib_corpus"):
        load_text_file("corpus.txt", root=tmp_path)
    (tmp_path / "corpus.txt").write_text("0123456789" * 10, encoding="utf-8")
    assert text_file_available("corpus.txt", root=tmp_path)
    corpus = load_text_file("corpus.txt", root=tmp_path, val_fraction=0.2)
    assert len(corpus["train"]) == 80 and len(corpus["val"]) == 20
    assert corpus["train"] + corpus["val"] == "0123456789" * 10
    assert len(load_text_file("corpus.txt", root=tmp_path, max_chars=50)["train"]) == 45


# ------------------------------------------------------------------------------------------------
# Chunks for truncated BPTT, and the unigram baseline
# ------------------------------------------------------------------------------------------------

def test_stream_chunks_layout():
    ids = np.arange(23)
    X, y = stream_chunks(ids, num_streams=2, seq_length=3)
    # 22 input positions: 2 streams of 11, each cut into 3 chunks of 3 (the rest is dropped)
    assert X.shape == y.shape == (6, 3)
    assert np.array_equal(y, X + 1)                          # the next id at every position
    assert X[0].tolist() == [0, 1, 2] and X[1].tolist() == [11, 12, 13]    # chunk 0 of streams 0, 1
    assert X[2].tolist() == [3, 4, 5] and X[3].tolist() == [14, 15, 16]    # chunk 1 continues them
    for b in range(2):                                        # every stream is contiguous text
        stream = X[b::2].ravel()
        assert np.array_equal(stream, np.arange(stream[0], stream[0] + 9))


def test_bad_stream_chunks_arguments():
    with pytest.raises(ValueError, match="too few"):
        stream_chunks(np.arange(10), num_streams=4, seq_length=3)
    with pytest.raises(TypeError, match="integer"):
        stream_chunks(np.arange(10.0), 1, 2)
    with pytest.raises(ValueError, match="at least 1"):
        stream_chunks(np.arange(10), 0, 2)


def test_unigram_perplexity():
    # train frequencies 3:1 (+1 smoothing -> 4/6 and 2/6), val all zeros
    assert unigram_perplexity([0, 0, 0, 1], [0, 0], vocab_size=2) == pytest.approx(1.5)
    # a uniform training text gives perplexity = vocabulary size
    assert unigram_perplexity(np.arange(5).repeat(10), [1, 2, 3], 5) == pytest.approx(5)
    # ids never seen in training still have a finite cost
    assert math.isfinite(unigram_perplexity([0, 0], [1, 2], 3))
