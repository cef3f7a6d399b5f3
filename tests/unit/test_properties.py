"""Properties (hypothesis): ClientTokens are deterministic and distinct, the limit checks agree with a
plain count of characters and UTF-8 bytes, and hostile values (unpaired surrogates, control characters,
numbers beyond any range) end in a typed permanent failure or a request UTF-8 can carry, never in an
untyped exception."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from task_creator.errors import LimitViolation, MalformedEvent, PermanentFailure
from task_creator.mapping.envelope import event_from_sqs_record
from task_creator.mapping.limits import (
    ATTRIBUTE_VALUE,
    ATTRIBUTES_MAX_BYTES,
    DESCRIPTION_MAX_CHARS,
    NAME_MAX_CHARS,
    REFERENCE_VALUE,
    REFERENCES_MAX_BYTES,
    TRUNCATION_MARKER,
    LimitPolicy,
    enforce_limits,
)
from task_creator.mapping.planning import PlanningContext, plan_event
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import load_mapping
from task_creator.mapping.templates import TemplateError, as_text
from task_creator.mapping.token import client_token
from tests.support import SHIPPED_MAPPING_FILE, load_record

MODEST = settings(max_examples=60, deadline=None)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
BASE_REQUEST = {"InstanceId": "instance-1", "ContactFlowId": "flow-1", "Name": "n"}

parts = st.text(max_size=40)
triples = st.tuples(parts, parts, parts)
# One- to four-byte characters, so character and byte counts differ.
WIDE_CHARACTERS = ["a", "é", "€", "😀"]
ATTRIBUTE_KEYS = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
# Reference names as a mapping file holds them; field names show a name that is not printable escaped.
PRINTABLE_NAMES = st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=10)


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
    too_long = [key for key, value in attributes.items() if len(value) > ATTRIBUTE_VALUE.max]

    if too_long or size > ATTRIBUTES_MAX_BYTES:
        with pytest.raises(LimitViolation) as raised:
            checked(Attributes=attributes)
        # One value over the model's 32,767 characters is named; otherwise the budget over all pairs.
        assert raised.value.field == (f"Attributes.{too_long[0]}" if too_long else "Attributes")
    else:
        assert checked(Attributes=attributes)["Attributes"] == attributes


@MODEST
@given(
    names=st.lists(PRINTABLE_NAMES, min_size=1, max_size=4, unique=True),
    filler=filler_near(REFERENCES_MAX_BYTES),
)
def test_reference_budget_check_agrees_with_a_plain_byte_count(names: list[str], filler: str) -> None:
    references = {
        name: {"Type": "STRING", "Value": filler if i == 0 else name} for i, name in enumerate(names)
    }
    size = sum(utf8_size(name) + utf8_size(ref["Value"]) for name, ref in references.items())
    too_long = len(filler) > REFERENCE_VALUE.max

    if too_long or size > REFERENCES_MAX_BYTES:
        with pytest.raises(LimitViolation) as raised:
            checked(References=references)
        # A value over the model's 4,096 characters is named; otherwise the budget over all references.
        assert raised.value.field == (f"References.{names[0]}.Value" if too_long else "References")
    else:
        assert checked(References=references)["References"] == references


# --- hostile values -----------------------------------------------------------------------------------

HOSTILE_CHARACTERS = st.sampled_from(["a", "é", "😀", "\ud800", "\udfff", "\x00", "\n", "\u200b", " "])
hostile_text = st.text(HOSTILE_CHARACTERS | st.characters(), max_size=12)
hostile_numbers = (
    st.sampled_from([10**400, -(10**400), 2**31, 2**63, 1e308, float("inf"), float("-inf"), float("nan")])
    | st.integers()
    | st.floats()
)
json_values = st.recursive(
    st.none() | st.booleans() | hostile_numbers | hostile_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3),
    max_leaves=8,
)
SHIPPED = load_mapping(SHIPPED_MAPPING_FILE)
CONTEXT = PlanningContext(
    defaults=TaskDefaults(instance_id="instance-1", contact_flow_id="flow-1"), token_namespace="ns"
)
ORDER_RECORD = load_record("sqs-eventbridge-batch.json", 0)


def encodes(value: Any) -> bool:
    """True when ``value`` written as JSON text (non-ASCII kept) has a UTF-8 form: botocore can send it."""
    json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    return True


def attempt(action: Callable[[], Any]) -> Any:
    """What ``action`` returns, or the typed failure it raised; anything untyped propagates."""
    try:
        return action()
    except (PermanentFailure, TemplateError) as error:
        return error


@MODEST
@given(name=hostile_text, description=hostile_text, value=hostile_text)
def test_limits_pass_only_text_utf8_can_carry_and_otherwise_name_the_field(
    name: str, description: str, value: str
) -> None:
    fields = {
        "Name": name or "n",
        "Description": description,
        "Attributes": {"k": value},
        "References": {"R": {"Type": "STRING", "Value": value}},
        "SegmentAttributes": {"s": {"ValueString": value}},
    }

    result = attempt(lambda: checked(**fields))

    assert encodes(result.message if isinstance(result, LimitViolation) else result)


@MODEST
@given(json_values)
def test_any_json_value_is_written_as_text_or_refused_with_a_template_error(value: Any) -> None:
    result = attempt(lambda: as_text(value))

    if isinstance(result, TemplateError):
        assert encodes(str(result))
    else:
        assert result is None or isinstance(result, str)


ORDER_FIELDS = ("orderId", "reason", "priority", "delayDays", "followUpAt", "customer", "amount")


@MODEST
@given(
    detail=st.fixed_dictionaries({}, optional=dict.fromkeys(ORDER_FIELDS, json_values)),
    event_id=hostile_text,
)
def test_a_hostile_order_event_plans_requests_utf8_can_carry_or_fails_typed(
    detail: dict[str, Any], event_id: str
) -> None:
    envelope = json.loads(ORDER_RECORD["body"])
    envelope["detail"].update(detail)
    record = {**ORDER_RECORD, "body": json.dumps({**envelope, "id": event_id or envelope["id"]})}

    event = attempt(lambda: event_from_sqs_record(record))
    if isinstance(event, MalformedEvent):
        assert encodes(event.message)
        return
    plan = plan_event(event, SHIPPED, CONTEXT)

    assert all(encodes(task.request) for task in plan.tasks)
    assert all(isinstance(failure.error, PermanentFailure) for failure in plan.failures)
    assert all(encodes(failure.error.message) for failure in plan.failures)
