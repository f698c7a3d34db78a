"""Neighbours, analogies, analogy files, similarity correlation and the 2-D projection."""
import numpy as np
import pytest

from dlscratch.embeddings import (analogy, analogy_accuracy, most_similar, pca_2d,
                                  read_analogy_questions, read_similarity_pairs,
                                  similarity_correlation)
from dlscratch.data.vocabulary import Vocabulary

WORDS = ["king", "queen", "man", "woman", "paris", "france", "rome", "italy", "apple"]


@pytest.fixture
def toy():
    """Vectors built so that queen - king = woman - man and france - paris = italy - rome."""
    vocab = Vocabulary(WORDS, (), np.ones(len(WORDS)), characters=False)
    royal, person, female = np.eye(6)[0], np.eye(6)[1], np.eye(6)[2]
    city, country, rome_topic, paris_topic = np.eye(6)[3], np.eye(6)[4], np.eye(6)[5], -np.eye(6)[5]
    vectors = np.stack([royal, royal + female, person, person + female,
                        city + paris_topic, country + paris_topic, city + rome_topic,
                        country + rome_topic, 0.3 * (royal + person + city)])
    return vectors, vocab


def test_most_similar_ranks_by_cosine_and_leaves_the_word_out(toy):
    vectors, vocab = toy
    neighbours = most_similar(vectors, vocab, "king", k=3)
    assert neighbours[0] == ("queen", pytest.approx(1 / np.sqrt(2)))
    assert "king" not in [w for w, _ in neighbours]
    assert [s for _, s in neighbours] == sorted([s for _, s in neighbours], reverse=True)


def test_analogy_by_3cosadd_excludes_the_question_words(toy):
    vectors, vocab = toy
    assert analogy(vectors, vocab, "man", "woman", "king")[0][0] == "queen"
    assert analogy(vectors, vocab, "paris", "france", "rome")[0][0] == "italy"
    # b - a + c = b when a = c: the answer would be b itself, which is excluded
    assert analogy(vectors, vocab, "man", "woman", "man")[0][0] != "woman"


QUESTIONS = """: family
man woman king queen
king queen man woman
king queen man apple
: capitals
Paris France Rome Italy
paris france berlin germany
"""


def test_analogy_file_is_read_per_section(tmp_path):
    sections = read_analogy_questions(QUESTIONS)
    assert list(sections) == ["family", "capitals"] and len(sections["family"]) == 3
    assert sections["capitals"][0] == ("paris", "france", "rome", "italy")      # lower-cased
    (tmp_path / "q.txt").write_text(QUESTIONS)
    assert read_analogy_questions(tmp_path / "q.txt") == sections
    with pytest.raises(ValueError, match="line 2: expected four words"):
        read_analogy_questions(": s\na b c\n")
    with pytest.raises(ValueError, match="before the first"):
        read_analogy_questions("a b c d\n: s\n")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_analogy_questions(tmp_path / "missing.txt")


def test_analogy_accuracy_counts_per_section_and_skips_unknown_words(toy):
    vectors, vocab = toy
    report = analogy_accuracy(vectors, vocab, QUESTIONS)
    assert (report["family"].correct, report["family"].answered) == (2, 3)
    assert (report["capitals"].correct, report["capitals"].answered, report["capitals"].skipped) == (1, 1, 1)
    assert report.accuracy == pytest.approx(3 / 4) and report.total.skipped == 1
    assert "family" in report.table() and "75.0%" in report.table()


def test_similarity_correlation_ranks_ties_by_their_average_rank():
    vocab = Vocabulary(["a", "b", "c", "d"], (), np.ones(4), characters=False)
    # cosines of the pairs: 1, 0, 0 (a tie) and -1; an unknown word's pair is skipped
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]])
    pairs = [("a", "c", 3.0), ("a", "b", 2.0), ("b", "c", 2.0), ("a", "d", 1.0), ("a", "zz", 9.0)]
    assert similarity_correlation(vectors, vocab, pairs) == (pytest.approx(1.0), 4, 1)
    # ranks 4, 2.5, 2.5, 1 against 1, 3.5, 3.5, 2: a Pearson correlation of -1.5 / 4.5
    pairs[0] = ("a", "c", 0.0)
    assert similarity_correlation(vectors, vocab, pairs)[0] == pytest.approx(-1 / 3, abs=1e-12)


def test_similarity_correlation_over_known_pairs(toy, tmp_path):
    vectors, vocab = toy
    text = ("# Word 1\tWord 2\tHuman (mean)\nking\tqueen\t9.0\nking\tapple\t2.0\n"
            "paris\tfrance\t8.0\nman\tzebra\t5.0\nparis\titaly\t1.0\n")
    (tmp_path / "pairs.tsv").write_text(text)
    pairs = read_similarity_pairs(tmp_path / "pairs.tsv")
    assert pairs[0] == ("king", "queen", 9.0) and len(pairs) == 5
    rho, used, skipped = similarity_correlation(vectors, vocab, pairs)
    # cosines 0.71, 0.58, 0.5, -0.5 rank 4 3 2 1; the human scores 9 2 8 1 rank 4 2 3 1
    assert (used, skipped) == (4, 1) and rho == pytest.approx(0.8)
    assert read_similarity_pairs("word1 word2 score\na b 1\nc d 2\n")[1] == ("c", "d", 2.0)
    with pytest.raises(ValueError, match="line 3"):
        read_similarity_pairs("a b 1\nc d 2\ne f\n")


def test_pca_2d_keeps_the_two_directions_of_largest_spread():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(200, 2)) * [5.0, 1.0]
    rotation = np.linalg.qr(rng.normal(size=(4, 4)))[0][:, :2]
    projected = pca_2d(points @ rotation.T + 3.0)
    assert np.allclose(np.abs(np.corrcoef(projected[:, 0], points[:, 0])[0, 1]), 1, atol=1e-3)
    assert projected[:, 0].var() > projected[:, 1].var() > 0
    assert np.allclose(projected.mean(axis=0), 0)
