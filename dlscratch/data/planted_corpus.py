"""A generated English-like corpus with planted relations, and the analogy questions they answer.

Four relations are planted: capital → country, male → female, singular → plural and adjective →
comparative. Each pair of words (paris, france) shares a topic word (french) that appears with
both, and each side of a relation has its own marker words (city, streets ... / country, border ...;
he, his / she, her; one, this / two, these; very / than). So the vector offset from the first word
of a pair to the second is the same marker difference for every pair, which is exactly what an
analogy question a : b :: c : d tests. Filler sentences from a small grammar surround them, with
Zipf-distributed word frequencies as in real text.

    corpus = planted_corpus(num_sentences=100_000, seed=0)
    corpus["train"], corpus["val"]     lists of sentences (lists of words)
    corpus["questions"]               the analogy questions, in questions-words.txt format
"""
import numpy as np

# (first, second, topic) for each relation, and sentence templates for each side
RELATIONS = {
    "capital-country": {
        "pairs": [("paris", "france", "french"), ("berlin", "germany", "german"),
                  ("madrid", "spain", "spanish"), ("rome", "italy", "italian"),
                  ("moscow", "russia", "russian"), ("tokyo", "japan", "japanese"),
                  ("beijing", "china", "chinese"), ("athens", "greece", "greek"),
                  ("warsaw", "poland", "polish"), ("stockholm", "sweden", "swedish"),
                  ("lisbon", "portugal", "portuguese"), ("ankara", "turkey", "turkish"),
                  ("oslo", "norway", "norwegian"), ("cairo", "egypt", "arabic")],
        "first": ["{x} is a large city where people speak {t}",
                  "the mayor of {x} gave a speech in {t}",
                  "the old streets of {x} are full of {t} signs",
                  "we took a train to the city of {x} and heard {t} everywhere"],
        "second": ["{x} is a country where people speak {t}",
                   "the government of {x} published a report in {t}",
                   "the border of {x} is long and most citizens speak {t}",
                   "the nation of {x} teaches {t} in every school"],
        "both": ["{x} is the capital of {y}", "the capital of {y} is {x}"],
    },
    "family": {
        "pairs": [("king", "queen", "throne"), ("prince", "princess", "palace"),
                  ("man", "woman", "office"), ("boy", "girl", "playground"),
                  ("father", "mother", "household"), ("son", "daughter", "birthday"),
                  ("brother", "sister", "twins"), ("uncle", "aunt", "holidays"),
                  ("husband", "wife", "wedding"), ("grandfather", "grandmother", "grandchildren"),
                  ("nephew", "niece", "cousins"), ("actor", "actress", "theatre"),
                  ("waiter", "waitress", "restaurant"), ("groom", "bride", "ceremony")],
        "first": ["the {x} said that he loved the {t}", "the {x} and his {t} were well known",
                  "everyone saw the {x} because he stood by the {t}",
                  "he was the {x} of the {t}"],
        "second": ["the {x} said that she loved the {t}", "the {x} and her {t} were well known",
                   "everyone saw the {x} because she stood by the {t}",
                   "she was the {x} of the {t}"],
        "both": ["the {x} and the {y} talked about the {t}"],
    },
    "plural": {
        "pairs": [("cat", "cats", "milk"), ("dog", "dogs", "bone"), ("horse", "horses", "saddle"),
                  ("bird", "birds", "nest"), ("apple", "apples", "orchard"), ("car", "cars", "garage"),
                  ("book", "books", "shelf"), ("tree", "trees", "forest"), ("ship", "ships", "harbour"),
                  ("flower", "flowers", "vase"), ("cow", "cows", "barn"), ("key", "keys", "lock"),
                  ("coin", "coins", "wallet"), ("egg", "eggs", "basket")],
        "first": ["one {x} was near the {t}", "a single {x} is next to the {t}",
                  "this {x} is by the {t}", "only one {x} was found in the {t}"],
        "second": ["two {x} were near the {t}", "many {x} are next to the {t}",
                   "these {x} are by the {t}", "several {x} were found in the {t}"],
        "both": ["one {x} or many {y} near the {t}"],
    },
    "comparative": {
        "pairs": [("big", "bigger", "mountain"), ("small", "smaller", "mouse"),
                  ("fast", "faster", "race"), ("slow", "slower", "snail"),
                  ("cold", "colder", "winter"), ("warm", "warmer", "summer"),
                  ("tall", "taller", "giraffe"), ("strong", "stronger", "bull"),
                  ("young", "younger", "puppy"), ("long", "longer", "road"),
                  ("bright", "brighter", "star"), ("dark", "darker", "cave"),
                  ("loud", "louder", "drum"), ("rich", "richer", "banker")],
        "first": ["the {t} is very {x}", "what a {x} {t} it was", "such a {x} {t} is rare",
                  "the {t} seemed quite {x} to us"],
        "second": ["the {t} is {x} than ever", "this {t} became {x} than the last one",
                   "no {t} is {x} than this one", "the {t} grew {x} than before"],
        "both": ["the {t} was {x} and then even {y}"],
    },
}

