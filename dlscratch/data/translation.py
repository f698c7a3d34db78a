"""Two small translation tasks for sequence-to-sequence models, generated with the standard library.

Date normalisation: dates written by people, in many formats, to ISO 8601:

    "tuesday, march 5, 1991"  "5 Mar 91"  "03/05/1991"  "March 5th, 1991"  "5.3.1991"
        ->  "1991-03-05"

Numeric formats follow their separator, one convention each, so that every string has exactly one
reading: a slash means month/day/year (US, "03/05/1991" is March 5), a dot means
day.month.year (European, "5.3.1991" is also March 5), and a dash with the year first means
year-month-day. Two-digit years mean 1950-2049: 50-99 are 19xx, 00-49 are 20xx, which is also the
range of the generated dates. The held-out dates are split by the underlying calendar day, not by
the string: no day of the validation or test set appears in the training set in any format.

Addition: "16+75" -> "91", with operands of up to max_digits digits; validation and test hold
pairs of operands that never occur in training in either order (a+b and b+a share a split).

Both tasks are character-level. Ids 0-3 of every vocabulary are <pad>, <start>, <end>, <unk>
(dlscratch.data.vocabulary.SEQUENCE_SPECIALS).
Source rows are right-padded with <pad>; each target row is its characters, then <end>, then
padding. `load_dates()` and `load_addition()` return the arrays ready for the Solver:

    data = load_dates(num_train=10_000, seed=0)
    data["X_train"], data["y_train"]        # (N, Ts) and (N, Tt) int64 ids
    data["source_vocab"].decode(data["X_test"][0]), data["target_vocab"].decode(data["y_test"][0])
"""
import datetime
import random
import string

import numpy as np

from .vocabulary import SEQUENCE_SPECIALS, Vocabulary

FIRST_DATE, LAST_DATE = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_ALPHABET = string.ascii_letters + string.digits + " ,./-"
ISO_ALPHABET = string.digits + "-"
ADDITION_ALPHABET = string.digits + "+"


# ------------------------------------------------------------------------------------------------
# Dates
# ------------------------------------------------------------------------------------------------

def _ordinal(day):
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _date_fields(date):
    """The pieces the formats are made of, for one datetime.date."""
    month, weekday = MONTHS[date.month - 1], WEEKDAYS[date.weekday()]
    return {"d": date.day, "dd": f"{date.day:02d}", "dth": _ordinal(date.day),
            "m": date.month, "mm": f"{date.month:02d}", "month": month, "mon": month[:3],
            "weekday": weekday, "wkd": weekday[:3], "yyyy": date.year,
            "yy": f"{date.year % 100:02d}"}


# Numeric formats read by their separator: "/" month/day/year, "." day.month.year, "-" year first.
DATE_FORMATS = (
    "{weekday}, {month} {d}, {yyyy}",   # tuesday, march 5, 1991
    "{d} {mon} {yy}",                   # 5 mar 91
    "{mm}/{dd}/{yyyy}",                 # 03/05/1991
    "{month} {dth}, {yyyy}",            # march 5th, 1991
    "{d}.{m}.{yyyy}",                   # 5.3.1991
    "{yyyy}-{m}-{d}",                   # 1991-3-5
    "{d} {month} {yyyy}",               # 5 march 1991
    "{mon} {d}, {yyyy}",                # mar 5, 1991
    "{m}/{d}/{yy}",                     # 3/5/91
    "{wkd} {d} {mon} {yyyy}",           # tue 5 mar 1991
    "the {dth} of {month} {yyyy}",      # the 5th of march 1991
    "{dd}-{mon}-{yyyy}",                # 05-mar-1991
    "{dd}.{mm}.{yy}",                   # 05.03.91
    "{wkd}, {dth} {month} {yy}",        # tue, 5th march 91
)


def _capitalise_words(text):
    """'tue, 5th march' -> 'Tue, 5th March' (str.title would write '5Th')."""
    return " ".join(word.capitalize() for word in text.split(" "))


CASINGS = (str.lower, _capitalise_words, str.upper)


def format_date(date, fmt, casing=str.lower):
    """One date written in one of DATE_FORMATS (or any format string over the same fields)."""
    return casing(fmt.format(**_date_fields(date)))


def random_date_string(date, rng):
    """The date in a random format and casing (half of the time lower case); rng: random.Random."""
    casing = str.lower if rng.random() < 0.5 else rng.choice(CASINGS)
    return format_date(date, rng.choice(DATE_FORMATS), casing)


