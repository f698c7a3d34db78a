"""Questions to ask word vectors: neighbours, analogies, similarity scores, a 2-D picture.

Every function takes the vectors (V, D), one row per word id, and a vocabulary with `id_of(word)`,
`tokens` and `in` (dlscratch.data.vocabulary.Vocabulary), so it works for any embedding matrix: ours, or
gensim's in the benchmark.

Analogy files use the format of word2vec's questions-words.txt: a line ": name" starts a section,
every other line holds four words "a b c d" meaning a is to b as c is to d. Similarity files hold
"word1 word2 score" per line (tab or space separated, '#' comments), as WordSim-353.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats


def unit_rows(vectors):
    """Each row scaled to length 1 (rows of zeros stay zero): (V, D) -> (V, D)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)


def most_similar(vectors, vocab, word, k=10):
    """The k words with the largest cosine similarity to `word` (itself excluded): [(word, cos)]."""
    unit = unit_rows(vectors)
    similarities = unit @ unit[vocab.id_of(word)]
    return _best(similarities, vocab, k, exclude=[vocab.id_of(word)])


def analogy(vectors, vocab, a, b, c, k=1):
    """a is to b as c is to ...? The k words closest to b - a + c (3CosAdd), a, b and c excluded."""
    unit = unit_rows(vectors)
    ids = [vocab.id_of(w) for w in (a, b, c)]
    similarities = unit @ _offset_targets(unit, np.array([ids]))[0]
    return _best(similarities, vocab, k, exclude=ids)


def _offset_targets(unit, abc):
    """3CosAdd's query vectors b - a + c for question ids abc (Q, 3) -> (Q, D)."""
    return unit[abc[:, 1]] - unit[abc[:, 0]] + unit[abc[:, 2]]


def _best(similarities, vocab, k, exclude):
    """The k largest similarities (V,) outside `exclude`, as (word, similarity) pairs."""
    similarities = similarities.astype(np.float64)
    similarities[exclude] = -np.inf
    top = np.argsort(-similarities, kind="stable")[:k]
    return [(vocab.tokens[i], float(similarities[i])) for i in top]


# ------------------------------------------------------------------------------------------------
# Analogy questions
# ------------------------------------------------------------------------------------------------

def read_analogy_questions(source, lowercase=True):
    """Sections of analogy questions from a questions-words.txt file (a path or the text itself):
    {section name: [(a, b, c, d), ...]} in file order."""
    lines = _lines_of(source)
    sections, current = {}, None
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(":"):
            current = sections.setdefault(line[1:].strip(), [])
            continue
        words = line.lower().split() if lowercase else line.split()
        if len(words) != 4:
            raise ValueError(f"analogy line {number}: expected four words 'a b c d', got {line!r}")
        if current is None:
            raise ValueError(f"analogy line {number}: a question before the first ': section' line")
        current.append(tuple(words))
    if not any(sections.values()):
        raise ValueError("no analogy questions found: expected ': section' lines followed by "
                         "lines of four words")
    return sections


@dataclass
class SectionScore:
    """How one section of analogy questions went."""
    name: str
    correct: int
    answered: int        # questions whose four words are all in the vocabulary
    skipped: int         # questions with a word outside the vocabulary

    @property
    def accuracy(self):
        return self.correct / self.answered if self.answered else float("nan")


class AnalogyReport:
    """Analogy accuracy per section and in total (over the answered questions)."""

    def __init__(self, sections):
        self.sections = sections
        self.total = SectionScore("total", sum(s.correct for s in sections),
                                  sum(s.answered for s in sections), sum(s.skipped for s in sections))

    @property
    def accuracy(self):
        return self.total.accuracy

    def __getitem__(self, name):
        return next(s for s in self.sections + [self.total] if s.name == name)

    def table(self):
        """The report as text: one line per section, then the total."""
        lines = [f"{'section':<28}{'correct':>8}{'answered':>10}{'skipped':>9}{'accuracy':>10}"]
        for s in self.sections + [self.total]:
            lines.append(f"{s.name:<28}{s.correct:>8}{s.answered:>10}{s.skipped:>9}{s.accuracy:>10.1%}")
        return "\n".join(lines)

    def __repr__(self):
        return self.table()


