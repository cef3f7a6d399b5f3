"""Properties (hypothesis): ClientTokens are deterministic and distinct, and the limit checks agree with
a plain count of characters and UTF-8 bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from task_creator.errors import LimitViolation
from task_creator.mapping.limits import (
    ATTRIBUTES_MAX_BYTES,
    DESCRIPTION_MAX_CHARS,
    NAME_MAX_CHARS,
    REFERENCES_MAX_BYTES,
    TRUNCATION_MARKER,
    LimitPolicy,
    enforce_limits,
)
from task_creator.mapping.token import client_token

MODEST = settings(max_examples=60, deadline=None)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
BASE_REQUEST = {"InstanceId": "instance-1", "ContactFlowId": "flow-1", "Name": "n"}

parts = st.text(max_size=40)
triples = st.tuples(parts, parts, parts)
# One- to four-byte characters, so character and byte counts differ.
WIDE_CHARACTERS = ["a", "é", "€", "😀"]
ATTRIBUTE_KEYS = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)


def checked(**fields: Any) -> dict[str, Any]:
    return enforce_limits({**BASE_REQUEST, **fields}, policy=LimitPolicy())


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


@st.composite
def text_near(draw: st.DrawFn, limit: int) -> str:
    """Text of mixed-width characters whose length lands around ``limit``."""
    length = draw(st.integers(min_value=max(0, limit - 30), max_value=limit + 30) | st.integers(0, 2 * limit))
    pieces = draw(st.lists(st.sampled_from(WIDE_CHARACTERS), min_size=1, max_size=8))
    return "".join(pieces[i % len(pieces)] for i in range(length))


@st.composite
def filler_near(draw: st.DrawFn, budget: int) -> str:
    """A value of one character repeated so its UTF-8 size lands around ``budget``."""
    character = draw(st.sampled_from(WIDE_CHARACTERS))
    width = utf8_size(character)
    count = draw(st.integers(min_value=max(0, budget // width - 40), max_value=budget // width + 40))
    return character * count


@MODEST
@given(triples)
def test_token_is_deterministic(triple: tuple[str, str, str]) -> None:
    assert client_token(*triple) == client_token(*triple)


@MODEST
@given(triples, triples)
def test_distinct_triples_give_distinct_tokens(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    if first != second:
        assert client_token(*first) != client_token(*second)
    else:
        assert client_token(*first) == client_token(*second)


@MODEST
@given(st.lists(triples, min_size=2, max_size=12, unique=True))
def test_tokens_of_many_distinct_triples_are_all_distinct(many: list[tuple[str, str, str]]) -> None:
    tokens = {client_token(*triple) for triple in many}

    assert len(tokens) == len(many)
    assert all(len(token) <= 500 for token in tokens)


@pytest.mark.parametrize(
    ("field", "limit"), [("Name", NAME_MAX_CHARS), ("Description", DESCRIPTION_MAX_CHARS)]
)
@MODEST
@given(data=st.data())
def test_truncation_never_exceeds_the_limit_and_keeps_the_prefix(
    field: str, limit: int, data: st.DataObject
) -> None:
    text = data.draw(text_near(limit))

    fitted = checked(**{field: text})[field]

    assert len(fitted) <= limit
    if len(text) <= limit:
        assert fitted == text
    else:
        kept = limit - len(TRUNCATION_MARKER)
        assert fitted == text[:kept] + TRUNCATION_MARKER


@MODEST
@given(
    small=st.dictionaries(ATTRIBUTE_KEYS, st.text(max_size=30), max_size=5),
    filler_key=ATTRIBUTE_KEYS,
    filler=filler_near(ATTRIBUTES_MAX_BYTES),
)
def test_attribute_budget_check_agrees_with_a_plain_byte_count(
    small: dict[str, str], filler_key: str, filler: str
) -> None:
    attributes = {**small, filler_key: filler}
    size = sum(utf8_size(key) + utf8_size(value) for key, value in attributes.items())

    if size > ATTRIBUTES_MAX_BYTES:
        with pytest.raises(LimitViolation) as raised:
            checked(Attributes=attributes)
        assert raised.value.field == "Attributes"
    else:
        assert checked(Attributes=attributes)["Attributes"] == attributes


@MODEST
@given(
    names=st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=4, unique=True),
    filler=filler_near(REFERENCES_MAX_BYTES),
)
def test_reference_budget_check_agrees_with_a_plain_byte_count(names: list[str], filler: str) -> None:
    references = {
        name: {"Type": "STRING", "Value": filler if i == 0 else name} for i, name in enumerate(names)
    }
    size = sum(utf8_size(name) + utf8_size(ref["Value"]) for name, ref in references.items())

    if size > REFERENCES_MAX_BYTES:
        with pytest.raises(LimitViolation) as raised:
            checked(References=references)
        assert raised.value.field == "References"
    else:
        assert checked(References=references)["References"] == references
