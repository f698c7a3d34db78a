"""Vocabulary: tokens (characters or words) <-> integer ids, the one vocabulary of every text model.

Ids 0, 1, ... are the vocabulary's special tokens, in the order given, then its ordinary tokens.
Each model asks for the special tokens it needs:

    Vocabulary.from_text(text)                   characters, <unk> = 0       (language models)
    Vocabulary.from_pairs(pairs)                 characters of sources and targets, <pad> = 0,
                                                 <start> = 1, <end> = 2, <unk> = 3   (Seq2Seq)
    Vocabulary.from_sentences(sentences)         words, commonest first, no special token (word2vec)

A token outside the vocabulary is encoded as <unk>, or left out when the vocabulary has no <unk>
(as word2vec does). Decoding stops at the first <end>, skips <pad> and <start>, and returns a
string for a vocabulary of characters and a list for one of words.
"""
from collections import Counter

import numpy as np

PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"
SPECIAL_TOKENS = (PAD, START, END, UNK)
# the special tokens of a sequence-to-sequence model, in the id order Seq2Seq relies on
SEQUENCE_SPECIALS = (PAD, START, END, UNK)


class Vocabulary:
    """Maps tokens to ids 0..len-1 and back: the special tokens first, then the ordinary ones."""

    unk_char = "\ufffd"        # what decode() writes for <unk> in text: the replacement character

    def __init__(self, tokens, specials=(UNK,), counts=None, characters=None):
        """tokens: distinct strings, given ids len(specials), len(specials) + 1, ... in order.

        specials: some of <pad>, <start>, <end>, <unk>, in the order of their ids.
        counts: optional corpus counts of the tokens (word2vec's noise distribution reads them).
        characters: whether the tokens are the characters of a text (decode returns a string);
        by default, whether every token is a single character.
        """
        tokens, specials = list(tokens), tuple(specials)
        if len(set(tokens)) != len(tokens) or not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("Vocabulary needs distinct, non-empty string tokens")
        if set(tokens) & set(SPECIAL_TOKENS) or not set(specials) <= set(SPECIAL_TOKENS) \
                or len(set(specials)) != len(specials):
            raise ValueError(f"Vocabulary: specials must be distinct tokens among {SPECIAL_TOKENS} "
                             f"and no ordinary token may be one of them; got specials {specials}")
        self.characters = all(len(t) == 1 for t in tokens) if characters is None else characters
        if self.characters and not all(len(t) == 1 for t in tokens):
            raise ValueError("Vocabulary of characters needs distinct single characters")
        self.specials = specials
        self.tokens = list(specials) + tokens                     # id -> token
        self._id_of = {t: i for i, t in enumerate(self.tokens)}
        for name, token in (("pad_id", PAD), ("start_id", START), ("end_id", END), ("unk_id", UNK)):
            setattr(self, name, self._id_of.get(token))
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(tokens),):
                raise ValueError(f"Vocabulary: one count per token is needed, got {counts.shape} "
                                 f"for {len(tokens)} tokens")
            counts = np.concatenate([np.zeros(len(specials), dtype=np.int64), counts])
        self.counts = counts
        # the code points in sorted order with their ids: encode() maps a whole text at once
        codes = np.array([ord(t) for t in tokens] if self.characters else [], dtype=np.int64)
        order = np.argsort(codes)
        self._sorted_codes = codes[order]
        self._ids_of_sorted = (order + len(specials)).astype(np.int64)

    # --- constructors ------------------------------------------------------------------------

    @classmethod
    def from_text(cls, text, min_count=1, max_size=None, specials=(UNK,)):
        """The characters of a text seen at least min_count times (at most the max_size
        commonest), in code-point order, so the same text always gives the same ids."""
        return cls.from_texts([text], min_count, max_size, specials)

    @classmethod
    def from_texts(cls, texts, min_count=1, max_size=None, specials=SEQUENCE_SPECIALS):
        """The characters of several texts (see from_text); by default with the special tokens
        of a sequence-to-sequence model."""
        counts = Counter()
        for text in texts:
            counts.update(text)
        kept = [c for c, n in counts.most_common(max_size) if n >= min_count]
        return cls(sorted(kept), specials, characters=True)

    @classmethod
    def from_pairs(cls, pairs, specials=SEQUENCE_SPECIALS):
        """(source vocabulary, target vocabulary) of (source text, target text) pairs."""
        pairs = list(pairs)
        return (cls.from_texts([s for s, _ in pairs], specials=specials),
                cls.from_texts([t for _, t in pairs], specials=specials))

    @classmethod
    def from_counts(cls, counter, min_count=5, max_size=None, specials=()):
        """The words counted at least min_count times (at most max_size of the commonest), the
        commonest first; ties in count in alphabetical order, so a corpus always gives the same ids."""
        kept = sorted(((w, n) for w, n in counter.items() if n >= min_count),
                      key=lambda wn: (-wn[1], wn[0]))[:max_size]
        if not kept:
            raise ValueError(f"no word occurs at least min_count={min_count} times")
        return cls([w for w, _ in kept], specials, counts=[n for _, n in kept], characters=False)

    @classmethod
    def from_sentences(cls, sentences, min_count=5, max_size=None, specials=()):
        """The vocabulary of the words of sentences (lists of words); see from_counts."""
        counter = Counter()
        for sentence in sentences:
            counter.update(sentence)
        return cls.from_counts(counter, min_count, max_size, specials)

    # --- reading it ----------------------------------------------------------------------------

    def __len__(self):
        """The number of ids, the special tokens included."""
        return len(self.tokens)

    def __contains__(self, token):
        return token in self._id_of and token not in self.specials

    def __repr__(self):
        ordinary = f"{len(self) - len(self.specials)} {'characters' if self.characters else 'words'}"
        counted = "" if self.counts is None else f", {int(self.counts.sum()):,} tokens"
        if not self.specials:
            return f"Vocabulary({ordinary}{counted})"
        return f"Vocabulary({len(self)} ids: {' '.join(self.specials)} and {ordinary}{counted})"

    def id_of(self, token):
        """The id of a known token; a KeyError naming the token otherwise."""
        try:
            return self._id_of[token]
        except KeyError:
            raise KeyError(f"{token!r} is not in the vocabulary ({len(self)} ids)") from None

    # --- encoding and decoding -----------------------------------------------------------------

    def encode(self, tokens, add_end=False):
        """The ids (n,) int64 of a text (for characters) or a list of tokens, + <end> if add_end.

        Unknown tokens get <unk>'s id, or are left out when the vocabulary has no <unk>.
        """
        if self.characters and isinstance(tokens, str):
            ids = self._encode_text(tokens)
        else:
            ids = np.array([self._id_of.get(t, -1) for t in tokens], dtype=np.int64)
            ids[np.isin(ids, [self._id_of[s] for s in self.specials])] = -1
        ids = ids[ids >= 0] if self.unk_id is None else np.where(ids >= 0, ids, self.unk_id)
        if add_end:
            if self.end_id is None:
                raise ValueError("encode: add_end needs a vocabulary with the <end> token")
            ids = np.append(ids, self.end_id)
        return ids.astype(np.int64, copy=False)

    def _encode_text(self, text):
        """The ids of a text's characters with one searchsorted (-1 for unknown characters)."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        ids = np.full(codes.shape, -1, dtype=np.int64)
        if self._sorted_codes.size:
            where = np.minimum(np.searchsorted(self._sorted_codes, codes), self._sorted_codes.size - 1)
            known = self._sorted_codes[where] == codes
            ids[known] = self._ids_of_sorted[where[known]]
        return ids

    def decode(self, ids):
        """The text (characters) or list of words of ids: stops at the first <end>, skips <pad>
        and <start>, writes <unk> as unk_char in text."""
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"decode: ids must lie in [0, {len(self)}), "
                             f"got values from {ids.min()} to {ids.max()}")
        if self.end_id is not None and np.any(ids == self.end_id):
            ids = ids[:np.argmax(ids == self.end_id)]
        skipped = [i for i in (self.pad_id, self.start_id) if i is not None]
        tokens = [self.tokens[i] for i in ids[~np.isin(ids, skipped)].tolist()]
        if not self.characters:
            return tokens
        return "".join(self.unk_char if t == UNK else t for t in tokens)

    def encode_sentences(self, sentences):
        """encode() of every text or sentence: a list of id arrays of their own lengths."""
        return [self.encode(s) for s in sentences]

    def encode_batch(self, texts, add_end=False, length=None):
        """The texts as one int64 array (len(texts), length) padded on the right with <pad>, by
        default as long as the longest."""
        rows = [self.encode(text, add_end) for text in texts]
        longest = max((len(row) for row in rows), default=0)
        length = longest if length is None else length
        if longest > length:
            raise ValueError(f"encode_batch: a text needs {longest} ids but length is {length}")
        if self.pad_id is None:
            raise ValueError("encode_batch: padding needs a vocabulary with the <pad> token")
        batch = np.full((len(rows), length), self.pad_id, dtype=np.int64)
        for row, ids in zip(batch, rows):
            row[:len(ids)] = ids
        return batch

    def decode_batch(self, batch):
        """decode() of every row of a 2-D id array or of every id sequence in a list."""
        return [self.decode(ids) for ids in batch]