def analogy_accuracy(vectors, vocab, questions, batch_size=512):
    """Share of questions a:b :: c:d whose 3CosAdd answer is d, per section (questions as returned by
    read_analogy_questions, or a path to such a file); questions with unknown words are skipped."""
    if not isinstance(questions, dict):
        questions = read_analogy_questions(questions)
    unit = unit_rows(vectors)
    scores = []
    for name, rows in questions.items():
        known = [q for q in rows if all(w in vocab for w in q)]
        ids = np.array([[vocab.id_of(w) for w in q] for q in known], dtype=np.int64).reshape(-1, 4)
        correct = sum(int(np.sum(_answer_ids(unit, ids[start:start + batch_size]) ==
                                 ids[start:start + batch_size, 3]))
                      for start in range(0, len(ids), batch_size))
        scores.append(SectionScore(name, correct, len(known), len(rows) - len(known)))
    return AnalogyReport(scores)


def _answer_ids(unit, questions):
    """3CosAdd's answer for each question's first three ids: questions (Q, >=3) -> (Q,)."""
    similarities = _offset_targets(unit, questions) @ unit.T          # (Q, V)
    rows = np.arange(len(questions))[:, None]
    similarities[rows, questions[:, :3]] = -np.inf
    return np.argmax(similarities, axis=1)


# ------------------------------------------------------------------------------------------------
# Word similarity
# ------------------------------------------------------------------------------------------------

def read_similarity_pairs(source, lowercase=True):
    """(word1, word2, score) triples from a WordSim-353 style file (a path or the text itself)."""
    pairs = []
    for number, line in enumerate(_lines_of(source), start=1):
        fields = line.split()
        if not fields or line.lstrip().startswith("#"):
            continue
        try:
            score = float(fields[2])
        except (IndexError, ValueError):
            if not pairs and number == 1:
                continue                  # a header line
            raise ValueError(f"similarity line {number}: expected 'word1 word2 score', "
                             f"got {line.strip()!r}") from None
        w1, w2 = (fields[0].lower(), fields[1].lower()) if lowercase else fields[:2]
        pairs.append((w1, w2, score))
    if not pairs:
        raise ValueError("no word pairs found: expected lines 'word1 word2 score'")
    return pairs


def similarity_correlation(vectors, vocab, pairs):
    """Spearman's rank correlation between the vectors' cosine similarities and the human scores
    of the pairs whose words are both known: -> (rho, pairs used, pairs skipped)."""
    if isinstance(pairs, (str, Path)):
        pairs = read_similarity_pairs(pairs)
    known = [(a, b, s) for a, b, s in pairs if a in vocab and b in vocab]
    if len(known) < 2:
        raise ValueError(f"only {len(known)} of the {len(pairs)} pairs have both words in the "
                         "vocabulary; a correlation needs at least 2")
    unit = unit_rows(vectors)
    first = unit[[vocab.id_of(a) for a, _, _ in known]]
    second = unit[[vocab.id_of(b) for _, b, _ in known]]
    cosines = np.sum(first * second, axis=1)
    human = np.array([s for _, _, s in known])
    rho = stats.spearmanr(cosines, human)[0]   # ties get their average rank
    return float(rho), len(known), len(pairs) - len(known)


# ------------------------------------------------------------------------------------------------
# A picture
# ------------------------------------------------------------------------------------------------

def pca_2d(vectors):
    """The vectors (n, D) projected on their two principal directions: -> (n, 2)."""
    centred = np.asarray(vectors, dtype=np.float64) - np.mean(vectors, axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:2].T


def _lines_of(source):
    """The lines of a file given by path, or of the text itself if it is multi-line text."""
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        return path.read_text(encoding="utf-8").splitlines()
    return str(source).splitlines()