FILLER = {
    "det": ["the", "a", "every", "some", "that"],
    "adj": ["old", "new", "green", "red", "quiet", "happy", "heavy", "soft", "empty", "busy",
            "early", "late", "simple", "famous", "strange", "gentle", "clever", "wooden", "narrow",
            "broad", "blue", "round", "lucky", "tired"],
    "noun": ["farmer", "teacher", "river", "bridge", "window", "letter", "table", "garden",
             "market", "village", "story", "song", "door", "lamp", "field", "hill", "boat",
             "doctor", "painter", "student", "clock", "bottle", "cup", "chair", "wall", "stone",
             "cloud", "island", "picture", "lesson", "kitchen", "friend"],
    "verb": ["painted", "found", "carried", "opened", "watched", "cleaned", "visited", "built",
             "sold", "bought", "moved", "fixed", "counted", "followed", "described", "noticed",
             "liked", "forgot"],
    "adv": ["quickly", "carefully", "quietly", "happily", "suddenly", "rarely", "often", "slowly"],
    "prep": ["near", "behind", "under", "across", "beside", "over", "into", "around"],
}
PREFIXES = ["", "", "yesterday", "in the morning", "as usual", "people say that", "we heard that",
            "last year"]
SUFFIXES = ["", "", "again", "in the end", "according to the story", "for a while"]
FILLER_SHARE = 0.4          # of the sentences
JOINT_SHARE = 0.15          # of the planted sentences: both words of a pair in one sentence


def analogy_questions(relations=RELATIONS):
    """Every question a b c d of every relation (all ordered pairs of its pairs), in
    questions-words.txt format."""
    lines = []
    for name, relation in relations.items():
        lines.append(f": {name}")
        pairs = relation["pairs"]
        lines += [f"{a} {b} {c} {d}" for a, b, _ in pairs for c, d, _ in pairs if a != c]
    return "\n".join(lines) + "\n"


def planted_corpus(num_sentences=100_000, val_fraction=0.05, seed=0):
    """{"train", "val": lists of sentences (lists of words), "questions": str} (see the module doc)."""
    if num_sentences < 20:
        raise ValueError(f"num_sentences must be at least 20, got {num_sentences}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    rng = np.random.default_rng(seed)
    sentences = [_sentence(rng) for _ in range(num_sentences)]
    num_val = max(1, int(num_sentences * val_fraction))
    return {"train": sentences[num_val:], "val": sentences[:num_val],
            "questions": analogy_questions()}


def _sentence(rng):
    """One sentence: filler, or a planted one wrapped in filler."""
    if rng.random() < FILLER_SHARE:
        return _filler_sentence(rng)
    relation = RELATIONS[_pick(rng, list(RELATIONS))]
    first, second, topic = relation["pairs"][rng.integers(len(relation["pairs"]))]
    if rng.random() < JOINT_SHARE:
        core = _pick(rng, relation["both"]).format(x=first, y=second, t=topic)
    elif rng.random() < 0.5:
        core = _pick(rng, relation["first"]).format(x=first, t=topic)
    else:
        core = _pick(rng, relation["second"]).format(x=second, t=topic)
    suffix = _pick(rng, SUFFIXES)
    if suffix == "" and rng.random() < 0.5:
        suffix = f"{_zipf_pick(rng, 'prep')} the {_zipf_pick(rng, 'noun')}"
    return f"{_pick(rng, PREFIXES)} {core} {suffix}".split()


def _filler_sentence(rng):
    """'the old farmer quickly painted a bridge near the river' and variations."""
    words = [_zipf_pick(rng, "det"), _zipf_pick(rng, "adj"), _zipf_pick(rng, "noun")]
    if rng.random() < 0.4:
        words.append(_zipf_pick(rng, "adv"))
    words += [_zipf_pick(rng, "verb"), _zipf_pick(rng, "det"), _zipf_pick(rng, "noun")]
    if rng.random() < 0.6:
        words += [_zipf_pick(rng, "prep"), _zipf_pick(rng, "det"), _zipf_pick(rng, "noun")]
    return words


def _pick(rng, options):
    return options[rng.integers(len(options))]


def _zipf_cdf(n):
    """Cumulative probabilities of ranks 1..n under Zipf's law, P(k) ∝ 1/k."""
    weights = 1 / np.arange(1, n + 1)
    return np.cumsum(weights) / weights.sum()


_ZIPF_CDFS = {category: _zipf_cdf(len(words)) for category, words in FILLER.items()}


def _zipf_pick(rng, category):
    """A word of the category, the k-th listed one with probability ∝ 1/k (Zipf's law)."""
    cdf = _ZIPF_CDFS[category]
    return FILLER[category][min(int(np.searchsorted(cdf, rng.random(), side="right")), len(cdf) - 1)]
