"""A dead letter's attributes within SQS's limits, checked against SQS's own rules: at most 10 attributes;
the size is the body's UTF-8 bytes plus each attribute's name, data type and value bytes. moto counts
neither, so these rules are tested here, on the pure code."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from task_creator.adapters.dead_letter_attributes import (
    DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES,
    DROPPED_ATTRIBUTES,
    ERROR_MESSAGE_MIN_BYTES,
    MINIMUM_ATTRIBUTE_BYTES,
    OUR_ATTRIBUTES,
    SQS_MAX_MAXIMUM_MESSAGE_SIZE,
    SQS_MAX_MESSAGE_ATTRIBUTES,
    SQS_MIN_MAXIMUM_MESSAGE_SIZE,
    AttributeValue,
    DeadLetterReason,
    FittedAttributes,
    attribute_bytes,
    clip_utf8,
    fit_attributes,
    from_lambda_attributes,
    message_bytes,
)
from task_creator.errors import DeadLetterUnavailable

pytestmark = pytest.mark.unit

DLQ_MAX = 262_144
INGEST_MAX = DLQ_MAX - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES
FAILED_AT = datetime(2026, 11, 23, 15, 4, 5, 123456, tzinfo=UTC)
REASON = DeadLetterReason(
    error_type="MappingError",
    error_message="[order-delayed] Name: rendered empty",
    rule="order-delayed",
    event_id="5a1c3a8e-3f0b-4a57-9d3e-2b8e0f6c1d2a",
    source_arn="arn:aws:sqs:us-east-1:123456789012:task-creator-ingest",
    failed_at=FAILED_AT,
)
REQUIRED = ("ErrorType", "ErrorMessage", "EventId")


def text(value: str, data_type: str = "String") -> AttributeValue:
    return {"DataType": data_type, "StringValue": value}


def value_of(fitted: FittedAttributes, name: str) -> str:
    return fitted.attributes[name]["StringValue"]


def originals(count: int, *, value_bytes: int = 8) -> dict[str, AttributeValue]:
    found = {"source": text("com.example.orders"), "detail-type": text("OrderDelayed")}
    for index in range(count - len(found)):
        found[f"attr{index:02d}"] = text("v" * (value_bytes + index))
    return found


def fit(body: str = "{}", reason: DeadLetterReason = REASON, attrs=None, maximum: int = DLQ_MAX):
    return fit_attributes(body, reason, attrs or {}, maximum_message_size=maximum)


def assert_within_sqs_limits(body: str, fitted: FittedAttributes, maximum: int) -> None:
    assert len(fitted.attributes) <= SQS_MAX_MESSAGE_ATTRIBUTES
    assert message_bytes(body, fitted.attributes) == fitted.size_bytes <= maximum
    assert all(value.get("StringValue", "x") for value in fitted.attributes.values())  # never empty


# --- SQS's size rule ------------------------------------------------------------------------------


def test_an_attribute_counts_its_name_data_type_and_value_bytes():
    assert attribute_bytes("Note", text("café")) == 4 + 6 + 5  # é is two bytes
    assert attribute_bytes("Size", text("42", "Number.int")) == 4 + 10 + 2
    assert attribute_bytes("Blob", {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"}) == 4 + 6 + 3
    assert message_bytes("€", {"Note": text("café")}) == 3 + 15


def test_clipping_counts_bytes_and_never_splits_a_character():
    clipped = clip_utf8("😀" * 10, 13)  # four bytes each; the ellipsis takes three
    assert clipped == "😀😀…"
    assert len(clipped.encode("utf-8")) <= 13
    assert clip_utf8("short", 13) == "short"


@pytest.mark.parametrize("size", [SQS_MIN_MAXIMUM_MESSAGE_SIZE - 1, SQS_MAX_MAXIMUM_MESSAGE_SIZE + 1])
def test_a_maximum_message_size_outside_what_sqs_allows_is_refused(size: int):
    with pytest.raises(ValueError, match="MaximumMessageSize"):
        fit(maximum=size)


def test_lambda_shaped_attributes_become_send_message_ones_and_empty_ones_are_left_out():
    converted = from_lambda_attributes(
        {
            "source": {"stringValue": "com.example.orders", "dataType": "String"},
            "blob": {"binaryValue": base64.b64encode(b"\x01\x02").decode(), "dataType": "Binary"},
            "empty": {"stringValue": "", "dataType": "String"},
            "odd": "not an attribute",
        }
    )
    assert converted == {
        "source": text("com.example.orders"),
        "blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
    }


# --- when everything fits ---------------------------------------------------------------------------


def test_when_everything_fits_our_six_attributes_come_first_then_every_original():
    fitted = fit(attrs=originals(4))

    assert list(fitted.attributes) == [
        "ErrorType",
        "ErrorMessage",
        "Rule",
        "EventId",
        "SourceArn",
        "FailedAt",
        "source",
        "detail-type",
        "attr00",
        "attr01",
    ]
    assert value_of(fitted, "SourceArn") == REASON.source_arn
    assert value_of(fitted, "FailedAt") == "2026-11-23T15:04:05.123456Z"
    assert value_of(fitted, "ErrorMessage") == REASON.error_message
    assert fitted.dropped == ()
    assert DROPPED_ATTRIBUTES not in fitted.attributes


def test_empty_values_are_sent_as_a_dash_because_sqs_refuses_empty_ones():
    fitted = fit(reason=DeadLetterReason("MalformedEvent", "not JSON", "", "id-1", "", FAILED_AT))
    assert value_of(fitted, "Rule") == "-"
    assert value_of(fitted, "SourceArn") == "-"


# --- too many attributes ----------------------------------------------------------------------------


def test_eleven_attributes_drop_failed_at_before_any_original():
    fitted = fit(attrs=originals(5))

    assert set(fitted.attributes) == {*REQUIRED, "Rule", "SourceArn", *originals(5)}
    assert fitted.dropped == ()


def test_seven_originals_keep_only_the_required_three_of_ours():
    fitted = fit(attrs=originals(7))

    assert set(fitted.attributes) == {*REQUIRED, *originals(7)}
    assert len(fitted.attributes) == SQS_MAX_MESSAGE_ATTRIBUTES


def test_ten_originals_lose_the_largest_and_name_them_keeping_source_and_detail_type():
    fitted = fit(attrs=originals(10))

    # 3 required + DroppedAttributes + 6 originals; the largest others went first.
    assert fitted.dropped == ("attr07", "attr06", "attr05", "attr04")
    assert value_of(fitted, DROPPED_ATTRIBUTES) == "attr07,attr06,attr05,attr04"
    assert {"source", "detail-type", "attr00", "attr03"} <= set(fitted.attributes)
    assert len(fitted.attributes) == SQS_MAX_MESSAGE_ATTRIBUTES


# --- too many bytes ---------------------------------------------------------------------------------


def body_leaving(room: int, attrs: dict[str, AttributeValue], maximum: int = DLQ_MAX) -> str:
    """A body that leaves ``room`` bytes for our attributes besides the originals."""
    return "x" * (maximum - message_bytes("", attrs) - room)


def test_byte_pressure_shortens_our_attributes_before_touching_the_originals():
    long_reason = DeadLetterReason(
        error_type="InvalidParameterException",
        error_message="InvalidParameterException: " + "the flow refused it " * 60,
        rule="order-delayed",
        event_id=REASON.event_id,
        source_arn=REASON.source_arn,
        failed_at=FAILED_AT,
    )
    attrs = originals(4)
    body = body_leaving(900, attrs)

    fitted = fit(body, long_reason, attrs)

    assert_within_sqs_limits(body, fitted, DLQ_MAX)
    assert set(attrs) <= set(fitted.attributes)
    assert len(value_of(fitted, "ErrorMessage").encode()) <= 512
    assert value_of(fitted, "ErrorMessage").endswith("…")
    assert value_of(fitted, "SourceArn") in {"task-creator-ingest", REASON.source_arn}
    assert value_of(fitted, "FailedAt") in {"2026-11-23T15:04:05Z", "2026-11-23T15:04:05.123456Z"}


def test_with_no_room_for_them_rule_source_arn_and_failed_at_are_left_out():
    attrs = originals(3)
    required_only = fit(attrs=attrs, maximum=DLQ_MAX)
    room = sum(attribute_bytes(n, v) for n, v in required_only.attributes.items() if n in REQUIRED)
    body = body_leaving(room, attrs)

    fitted = fit(body, attrs=attrs)

    assert set(fitted.attributes) == {*REQUIRED, *attrs}
    assert fitted.size_bytes == DLQ_MAX


def test_byte_pressure_then_drops_originals_largest_first_source_and_detail_type_last():
    attrs = {
        "source": text("s" * 100),
        "detail-type": text("d" * 100),
        "small": text("x"),
        "large": text("y" * 2000),
        "medium": text("z" * 800),
    }
    minimum = MINIMUM_ATTRIBUTE_BYTES
    body = "b" * (DLQ_MAX - minimum - 400)  # room for the required three and about 400 bytes more

    fitted = fit(body, attrs=attrs)

    assert_within_sqs_limits(body, fitted, DLQ_MAX)
    assert fitted.dropped == ("large", "medium")
    assert {"source", "detail-type", "small", DROPPED_ATTRIBUTES} <= set(fitted.attributes)
    assert value_of(fitted, DROPPED_ATTRIBUTES) == "large,medium"


def test_source_and_detail_type_are_the_last_originals_to_go():
    attrs = {"source": text("s" * 400), "detail-type": text("d" * 400), "other": text("o")}
    body = "b" * (DLQ_MAX - MINIMUM_ATTRIBUTE_BYTES - 200)

    fitted = fit(body, attrs=attrs)

    assert fitted.dropped == ("other", "detail-type")
    assert "source" in fitted.attributes
    assert set(fitted.attributes) - {"Rule", "SourceArn", "FailedAt"} == {
        *REQUIRED,
        DROPPED_ATTRIBUTES,
        "source",
    }


def test_the_error_message_keeps_a_floor_and_error_type_event_id_always_stay():
    reason = DeadLetterReason("E" * 500, "€" * 2000, "r" * 3000, "evt-" + "9" * 60, "a" * 900, FAILED_AT)
    body = "b" * (SQS_MIN_MAXIMUM_MESSAGE_SIZE * 4 - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES)

    fitted = fit(body, reason, maximum=SQS_MIN_MAXIMUM_MESSAGE_SIZE * 4)

    assert value_of(fitted, "EventId") == reason.event_id  # whole: it is the identity on redrive
    assert len(value_of(fitted, "ErrorType").encode()) <= 128
    assert ERROR_MESSAGE_MIN_BYTES - 3 <= len(value_of(fitted, "ErrorMessage").encode()) <= 512


# --- the ingest queue sized with the headroom ---------------------------------------------------------


def test_the_headroom_covers_the_required_attributes_and_leaves_a_valid_ingest_maximum():
    assert DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES >= MINIMUM_ATTRIBUTE_BYTES
    assert SQS_MAX_MAXIMUM_MESSAGE_SIZE - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES >= SQS_MIN_MAXIMUM_MESSAGE_SIZE


def test_a_body_at_the_ingest_queues_maximum_still_dead_letters():
    body = "x" * INGEST_MAX
    fitted = fit(body, REASON)
    assert_within_sqs_limits(body, fitted, DLQ_MAX)
    assert set(REQUIRED) <= set(fitted.attributes)


def test_a_full_ingest_message_with_ten_attributes_still_dead_letters():
    attrs = originals(10, value_bytes=200)
    body = "x" * (INGEST_MAX - message_bytes("", attrs))
    assert message_bytes(body, attrs) == INGEST_MAX

    fitted = fit(body, REASON, attrs)

    assert_within_sqs_limits(body, fitted, DLQ_MAX)
    assert {"source", "detail-type", *REQUIRED, DROPPED_ATTRIBUTES} <= set(fitted.attributes)


def test_a_body_over_the_dlq_maximum_is_refused_without_echoing_it():
    body = "secret order for Alice " * 12_000

    with pytest.raises(DeadLetterUnavailable) as raised:
        fit(body, REASON)

    assert "Alice" not in raised.value.message
    assert "MaximumMessageSize of 262144 bytes" in raised.value.message


def test_when_even_the_dropped_list_does_not_fit_it_is_left_out():
    attrs = {"a": text("x")}  # dropping it frees 8 bytes; naming it would cost 24
    required = fit(attrs={}).attributes
    taken = sum(attribute_bytes(n, v) for n, v in required.items() if n in REQUIRED)
    body = "b" * (DLQ_MAX - taken - 4)

    fitted = fit(body, attrs=attrs)

    assert set(fitted.attributes) == set(REQUIRED)
    assert fitted.dropped == ("a",)


# --- a letter redriven and failing again --------------------------------------------------------------


def test_a_redriven_letter_supersedes_our_old_attributes_and_carries_earlier_dropped_names():
    earlier = {
        "ErrorType": text("ThrottlingException"),
        "ErrorMessage": text("old reason"),
        "Rule": text("old-rule"),
        "EventId": text(REASON.event_id),
        "SourceArn": text("arn:aws:sqs:us-east-1:123456789012:old"),
        "FailedAt": text("2026-01-01T00:00:00.000000Z"),
        DROPPED_ATTRIBUTES: text("attr08,attr09"),
        **originals(3),
    }

    fitted = fit(attrs=earlier)

    assert value_of(fitted, "ErrorType") == "MappingError"
    assert value_of(fitted, "FailedAt") == "2026-11-23T15:04:05.123456Z"
    assert value_of(fitted, DROPPED_ATTRIBUTES) == "attr08,attr09"
    assert fitted.dropped == ()
    assert set(originals(3)) <= set(fitted.attributes)
    assert len(fitted.attributes) == SQS_MAX_MESSAGE_ATTRIBUTES


# --- the rule, for any record -------------------------------------------------------------------------

NAMES = st.one_of(
    st.sampled_from(["source", "detail-type", *OUR_ATTRIBUTES]),
    st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
)
ANY_CHARACTER = st.characters(codec="utf-8", exclude_categories=["Cs"])
VALUES = st.one_of(
    st.builds(text, st.text(ANY_CHARACTER, min_size=1, max_size=300)),
    st.builds(lambda data: {"DataType": "Binary", "BinaryValue": data}, st.binary(min_size=1, max_size=300)),
)
LONG_TEXT = st.text(ANY_CHARACTER, max_size=3000)


@settings(max_examples=150, deadline=None)
@given(
    maximum=st.integers(4 * SQS_MIN_MAXIMUM_MESSAGE_SIZE, 16 * SQS_MIN_MAXIMUM_MESSAGE_SIZE),
    attrs=st.dictionaries(NAMES, VALUES, max_size=SQS_MAX_MESSAGE_ATTRIBUTES),
    error_type=st.text(max_size=400),
    error_message=LONG_TEXT,
    rule=LONG_TEXT,
    source_arn=st.text(max_size=400),
    event_id=st.text(min_size=1, max_size=32),  # at most 128 bytes: EVENT_ID_BUDGET_BYTES
    data=st.data(),
)
def test_any_record_that_fit_the_ingest_queue_fits_the_dlq_with_its_reason(  # noqa: PLR0917
    maximum, attrs, error_type, error_message, rule, source_arn, event_id, data
):
    if "EventId" in attrs and "StringValue" in attrs["EventId"]:
        event_id = attrs["EventId"]["StringValue"]  # a raw payload's identity, read from its attribute
    room = maximum - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES - message_bytes("", attrs)
    body = "x" * data.draw(st.integers(max(room - 300, 1), max(room, 1)))  # near the bound
    reason = DeadLetterReason(error_type, error_message, rule, event_id, source_arn, FAILED_AT)
    if message_bytes(body, attrs) > maximum - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES:
        return  # this record could not have been on the ingest queue

    fitted = fit_attributes(body, reason, attrs, maximum_message_size=maximum)

    assert_within_sqs_limits(body, fitted, maximum)
    assert set(REQUIRED) <= set(fitted.attributes)
    assert value_of(fitted, "EventId") == (event_id or "-")
    carried = {name for name in attrs if name not in OUR_ATTRIBUTES}
    kept = carried & set(fitted.attributes)
    assert kept | set(fitted.dropped) == carried
    assert all(fitted.attributes[name] == attrs[name] for name in kept)
    if fitted.dropped:
        listed = value_of(fitted, DROPPED_ATTRIBUTES).split(",")
        assert listed[-len(fitted.dropped) :] == list(fitted.dropped)
