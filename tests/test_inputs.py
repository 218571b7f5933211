"""Reading what clients send: numbers the database can hold, text it can store."""

from __future__ import annotations

import random
import re

import pytest

from tracklog.errors import ValidationFailed
from tracklog.inputs import (
    INTEGER_MAX,
    numbers_up_to,
    refuse_unstorable_text,
    storable_text,
    stored_integer,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        (7.0, 7),
        (-(2**31), -(2**31)),
        (2**31 - 1, 2**31 - 1),
        (2**31, None),
        (2**63, None),
        (-(2**31) - 1, None),
        (7.5, None),
        (True, None),
        ("7", None),
        ([7], None),
        (None, None),
    ],
)
def test_a_json_integer_is_one_the_database_can_store(value, expected):
    assert stored_integer(value) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", 42),
        (" 42 ", 42),
        ("-3", -3),
        ("²", None),
        ("٣", None),
        ("4²", None),
        ("99999999999", None),
        ("2147483648", None),
        ("1e3", None),
        ("", None),
        (None, None),
    ],
)
def test_a_typed_number_is_ascii_digits_within_the_databases_range(raw, expected):
    assert stored_integer(raw, from_text=True) == expected


def test_the_route_pattern_matches_exactly_the_ids_the_database_can_hold():
    pattern = re.compile(numbers_up_to(INTEGER_MAX))
    edges = [0, 9, 10, INTEGER_MAX - 1, INTEGER_MAX, INTEGER_MAX + 1, 2**32, 9_999_999_999]
    samples = edges + [random.Random(12).randrange(10**11) for _ in range(2000)]
    for number in samples:
        assert bool(pattern.fullmatch(str(number))) == (number <= INTEGER_MAX), number
    assert pattern.fullmatch("٣") is None


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"body": "a\x00b"}, "body"),
        ({"body": "lone \ud800 surrogate"}, "body"),
        ({"associations": [{"type": "deal", "note": "\x00"}]}, "associations[0].note"),
        ({"\x00": "a key with a NUL"}, "the request"),
    ],
)
def test_text_the_database_cannot_store_is_refused_naming_the_field(app, value, field):
    with pytest.raises(ValidationFailed) as refused:
        refuse_unstorable_text(value)
    assert list(refused.value.details["fields"]) == [field]


def test_free_text_from_mail_is_made_storable_instead():
    assert storable_text("re\x00port\udcff.pdf") == "report?.pdf"
