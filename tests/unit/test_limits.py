"""Connect's documented StartTaskContact limits, checked before the call: what passes, what is truncated,
and what fails naming the field (never quoting the value). Every bound botocore's model states is also
walked, path by path, in test_connect_model_constraints.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from task_creator.errors import LimitViolation, PermanentFailure
from task_creator.mapping.limits import (
    ATTRIBUTES_MAX_BYTES,
    DESCRIPTION_MAX_CHARS,
    NAME_MAX_CHARS,
    REFERENCES_MAX_BYTES,
    TRUNCATION_MARKER,
    LimitPolicy,
    enforce_limits,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TRUNCATE = LimitPolicy()
FAIL = LimitPolicy(oversize="fail")
FILE = {"FileName": "invoice.pdf", "S3Url": "https://bucket.s3.amazonaws.com/invoice.pdf"}


def request(**fields: Any) -> dict[str, Any]:
    """A valid request; ``None`` removes a field."""
    base: dict[str, Any] = {
        "InstanceId": "11111111-2222-3333-4444-555555555555",
        "ContactFlowId": "f0e1d2c3-0000-4000-8000-000000000001",
        "Name": "Order ORD-1001 is delayed",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def check(policy: LimitPolicy = TRUNCATE, /, **fields: Any) -> dict[str, Any]:
    return enforce_limits(request(**fields), policy=policy)


def violation(policy: LimitPolicy = TRUNCATE, /, **fields: Any) -> LimitViolation:
    with pytest.raises(LimitViolation) as raised:
        check(policy, **fields)
    return raised.value


def test_valid_request_passes_unchanged() -> None:
    valid = request(
        Description="d",
        Attributes={"orderId": "ORD-1"},
        References={"Order": {"Type": "URL", "Value": "https://shop.example.com/o/1"}},
        ScheduledTime=NOW + timedelta(days=1),
        Attachments=[FILE],
    )

    assert enforce_limits(valid, policy=TRUNCATE) == valid


def test_limit_violation_is_a_permanent_failure_naming_the_field() -> None:
    error = violation(Attributes={"order id": "x"})

    assert isinstance(error, PermanentFailure)
    assert error.field == "Attributes.order id"
    assert error.message.startswith("Attributes.order id: ")


# --- Name and Description ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"), [("Name", NAME_MAX_CHARS), ("Description", DESCRIPTION_MAX_CHARS)]
)
@pytest.mark.parametrize("policy", [TRUNCATE, FAIL], ids=["truncate", "fail"])
def test_text_at_exactly_the_limit_is_unchanged(field: str, limit: int, policy: LimitPolicy) -> None:
    text = "x" * limit

    assert check(policy, **{field: text})[field] == text


@pytest.mark.parametrize(
    ("field", "limit"), [("Name", NAME_MAX_CHARS), ("Description", DESCRIPTION_MAX_CHARS)]
)
def test_text_one_over_the_limit_is_truncated_to_the_limit_with_a_marker(field: str, limit: int) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(limit + 1))

    fitted = check(**{field: text})[field]

    assert len(fitted) == limit
    assert fitted.endswith(TRUNCATION_MARKER)
    assert fitted == text[: limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER


def test_limits_count_characters_not_bytes_for_name() -> None:
    name = "é" * NAME_MAX_CHARS

    assert check(Name=name)["Name"] == name


def test_truncation_does_not_change_the_request_it_was_given() -> None:
    original = request(Name="x" * 2000)

    enforce_limits(original, policy=TRUNCATE)

    assert len(original["Name"]) == 2000


@pytest.mark.parametrize(
    ("field", "limit"), [("Name", NAME_MAX_CHARS), ("Description", DESCRIPTION_MAX_CHARS)]
)
def test_oversize_fail_rejects_text_over_the_limit(field: str, limit: int) -> None:
    error = violation(FAIL, **{field: "x" * (limit + 1)})

    assert error.field == field
    assert f"{limit + 1} characters, the limit is {limit}" in error.message


# --- ids --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [("InstanceId", 100), ("ContactFlowId", 500), ("PreviousContactId", 256), ("RelatedContactId", 256)],
)
def test_ids_longer_than_connect_accepts_are_rejected(field: str, limit: int) -> None:
    assert check(**{field: "i" * limit})[field] == "i" * limit
    assert violation(**{field: "i" * (limit + 1)}).field == field


# --- Attributes -------------------------------------------------------------------------------------


def test_attribute_keys_may_use_letters_digits_underscore_and_dash() -> None:
    attributes = {"order_Id-2": "x", "A": "y"}

    assert check(Attributes=attributes)["Attributes"] == attributes


@pytest.mark.parametrize("key", ["order id", "order.id", "orderé", "", "a/b"])
def test_attribute_key_outside_the_allowed_characters_is_rejected(key: str) -> None:
    assert violation(Attributes={key: "x"}).field == f"Attributes.{key}"


def test_attribute_key_with_a_trailing_newline_is_rejected_and_named_escaped() -> None:
    # A raw newline in a field name would split the log line and the DLQ's ErrorMessage.
    assert violation(Attributes={"orderId\n": "x"}).field == "Attributes.'orderId\\n'"


def test_attribute_value_that_is_not_text_is_rejected() -> None:
    assert violation(Attributes={"count": 3}).field == "Attributes.count"


def test_attributes_at_exactly_the_byte_budget_pass() -> None:
    attributes = {"k": "v" * (ATTRIBUTES_MAX_BYTES - 1)}

    assert check(Attributes=attributes)["Attributes"] == attributes


def test_attributes_one_byte_over_the_budget_fail_counting_keys_too() -> None:
    error = violation(Attributes={"ab": "v" * (ATTRIBUTES_MAX_BYTES - 1)})

    assert error.field == "Attributes"
    assert f"{ATTRIBUTES_MAX_BYTES + 1} UTF-8 bytes" in error.message


def test_attribute_budget_counts_utf8_bytes_of_multibyte_characters() -> None:
    # 10,923 euro signs are 10,923 characters but 32,769 bytes; with the 1-byte key, 32,770.
    fits = {"k": "€" * 10_922}  # 1 + 32,766 bytes
    too_big = {"k": "€" * 10_923}

    assert check(Attributes=fits)["Attributes"] == fits
    assert "32770 UTF-8 bytes" in violation(Attributes=too_big).message


def test_attribute_budget_spans_all_pairs() -> None:
    half = "v" * (ATTRIBUTES_MAX_BYTES // 2)

    assert violation(Attributes={"a": half, "b": half}).field == "Attributes"


# --- References -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["URL", "NUMBER", "STRING", "DATE", "EMAIL"])
def test_reference_types_allowed_at_creation_pass(kind: str) -> None:
    references = {"R": {"Type": kind, "Value": "1795512600"}}

    assert check(References=references)["References"] == references


@pytest.mark.parametrize("kind", ["ATTACHMENT", "CONTACT_ANALYSIS", "EMAIL_MESSAGE", "url"])
def test_reference_types_not_allowed_at_creation_are_rejected(kind: str) -> None:
    assert violation(References={"R": {"Type": kind, "Value": "v"}}).field == "References.R.Type"


@pytest.mark.parametrize("value", ["2026-11-24T09:30:00Z", "-5", "1.5", ""])
def test_date_reference_must_be_epoch_seconds(value: str) -> None:
    error = violation(References={"Due": {"Type": "DATE", "Value": value}})

    assert error.field == "References.Due.Value"


def test_references_at_exactly_the_byte_budget_pass() -> None:
    references = {"R": {"Type": "STRING", "Value": "v" * (REFERENCES_MAX_BYTES - 1)}}

    assert check(References=references)["References"] == references


def test_references_over_the_byte_budget_fail_counting_multibyte_characters() -> None:
    # "R" (1 byte) + 1,366 "é" (2,732 bytes) + "S" (1) + 682 "€" (2,046 bytes) = 4,780 bytes, 2,050 chars.
    references = {
        "R": {"Type": "STRING", "Value": "é" * 1366},
        "S": {"Type": "STRING", "Value": "€" * 682},
    }

    error = violation(References=references)

    assert error.field == "References"
    assert "4780 UTF-8 bytes" in error.message


# --- flow selectors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("selector", ["ContactFlowId", "QuickConnectId", "TaskTemplateId"])
def test_exactly_one_flow_selector_passes(selector: str) -> None:
    selectors = {"ContactFlowId": None, selector: "sel-1"}

    assert check(**selectors)[selector] == "sel-1"


@pytest.mark.parametrize(
    "selectors",
    [
        ("ContactFlowId", "QuickConnectId"),
        ("ContactFlowId", "TaskTemplateId"),
        ("QuickConnectId", "TaskTemplateId"),
    ],
)
def test_two_flow_selectors_are_rejected(selectors: tuple[str, str]) -> None:
    error = violation(**{"ContactFlowId": None, **dict.fromkeys(selectors, "sel")})

    assert error.field == "ContactFlowId"
    assert "exactly one of" in error.message


def test_no_flow_selector_is_rejected() -> None:
    assert "is required" in violation(ContactFlowId=None).message


# --- Attachments ------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 5])
def test_one_to_five_attachments_pass(count: int) -> None:
    assert len(check(Attachments=[FILE] * count)["Attachments"]) == count


@pytest.mark.parametrize("count", [0, 6])
def test_zero_or_six_attachments_are_rejected(count: int) -> None:
    error = violation(Attachments=[FILE] * count)

    assert error.field == "Attachments"
    assert f"{count} given, Connect accepts 1 to 5" in error.message


# --- the request's members --------------------------------------------------------------------------


def test_parameter_that_start_task_contact_does_not_have_is_rejected() -> None:
    assert violation(Priority="high").field == "Priority"


@pytest.mark.parametrize("field", ["InstanceId", "Name"])
def test_request_without_instance_id_or_name_is_rejected(field: str) -> None:
    assert violation(**{field: None}).message == f"{field}: is required"


@pytest.mark.parametrize("field", ["InstanceId", "PreviousContactId", "RelatedContactId"])
def test_empty_id_is_rejected(field: str) -> None:
    assert "at least 1 required" in violation(**{field: ""}).message


def test_id_that_is_not_text_is_rejected() -> None:
    assert violation(RelatedContactId=42).field == "RelatedContactId"


def test_naive_scheduled_time_is_rejected() -> None:
    assert violation(ScheduledTime=datetime(2026, 11, 24, 9, 30)).field == "ScheduledTime"


# --- text must be valid Unicode ---------------------------------------------------------------------

SURROGATE = "\ud800"


def attachments_with(**fields: str) -> list[dict[str, str]]:
    return [{**FILE, **fields}]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"Name": f"Order {SURROGATE}"}, "Name", id="name"),
        pytest.param({"Description": f"late {SURROGATE}"}, "Description", id="description"),
        pytest.param({"RelatedContactId": SURROGATE}, "RelatedContactId", id="id"),
        pytest.param({"Attributes": {"orderId": SURROGATE}}, "Attributes.orderId", id="attribute-value"),
        pytest.param(
            {"References": {"R": {"Type": "STRING", "Value": SURROGATE}}},
            "References.R.Value",
            id="reference",
        ),
        pytest.param(
            {"References": {SURROGATE: {"Type": "URL", "Value": "v"}}}, "References.'\\ud800'", id="ref-name"
        ),
        pytest.param(
            {"SegmentAttributes": {"s": {"ValueString": SURROGATE}}},
            "SegmentAttributes.s.ValueString",
            id="segment",
        ),
        pytest.param({"Attachments": attachments_with(S3Url=SURROGATE)}, "Attachments[0].S3Url", id="s3-url"),
    ],
)
def test_text_with_an_unpaired_surrogate_is_rejected_naming_the_field_not_the_value(
    fields: dict[str, Any], field: str
) -> None:
    error = violation(**fields)

    assert error.field == field
    assert "unpaired surrogate" in error.message
    error.message.encode("utf-8")  # the message itself can go to the logs and the DLQ


def test_unpaired_surrogate_in_an_over_long_name_is_rejected_not_truncated_away() -> None:
    name = SURROGATE + "x" * NAME_MAX_CHARS

    assert "unpaired surrogate" in violation(Name=name).message


def test_a_surrogate_pair_written_as_one_character_is_valid_text() -> None:
    assert check(Name="Order 😀")["Name"] == "Order 😀"


# --- references ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["١٧٩٥٥١٢٦٠٠", "²³"])
def test_date_reference_in_non_ascii_digits_is_rejected(value: str) -> None:
    assert violation(References={"Due": {"Type": "DATE", "Value": value}}).field == "References.Due.Value"


def test_reference_value_over_4096_characters_is_named_before_the_budget() -> None:
    references = {"R": {"Type": "STRING", "Value": "v" * 4097}}

    assert violation(References=references).field == "References.R.Value"


def test_reference_status_cannot_be_set_at_creation() -> None:
    references = {"R": {"Type": "URL", "Value": "v", "Status": "APPROVED"}}

    assert violation(References=references).field == "References.R.Status"


# --- segment attributes -------------------------------------------------------------------------------


def test_segment_values_nested_in_maps_and_lists_are_checked_too() -> None:
    too_long = {"ValueString": "v" * 1025}
    nested_in_map = {"s": {"ValueMap": {"inner": too_long}}}
    nested_in_list = {"s": {"ValueList": [{"ValueString": "ok"}, too_long]}}

    assert (
        violation(SegmentAttributes=nested_in_map).field == "SegmentAttributes.s.ValueMap.inner.ValueString"
    )
    assert violation(SegmentAttributes=nested_in_list).field == "SegmentAttributes.s.ValueList[1].ValueString"


@pytest.mark.parametrize("number", [2**31, -(2**31) - 1, 10**400])
def test_segment_integer_outside_32_bits_is_rejected_without_echoing_it(number: int) -> None:
    error = violation(SegmentAttributes={"priority": {"ValueInteger": number}})

    assert error.field == "SegmentAttributes.priority.ValueInteger"
    assert "32-bit signed integer (-2147483648 to 2147483647)" in error.message


@pytest.mark.parametrize("value", [True, 1.5, "3"])
def test_segment_integer_that_is_no_integer_is_rejected(value: Any) -> None:
    assert (
        violation(SegmentAttributes={"p": {"ValueInteger": value}}).field
        == "SegmentAttributes.p.ValueInteger"
    )


def test_segment_value_with_two_kinds_is_rejected() -> None:
    value = {"ValueString": "a", "ValueArn": "b"}

    assert violation(SegmentAttributes={"s": value}).field == "SegmentAttributes.s"


def test_map_key_over_128_characters_is_rejected() -> None:
    value = {"ValueMap": {"k" * 129: {"ValueString": "v"}}}

    assert violation(SegmentAttributes={"s": value}).field.startswith("SegmentAttributes.s.ValueMap.kkk")


# --- attachments ----------------------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\n", "\t", "\u200b", "\u202e"])
def test_attachment_file_name_with_control_or_format_characters_is_rejected(character: str) -> None:
    error = violation(Attachments=attachments_with(FileName=f"invoice{character}.pdf"))

    assert error.field == "Attachments[0].FileName"
    assert "Unicode category C" in error.message


def test_attachment_file_name_over_256_characters_is_rejected() -> None:
    assert violation(Attachments=attachments_with(FileName="f" * 257)).field == "Attachments[0].FileName"


def test_attachment_url_over_2000_characters_is_rejected() -> None:
    assert violation(Attachments=attachments_with(S3Url="u" * 2001)).field == "Attachments[0].S3Url"


def test_attachment_with_a_member_other_than_file_name_and_url_is_rejected() -> None:
    assert violation(Attachments=attachments_with(ContentType="pdf")).field == "Attachments[0]"
