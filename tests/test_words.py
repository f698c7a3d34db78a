"""Subsampling, dynamic windows, the planted corpus and text8's loader."""
import zipfile
from collections import Counter

import numpy as np
import pytest

from dlscratch.data import DatasetError
from dlscratch.data.planted_corpus import RELATIONS, planted_corpus
from dlscratch.data.words import (CBOWExamples, ContextWindows, SkipGramExamples, extract_text8,
                                  keep_probabilities, load_text8)
from dlscratch.embeddings import read_analogy_questions


def test_keep_probabilities_follow_word2vec():
    counts = np.array([900, 90, 9, 1])
    keep = keep_probabilities(counts, sample=1e-2)
    share = counts / counts.sum()
    expected = np.minimum((np.sqrt(share / 1e-2) + 1) * 1e-2 / share, 1)
    assert np.allclose(keep, expected) and keep[0] < 0.15 and keep[-1] == 1
    assert np.all(keep_probabilities(counts, sample=0) == 1)


def test_windows_are_dynamic_and_stay_inside_sentences():
    """Every pair lies within the window and one sentence; distance d in 1..w is used with
    probability (w - d + 1) / w, the effect of drawing b uniformly from 1..w."""
    sentences = [np.arange(i * 50, i * 50 + 50) for i in range(40)]    # every word distinct
    counts = np.ones(2000)
    examples = SkipGramExamples(sentences, counts, window=3, sample=0, seed=0)
    centres, contexts = examples[np.arange(len(examples))]
    distance = np.abs(contexts - centres)
    assert distance.min() >= 1 and distance.max() <= 3
    assert np.all(centres // 50 == contexts // 50)                        # same sentence
    inner = (centres % 50 >= 3) & (centres % 50 < 47)                     # away from the edges
    inner_centres = 40 * 44
    per_side_and_centre = np.bincount(distance[inner], minlength=4)[1:] / (2 * inner_centres)
    assert np.allclose(per_side_and_centre, [1, 2 / 3, 1 / 3], atol=0.05)


def test_subsampling_drops_frequent_words_as_often_as_it_should():
    rng = np.random.default_rng(0)
    frequent = rng.choice(4, 20_000, p=[0.7, 0.2, 0.09, 0.01])
    # every other word is a rare one, always kept, so that every centre has a context
    tokens = np.stack([frequent, np.arange(4, 20_004)], axis=1).ravel()
    counts = np.bincount(tokens)
    examples = CBOWExamples(tokens, counts, window=2, sample=1e-2, seed=1)   # not the corpus seed
    _, centres = examples[np.arange(len(tokens))]
    kept_share = np.bincount(centres, minlength=4)[:4] / counts[:4]
    keep = keep_probabilities(counts, 1e-2)[:4]
    four_sigma = 4 * np.sqrt(keep * (1 - keep) / counts[:4])           # binomial spread
    assert np.all(np.abs(kept_share - keep) <= four_sigma + 1e-12) and keep[0] < 0.5


def test_cbow_and_skipgram_see_the_same_windows():
    tokens = np.random.default_rng(1).integers(0, 30, 500)
    counts = np.bincount(tokens, minlength=30)
    positions = np.arange(100, 200)
    contexts, cbow_centres = CBOWExamples(tokens, counts, window=4, seed=3)[positions]
    sg_centres, sg_contexts = SkipGramExamples(tokens, counts, window=4, seed=3)[positions]
    assert contexts.shape[1] == 8
    rows, columns = np.nonzero(contexts >= 0)
    assert np.array_equal(cbow_centres[rows], sg_centres)
    assert np.array_equal(contexts[rows, columns], sg_contexts)


def test_fixed_examples_are_fixed_and_leave_the_draws_alone():
    tokens = np.random.default_rng(1).integers(0, 30, 300)
    examples = SkipGramExamples(tokens, np.bincount(tokens, minlength=30), seed=0)
    twin = SkipGramExamples(tokens, np.bincount(tokens, minlength=30), seed=0)
    first, second = examples.fixed_examples(), examples.fixed_examples(max_positions=1000)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert all(np.array_equal(a, b) for a, b in zip(examples[np.arange(50)], twin[np.arange(50)]))


def test_bad_corpus_input():
    with pytest.raises(ValueError, match="window must be at least 1"):
        ContextWindows(np.arange(5), np.ones(5), window=0)
    with pytest.raises(ValueError, match=r"outside \[0, 5\)"):
        ContextWindows(np.arange(6), np.ones(5))


def test_planted_corpus_is_seeded_and_answers_its_own_questions():
    first, again = planted_corpus(500, seed=4), planted_corpus(500, seed=4)
    assert first["train"] == again["train"] and first["train"] != planted_corpus(500, seed=5)["train"]
    assert len(first["val"]) == 25 and len(first["train"]) == 475
    sections = read_analogy_questions(first["questions"])
    assert list(sections) == list(RELATIONS)
    assert all(len(q) == 14 * 13 for q in sections.values())
    counts = Counter(w for s in planted_corpus(20_000, seed=0)["train"] for w in s)
    planted_words = {w for r in RELATIONS.values() for pair in r["pairs"] for w in pair}
    assert min(counts[w] for w in planted_words) >= 50


def test_text8_loader_reads_words_across_chunk_boundaries(tmp_path):
    words = [f"w{i % 97}" for i in range(5000)]
    (tmp_path / "text8").write_text(" " + " ".join(words))      # text8 starts with a space
    assert load_text8(tmp_path, chunk_chars=777) == words
    assert load_text8(tmp_path, max_words=10, chunk_chars=50) == words[:10]
    with zipfile.ZipFile(tmp_path / "text8.zip", "w") as z:
        z.writestr("text8", "a b c")
    extract_text8(tmp_path / "text8.zip", tmp_path / "out")
    assert load_text8(tmp_path / "out") == ["a", "b", "c"]


def test_text8_missing_or_empty(tmp_path):
    with pytest.raises(DatasetError, match="make data"):
        load_text8(tmp_path)
    (tmp_path / "text8").write_text("   ")
    with pytest.raises(DatasetError, match="holds no words"):
        load_text8(tmp_path)
