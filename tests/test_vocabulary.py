"""dlscratch.data.vocabulary: the one vocabulary of characters and words, and its public doors."""
import numpy as np
import pytest

from dlscratch.data.translation import encode_pairs
from dlscratch.data.vocabulary import SEQUENCE_SPECIALS, UNK, Vocabulary

UNK_CHAR = Vocabulary.unk_char


# --- characters, as the language models use them: <unk> = 0 ---------------------------------------

def test_characters_round_trip_in_code_point_order():
    vocab = Vocabulary.from_text("hello, world")
    assert len(vocab) == 1 + len(set("hello, world")) and vocab.unk_id == 0
    assert vocab.tokens == [UNK] + sorted(set("hello, world"))       # deterministic
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64 and ids.min() >= 1
    assert vocab.decode(ids) == "hello" and ids[2] == ids[3] == vocab.encode("l")[0]
    assert repr(vocab) == "Vocabulary(10 ids: <unk> and 9 characters)"


def test_unseen_characters_become_unk():
    vocab = Vocabulary.from_text("abc")
    ids = vocab.encode("a€bz\U0001F600")
    assert ids.tolist() == [1, 0, 2, 0, 0]
    assert vocab.decode(ids) == f"a{UNK_CHAR}b{UNK_CHAR}{UNK_CHAR}"
    assert "a" in vocab and "z" not in vocab and UNK not in vocab
    assert vocab.encode("").shape == (0,)


def test_min_count_and_max_size():
    text = "aaaa bbb cc d"
    assert Vocabulary.from_text(text, min_count=3).tokens[1:] == [" ", "a", "b"]
    assert Vocabulary.from_text(text, max_size=2).tokens[1:] == [" ", "a"]   # the 2 commonest
    rare = Vocabulary.from_text(text, min_count=2)
    assert rare.encode("d").tolist() == [rare.unk_id]


def test_non_ascii_text_round_trips():
    text = "naïve café — Ωμέγα 😀"
    vocab = Vocabulary.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text


# --- characters for Seq2Seq: <pad> <start> <end> <unk> = 0 1 2 3 ---------------------------------

def test_sequence_vocabulary_special_ids_end_and_padding():
    vocab = Vocabulary("abc-", SEQUENCE_SPECIALS)
    assert len(vocab) == 8 and vocab.tokens[:4] == ["<pad>", "<start>", "<end>", "<unk>"]
    assert (vocab.pad_id, vocab.start_id, vocab.end_id, vocab.unk_id) == (0, 1, 2, 3)
    assert vocab.encode("cab-").tolist() == [6, 4, 5, 7]
    assert vocab.encode("ab", add_end=True).tolist() == [4, 5, 2]
    assert vocab.encode("axb").tolist() == [4, 3, 5] and vocab.decode([4, 3, 5]) == f"a{UNK_CHAR}b"
    assert vocab.decode([1, 4, 5, 2, 6, 0]) == "ab"                       # stops at <end>
    batch = vocab.encode_batch(["ab", "c", ""], add_end=True)
    assert batch.tolist() == [[4, 5, 2], [6, 2, 0], [2, 0, 0]]
    assert vocab.decode_batch(batch) == ["ab", "c", ""]


def test_vocabularies_from_pairs_and_pairs_encoded_for_seq2seq():
    pairs = [("3+4", "7"), ("12+9", "21")]
    source, target = Vocabulary.from_pairs(pairs)
    assert source.tokens[4:] == sorted("0123456789+"[i] for i in (1, 2, 3, 4, 9, 10))
    assert target.tokens[4:] == ["1", "2", "7"] and target.pad_id == 0 and target.end_id == 2
    X, y = encode_pairs(pairs, source, target)
    assert X.shape == (2, 4) and y.shape == (2, 3)
    assert source.decode_batch(X) == ["3+4", "12+9"] and target.decode_batch(y) == ["7", "21"]
    assert y[0].tolist() == [target.id_of("7"), target.end_id, target.pad_id]
    X, y = encode_pairs(pairs, source, target, source_length=6, target_length=5)
    assert X.shape == (2, 6) and y.shape == (2, 5)


# --- words, as word2vec uses them: commonest first, no special token --------------------------------

def test_words_are_ordered_by_count_then_alphabet_and_rare_words_dropped():
    vocab = Vocabulary.from_sentences([["b", "a", "c", "a"], ["b", "d", "a"]], min_count=2)
    assert vocab.tokens == ["a", "b"] and list(vocab.counts) == [3, 2]
    assert list(vocab.encode(["d", "b", "zebra", "a"])) == [1, 0]      # unknown words left out
    assert vocab.decode([1, 0]) == ["b", "a"] and "a" in vocab and "c" not in vocab
    assert repr(vocab) == "Vocabulary(2 words, 5 tokens)"
    with pytest.raises(KeyError, match="'c' is not in the vocabulary"):
        vocab.id_of("c")
    with pytest.raises(ValueError, match="min_count=9"):
        Vocabulary.from_sentences([["a"]], min_count=9)


@pytest.mark.parametrize("call, message", [
    (lambda: Vocabulary("aab"), "distinct"),
    (lambda: Vocabulary(["ab"], characters=True), "distinct single characters"),
    (lambda: Vocabulary("ab").decode([3]), r"\[0, 3\)"),
    (lambda: Vocabulary("ab", SEQUENCE_SPECIALS).decode([9]), r"\[0, 6\)"),
    (lambda: Vocabulary("ab", SEQUENCE_SPECIALS).encode_batch(["abab"], length=3), "needs 4 ids"),
    (lambda: Vocabulary("ab").encode_batch(["a"]), "needs a vocabulary with the <pad> token"),
    (lambda: Vocabulary("ab").encode("a", add_end=True), "<end> token"),
    (lambda: Vocabulary(["<pad>", "a"]), "specials must be"),
    (lambda: Vocabulary("ab", ("<mask>",)), "specials must be"),
    (lambda: Vocabulary(["a", "b"], (), counts=[1]), "one count per token"),
])
def test_bad_arguments_are_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()
