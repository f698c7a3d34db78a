"""The generated translation tasks: date formats, held-out dates, addition, the vocabulary."""
import datetime

import numpy as np
import pytest

from dlscratch.data import translation as S

MARCH_5_1991 = datetime.date(1991, 3, 5)


def test_every_date_format_writes_the_date_as_documented():
    written = [S.format_date(MARCH_5_1991, fmt) for fmt in S.DATE_FORMATS]
    assert written == [
        "tuesday, march 5, 1991", "5 mar 91", "03/05/1991", "march 5th, 1991", "5.3.1991",
        "1991-3-5", "5 march 1991", "mar 5, 1991", "3/5/91", "tue 5 mar 1991",
        "the 5th of march 1991", "05-mar-1991", "05.03.91", "tue, 5th march 91"]


def test_casings_ordinals_and_two_digit_years():
    date = datetime.date(2011, 11, 22)
    written = S.format_date(date, "{wkd}, {dth} {month} {yy}", S._capitalise_words)
    assert written == "Tue, 22nd November 11"
    assert S.format_date(date, "{month} {dth}", str.upper) == "NOVEMBER 22ND"
    assert [S._ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]


def parse_numeric(source):
    """An independent reading of the numeric formats by their separator: (year, month, day)."""
    if "/" in source:
        month, day, year = source.split("/")
    elif "." in source:
        day, month, year = source.split(".")
    else:
        year, month, day = source.split("-")
    year = int(year)
    if year < 100:
        year += 1900 if year >= 50 else 2000
    return year, int(month), int(day)


def test_generated_pairs_are_right_and_use_many_formats():
    data = S.load_dates(num_train=3000, num_val=10, num_test=10, seed=1)
    numeric = 0
    for source, target in data["train_pairs"]:
        date = datetime.date.fromisoformat(target)
        assert S.FIRST_DATE <= date <= S.LAST_DATE
        assert str(date.day) in source and str(date.year)[2:] in source
        if source[0].isdigit() and not any(c.isalpha() for c in source):
            assert parse_numeric(source) == (date.year, date.month, date.day), source
            numeric += 1
        else:
            assert S.MONTHS[date.month - 1][:3] in source.lower(), source
    assert numeric > 500
    assert len({s.lower() for s, _ in data["train_pairs"]}) > 2900
    assert any(s.isupper() for s, _ in data["train_pairs"])


def test_held_out_dates_never_occur_in_training():
    data = S.load_dates(num_train=20_000, num_val=2000, num_test=2000, seed=0)
    days = {split: {t for _, t in data[f"{split}_pairs"]} for split in ("train", "val", "test")}
    assert len(days["train"]) > 10_000 and len(days["test"]) > 1500
    assert not days["train"] & days["test"] and not days["train"] & days["val"]
    assert not days["val"] & days["test"]
    pools = S.split_dates(seed=0)
    assert [len(p) for p in pools] == [29220, 3652, 3653]
    assert sum(map(len, pools)) == (S.LAST_DATE - S.FIRST_DATE).days + 1


def test_dates_are_deterministic_given_the_seed():
    first, again = S.load_dates(200, 20, 20, seed=3), S.load_dates(200, 20, 20, seed=3)
    other = S.load_dates(200, 20, 20, seed=4)
    for key in ("X_train", "y_train", "X_val", "y_test"):
        assert np.array_equal(first[key], again[key])
    assert first["train_pairs"] != other["train_pairs"]


def test_date_arrays_are_padded_and_decode_to_the_pairs():
    data = S.load_dates(num_train=500, num_val=50, num_test=50, seed=0)
    X, y = data["X_test"], data["y_test"]
    assert X.dtype == np.int64 and y.shape == (50, 11)       # 10 characters and <end>
    assert np.all(y[:, 10] == data["target_vocab"].end_id)
    assert X.shape[1] == max(len(s) for split in ("train", "val", "test")
                             for s, _ in data[f"{split}_pairs"])
    assert data["source_vocab"].decode_batch(X) == [s for s, _ in data["test_pairs"]]
    assert data["target_vocab"].decode_batch(y) == [t for _, t in data["test_pairs"]]
    lengths = (X != 0).sum(axis=1)
    assert all(not row[n:].any() for row, n in zip(X, lengths))      # padding on the right only


def test_addition_is_correct_and_its_splits_are_disjoint():
    data = S.load_addition(num_train=3000, num_val=500, num_test=500, max_digits=2, seed=0)
    operands = {}
    for split in ("train", "val", "test"):
        pairs = data[f"{split}_pairs"]
        for source, target in pairs:
            a, b = source.split("+")
            assert int(a) + int(b) == int(target) and int(a) < 100 and int(b) < 100
        operands[split] = {s for s, _ in pairs}
        assert len(operands[split]) == len(pairs)
    assert not operands["train"] & operands["test"] and not operands["val"] & operands["test"]
    assert data["target_vocab"].decode(data["y_train"][0]) == data["train_pairs"][0][1]
    # the longest: "99+99" -> "198" <end>
    assert data["X_train"].shape[1] == 5 and data["y_train"].shape[1] == 4


def unordered_operands(pairs):
    """The operand pairs of 'a+b' sources as sets, so that a+b and b+a are the same."""
    return {frozenset(map(int, source.split("+"))) for source, _ in pairs}


@pytest.mark.parametrize("counts", [(3000, 500, 500), (8000, 1000, 1000), (70, 15, 15)])
def test_addition_keeps_a_plus_b_and_b_plus_a_in_the_same_split(counts):
    digits = 1 if sum(counts) == 100 else 2
    data = S.load_addition(*counts, max_digits=digits, seed=0)
    assert [len(data[f"{split}_pairs"]) for split in ("train", "val", "test")] == list(counts)
    unordered = {split: unordered_operands(data[f"{split}_pairs"])
                 for split in ("train", "val", "test")}
    assert not unordered["train"] & unordered["test"] and not unordered["train"] & unordered["val"]
    assert not unordered["val"] & unordered["test"]
    train = {s for s, _ in data["train_pairs"]}
    swapped = {"+".join(s.split("+")[::-1]) for s in train}
    assert swapped == train                 # every training sum comes in both orders here


def test_operand_splits_fail_clearly_when_the_pairs_cannot_be_shared_out():
    with pytest.raises(ValueError, match="a\\+b and b\\+a in the same list"):
        S.split_operand_pairs((1, 1, 1), size=2)    # {0, 0} and {1, 1} fill two, {0, 1} is 2 sums
    assert [len(p) for p in S.split_operand_pairs((3, 1), size=2)] == [3, 1]


@pytest.mark.parametrize("call, error, message", [
    (lambda: S.split_dates((0.5, 0.6)), ValueError, "sum to 1"),
    (lambda: S.date_pairs([], 3), ValueError, "no dates"),
    (lambda: S.load_dates(num_train=-1), ValueError, "num_train must be a non-negative int"),
    (lambda: S.load_dates(num_test=2.5), ValueError, "num_test must be a non-negative int"),
    (lambda: S.load_addition(max_digits=0), ValueError, "max_digits must be a positive int"),
    (lambda: S.load_addition(60, 30, 20, max_digits=1), ValueError, "only 100 distinct pairs"),
])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