def split_dates(fractions=(0.8, 0.1, 0.1), seed=0):
    """Every day from FIRST_DATE to LAST_DATE, shuffled and cut into disjoint lists by fractions."""
    if len(fractions) == 0 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be non-negative and sum to 1, got {fractions}")
    days = [FIRST_DATE + datetime.timedelta(days=i)
            for i in range((LAST_DATE - FIRST_DATE).days + 1)]
    random.Random(seed).shuffle(days)
    bounds = np.round(np.cumsum((0,) + tuple(fractions)) * len(days)).astype(int)
    return [days[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def date_pairs(dates, n, seed=0):
    """n (human-written date, ISO date) pairs of days drawn with replacement from `dates`."""
    _check_counts("date_pairs", n=n)
    if n and not dates:
        raise ValueError("date_pairs: got no dates to draw from")
    rng = random.Random(seed)
    drawn = [rng.choice(dates) for _ in range(n)]
    return [(random_date_string(date, rng), date.isoformat()) for date in drawn]


def load_dates(num_train=10_000, num_val=1_000, num_test=1_000, seed=0):
    """The date task as arrays {X_train, y_train, X_val, y_val, X_test, y_test} plus vocabularies.

    The three splits are drawn from disjoint sets of days (80 %, 10 %, 10 % of 1950-2049). The
    dict also holds 'source_vocab', 'target_vocab' and the strings as 'train_pairs', 'val_pairs',
    'test_pairs' (lists of (source, target)).
    """
    _check_counts("load_dates", num_train=num_train, num_val=num_val, num_test=num_test)
    pools = split_dates(seed=seed)
    pairs = {split: date_pairs(pool, n, seed=seed * 7919 + i)
             for i, (split, pool, n) in enumerate(zip(("train", "val", "test"), pools,
                                                       (num_train, num_val, num_test)))}
    return _arrays(pairs, _characters(DATE_ALPHABET), _characters(ISO_ALPHABET))


# ------------------------------------------------------------------------------------------------
# Addition
# ------------------------------------------------------------------------------------------------

def addition_pairs(operands):
    """('a+b', 'a+b evaluated') for every (a, b) in operands."""
    return [(f"{a}+{b}", str(a + b)) for a, b in operands]


def split_operand_pairs(counts, size, seed=0):
    """Disjoint lists of counts[i] distinct ordered pairs (a, b), 0 <= a, b < size, one per count.

    The split is by unordered pair: a+b and b+a always land in the same list, so a held-out sum
    never occurs in an earlier list in either order. Each list is shuffled.
    """
    rng = random.Random(seed)
    pool = [[(a, b), (b, a)] if a != b else [(a, a)] for a in range(size) for b in range(a, size)]
    rng.shuffle(pool)
    splits = []
    for n in counts:
        chosen, deferred = [], []
        while len(chosen) < n and pool:
            orders = pool.pop()
            if len(chosen) + len(orders) <= n:
                chosen.extend(orders)
            else:                       # one example missing: a+b and b+a wait for a later list
                deferred.append(orders)
        if len(chosen) < n:
            raise ValueError(f"split_operand_pairs: cannot fill lists of {list(counts)} pairs "
                             f"below {size} with a+b and b+a in the same list")
        pool.extend(deferred)
        rng.shuffle(chosen)
        splits.append(chosen)
    return splits


def load_addition(num_train=8_000, num_val=1_000, num_test=1_000, max_digits=2, seed=0):
    """The addition task, operands 0 to 10**max_digits - 1, as arrays plus vocabularies.

    The operand pairs (a, b) of the three splits are distinct and disjoint even without order: if
    "16+75" is in the test set, "75+16" is too, and neither is in training. Same keys as load_dates.
    """
    if not isinstance(max_digits, int) or max_digits < 1:
        raise ValueError(f"max_digits must be a positive int, got {max_digits!r}")
    _check_counts("load_addition", num_train=num_train, num_val=num_val, num_test=num_test)
    size = 10 ** max_digits
    needed = num_train + num_val + num_test
    if needed > size * size:
        raise ValueError(f"load_addition: {needed} examples asked for, but there are only "
                         f"{size * size} distinct pairs with {max_digits} digits")
    operands = split_operand_pairs((num_train, num_val, num_test), size, seed)
    pairs = {split: addition_pairs(split_operands)
             for split, split_operands in zip(("train", "val", "test"), operands)}
    return _arrays(pairs, _characters(ADDITION_ALPHABET), _characters(string.digits))


# ------------------------------------------------------------------------------------------------
# Shared
# ------------------------------------------------------------------------------------------------

def _check_counts(where, **counts):
    """Check that every count is a non-negative int."""
    for name, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"{where}: {name} must be a non-negative int, got {n!r}")


def _characters(alphabet):
    """The vocabulary of a task's alphabet, in the alphabet's order after the special tokens."""
    return Vocabulary(alphabet, SEQUENCE_SPECIALS, characters=True)


def encode_pairs(pairs, source_vocab, target_vocab, source_length=None, target_length=None):
    """(X, y) int64 arrays of (source text, target text) pairs, ready for Seq2Seq and the Solver.

    X (N, source_length) holds the sources' ids, y (N, target_length) the targets' ids then <end>;
    both are padded with <pad> on the right, by default to the longest row.
    """
    pairs = list(pairs)
    X = source_vocab.encode_batch([s for s, _ in pairs], length=source_length)
    y = target_vocab.encode_batch([t for _, t in pairs], add_end=True, length=target_length)
    return X, y


def _arrays(pairs, source_vocab, target_vocab):
    """{X_split, y_split, split_pairs} for every split of pairs, plus both vocabularies.

    Every split is padded to the same lengths, those of the longest source and target overall.
    """
    source_length = max((len(s) for split in pairs.values() for s, _ in split), default=0)
    target_length = max((len(t) for split in pairs.values() for _, t in split), default=0) + 1
    data = {"source_vocab": source_vocab, "target_vocab": target_vocab}
    for split, split_pairs in pairs.items():
        data[f"X_{split}"], data[f"y_{split}"] = encode_pairs(
            split_pairs, source_vocab, target_vocab, source_length, target_length)
        data[f"{split}_pairs"] = split_pairs
    return data
