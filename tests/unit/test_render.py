"""Rendering a rule's task for an event: each StartTaskContact parameter gets the type it needs, empty
optional fields are left out, and the function's defaults fill InstanceId and the flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from task_creator.errors import MappingError
from task_creator.mapping.keys import render_identity
from task_creator.mapping.render import TaskDefaults, render_request
from task_creator.mapping.rules import MappingRule, parse_mapping

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
DEFAULT_FLOW = "f0e1d2c3-0000-4000-8000-000000000001"
DEFAULTS = TaskDefaults(instance_id=INSTANCE_ID, contact_flow_id=DEFAULT_FLOW)
FOLLOW_UP = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
FOLLOW_UP_EPOCH = 1795512600  # 2026-11-24T09:30:00Z


def make_rule(task: dict[str, Any], **fields: Any) -> MappingRule:
    document = {"rules": [{"name": "r", "match": {"source": ["acme.orders"]}, "task": task, **fields}]}
    return parse_mapping(document).rules[0]


def envelope(**detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "source": "acme.orders",
        "detail-type": "OrderDelayed",
        "account": "123456789012",
        "time": "2026-11-23T14:05:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def render(task: dict[str, Any], defaults: TaskDefaults = DEFAULTS, **detail: Any) -> dict[str, Any]:
    return render_request(make_rule({"Name": "n", **task}), envelope(**detail), defaults)


def rendered_field(field: str, template: Any, **detail: Any) -> Any:
    """The rendered value of one field, or None when the field was left out."""
    return render({field: template}, **detail).get(field)


# --- text parameters --------------------------------------------------------------------------------


def test_rule_from_the_issue_renders_the_request() -> None:
    task = {
        "Name": "Order {{ detail.orderId }} is delayed",
        "Description": "{{ detail.reason || 'No reason given' }}",
        "Attributes": {"orderId": "{{ detail.orderId }}", "customer": "{{ detail.customer.id }}"},
        "References": {
            "Order": {"Type": "URL", "Value": "https://shop.example.com/orders/{{ detail.orderId }}"}
        },
        "ScheduledTime": "{{ detail.followUpAt }}",
    }
    event = envelope(orderId="ORD-1", customer={"id": "C-9"}, followUpAt="2026-11-24T09:30:00Z")

    request = render_request(make_rule(task), event, DEFAULTS)

    assert request == {
        "InstanceId": INSTANCE_ID,
        "ContactFlowId": DEFAULT_FLOW,
        "Name": "Order ORD-1 is delayed",
        "Description": "No reason given",
        "Attributes": {"orderId": "ORD-1", "customer": "C-9"},
        "References": {"Order": {"Type": "URL", "Value": "https://shop.example.com/orders/ORD-1"}},
        "ScheduledTime": FOLLOW_UP,
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [(2, "2"), (129.95, "129.95"), (True, "true"), (False, "false"), ({"a": [1]}, '{"a":[1]}'), ("s", "s")],
)
def test_text_parameters_take_values_written_as_text(value: Any, text: str) -> None:
    request = render(
        {
            "Name": "{{ detail.v }}",
            "Description": "{{ detail.v }}",
            "Attributes": {"v": "{{ detail.v }}"},
            "References": {"V": {"Type": "STRING", "Value": "{{ detail.v }}"}},
            "PreviousContactId": "{{ detail.v }}",
        },
        v=value,
    )

    assert request["Name"] == request["Description"] == request["PreviousContactId"] == text
    assert request["Attributes"] == {"v": text}
    assert request["References"] == {"V": {"Type": "STRING", "Value": text}}


@pytest.mark.parametrize("field", ["PreviousContactId", "RelatedContactId", "Description"])
@pytest.mark.parametrize("value", [None, ""], ids=["null", "empty"])
def test_optional_text_rendering_null_or_empty_is_left_out(field: str, value: Any) -> None:
    request = render({field: "{{ detail.v }}"}, v=value)

    assert field not in request


def test_attribute_rendering_null_or_empty_is_left_out_and_others_kept() -> None:
    attributes = {"kept": "{{ detail.a }}", "null": "{{ detail.missing }}", "empty": "{{ detail.e }}"}

    assert rendered_field("Attributes", attributes, a="A", e="") == {"kept": "A"}


def test_attributes_all_empty_leaves_attributes_out() -> None:
    assert "Attributes" not in render({"Attributes": {"x": "{{ detail.missing }}"}})


def test_empty_reference_is_left_out_and_others_kept() -> None:
    references = {
        "Order": {"Type": "URL", "Value": "{{ detail.url }}"},
        "Note": {"Type": "STRING", "Value": "fixed"},
    }

    assert rendered_field("References", references) == {"Note": {"Type": "STRING", "Value": "fixed"}}


def test_references_all_empty_leave_references_out() -> None:
    references = {"Order": {"Type": "URL", "Value": "{{ detail.url }}"}}

    assert "References" not in render({"References": references}, url="")


@pytest.mark.parametrize("name", ["{{ detail.subject }}", "{{ detail.subject || '' }}"])
def test_name_rendering_empty_is_a_mapping_error(name: str) -> None:
    with pytest.raises(MappingError, match="Name rendered empty") as raised:
        render({"Name": name})

    assert raised.value.rule == "r"


# --- ScheduledTime ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-11-24T09:30:00Z", id="iso-z"),
        pytest.param("2026-11-24T09:30:00.000Z", id="iso-millis"),
        pytest.param("2026-11-24T09:30:00+00:00", id="iso-offset"),
        pytest.param("2026-11-24T09:30:00", id="iso-naive-is-utc"),
        pytest.param(FOLLOW_UP_EPOCH, id="epoch-number"),
        pytest.param(float(FOLLOW_UP_EPOCH), id="epoch-float"),
        pytest.param(str(FOLLOW_UP_EPOCH), id="epoch-text"),
    ],
)
def test_scheduled_time_becomes_an_aware_datetime(value: Any) -> None:
    scheduled = rendered_field("ScheduledTime", "{{ detail.followUpAt }}", followUpAt=value)

    assert isinstance(scheduled, datetime)
    assert scheduled.tzinfo is not None
    assert scheduled == FOLLOW_UP


def test_scheduled_time_keeps_the_offset_it_was_given() -> None:
    scheduled = rendered_field("ScheduledTime", "{{ detail.at }}", at="2026-11-24T11:30:00+02:00")

    assert scheduled == FOLLOW_UP
    assert scheduled.utcoffset() == timedelta(hours=2)
    assert scheduled.tzinfo == timezone(timedelta(hours=2))


def test_scheduled_time_as_a_number_in_the_rule() -> None:
    assert rendered_field("ScheduledTime", FOLLOW_UP_EPOCH) == FOLLOW_UP


@pytest.mark.parametrize("value", [None, ""], ids=["null", "empty"])
def test_scheduled_time_rendering_null_or_empty_is_left_out(value: Any) -> None:
    assert "ScheduledTime" not in render({"ScheduledTime": "{{ detail.at }}"}, at=value)


@pytest.mark.parametrize("value", ["tomorrow", True, [FOLLOW_UP_EPOCH], "NaN"])
def test_scheduled_time_that_is_no_timestamp_is_a_mapping_error(value: Any) -> None:
    with pytest.raises(MappingError, match="ScheduledTime must render to ISO-8601 or epoch seconds"):
        render({"ScheduledTime": "{{ detail.at }}"}, at=value)


# --- References -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-11-24T09:30:00Z", id="iso"),
        pytest.param(FOLLOW_UP_EPOCH, id="epoch-number"),
        pytest.param(FOLLOW_UP_EPOCH + 0.75, id="epoch-fraction-dropped"),
        pytest.param(str(FOLLOW_UP_EPOCH), id="epoch-text"),
    ],
)
def test_date_reference_becomes_epoch_seconds_text(value: Any) -> None:
    references = {"Due": {"Type": "DATE", "Value": "{{ detail.due }}"}}

    assert rendered_field("References", references, due=value) == {
        "Due": {"Type": "DATE", "Value": str(FOLLOW_UP_EPOCH)}
    }


def test_date_reference_from_the_envelope_time() -> None:
    references = {"Failed at": {"Type": "DATE", "Value": "{{ time }}"}}

    rendered = rendered_field("References", references)

    assert rendered == {"Failed at": {"Type": "DATE", "Value": "1795442700"}}  # 2026-11-23T14:05:00Z


def test_date_reference_that_is_no_timestamp_is_a_mapping_error() -> None:
    references = {"Due": {"Type": "DATE", "Value": "{{ detail.due }}"}}

    with pytest.raises(MappingError, match=r"References\.Due\.Value must render to ISO-8601"):
        render({"References": references}, due="next week")


@pytest.mark.parametrize("kind", ["URL", "NUMBER", "STRING", "EMAIL"])
def test_non_date_references_keep_their_type_and_text(kind: str) -> None:
    references = {"R": {"Type": kind, "Value": "{{ detail.v }}"}}

    assert rendered_field("References", references, v=42) == {"R": {"Type": kind, "Value": "42"}}


# --- SegmentAttributes ------------------------------------------------------------------------------


def test_segment_attributes_take_their_typed_values() -> None:
    segment = {
        "connect:Subtype": {"ValueString": "connect:Guide"},
        "priority": {"ValueInteger": "{{ detail.priority }}"},
        "fromText": {"ValueInteger": "{{ detail.count }}"},
        "fixed": {"ValueInteger": 7},
        "queue": {"ValueArn": "{{ detail.queueArn }}"},
        "context": {
            "ValueMap": {
                "order": {"ValueString": "{{ detail.orderId }}"},
                "days": {"ValueInteger": "{{ detail.days }}"},
            }
        },
        "tags": {"ValueList": [{"ValueString": "{{ detail.tag }}"}, {"ValueString": "static"}]},
    }

    rendered = rendered_field(
        "SegmentAttributes",
        segment,
        priority=3,
        count="12",
        queueArn="arn:aws:connect:us-east-1:123456789012:instance/i/queue/q",
        orderId="ORD-1",
        days=2.0,
        tag="late",
    )

    assert rendered == {
        "connect:Subtype": {"ValueString": "connect:Guide"},
        "priority": {"ValueInteger": 3},
        "fromText": {"ValueInteger": 12},
        "fixed": {"ValueInteger": 7},
        "queue": {"ValueArn": "arn:aws:connect:us-east-1:123456789012:instance/i/queue/q"},
        "context": {"ValueMap": {"order": {"ValueString": "ORD-1"}, "days": {"ValueInteger": 2}}},
        "tags": {"ValueList": [{"ValueString": "late"}, {"ValueString": "static"}]},
    }
    assert type(rendered["fromText"]["ValueInteger"]) is int


def test_segment_values_rendering_empty_are_left_out_at_every_level() -> None:
    segment = {
        "kept": {"ValueString": "x"},
        "string": {"ValueString": "{{ detail.missing }}"},
        "integer": {"ValueInteger": "{{ detail.missing }}"},
        "arn": {"ValueArn": "{{ detail.missing }}"},
        "map": {"ValueMap": {"inner": {"ValueString": "{{ detail.missing }}"}}},
        "list": {"ValueList": [{"ValueString": "{{ detail.missing }}"}, {"ValueString": "y"}]},
        "emptyList": {"ValueList": [{"ValueString": "{{ detail.missing }}"}]},
    }

    assert rendered_field("SegmentAttributes", segment) == {
        "kept": {"ValueString": "x"},
        "list": {"ValueList": [{"ValueString": "y"}]},
    }


def test_segment_attributes_all_empty_leave_the_field_out() -> None:
    assert "SegmentAttributes" not in render({"SegmentAttributes": {"s": {"ValueString": "{{ detail.x }}"}}})


@pytest.mark.parametrize("value", [2.5, "two", True, "2.5"])
def test_segment_integer_that_is_not_whole_is_a_mapping_error(value: Any) -> None:
    segment = {"priority": {"ValueInteger": "{{ detail.p }}"}}

    with pytest.raises(
        MappingError, match=r"SegmentAttributes\.priority\.ValueInteger must render to an integer"
    ):
        render({"SegmentAttributes": segment}, p=value)


# --- Attachments ------------------------------------------------------------------------------------

FILES = [
    {"FileName": "invoice.pdf", "S3Url": "https://bucket.s3.amazonaws.com/invoice.pdf"},
    {"FileName": "photo.jpg", "S3Url": "https://bucket.s3.amazonaws.com/photo.jpg"},
]


def test_attachments_list_renders_each_file_name_and_url() -> None:
    attachments = [
        {"FileName": "{{ detail.file }}", "S3Url": "https://bucket.s3.amazonaws.com/{{ detail.file }}"}
    ]

    assert rendered_field("Attachments", attachments, file="invoice.pdf") == FILES[:1]


def test_attachments_single_expression_takes_the_events_list() -> None:
    assert rendered_field("Attachments", "{{ detail.files }}", files=FILES) == FILES


def test_attachments_single_expression_can_project_the_events_fields() -> None:
    files = [{"name": f["FileName"], "url": f["S3Url"]} for f in FILES]

    rendered = rendered_field("Attachments", "{{ detail.files[].{FileName: name, S3Url: url} }}", files=files)

    assert rendered == FILES


@pytest.mark.parametrize("value", [None, []], ids=["null", "empty-list"])
def test_attachments_rendering_nothing_are_left_out(value: Any) -> None:
    assert "Attachments" not in render({"Attachments": "{{ detail.files }}"}, files=value)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param({"FileName": "a"}, "Attachments must render to a list of attachments", id="object"),
        pytest.param("a.pdf", "Attachments must render to a list of attachments", id="text"),
        pytest.param([{"FileName": "a.pdf"}], r"Attachments\[0\] must have FileName and S3Url", id="no-url"),
        pytest.param(
            [{"FileName": "", "S3Url": "https://x"}],
            r"Attachments\[0\] rendered without FileName",
            id="empty-name",
        ),
    ],
)
def test_attachments_that_cannot_render_are_a_mapping_error(files: Any, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        render({"Attachments": "{{ detail.files }}"}, files=files)


def test_attachment_in_the_rule_whose_file_name_renders_empty_is_a_mapping_error() -> None:
    attachments = [{"FileName": "{{ detail.file }}", "S3Url": "https://bucket.s3.amazonaws.com/x"}]

    with pytest.raises(MappingError, match=r"Attachments\[0\] rendered without FileName or S3Url"):
        render({"Attachments": attachments})


# --- InstanceId and the flow ------------------------------------------------------------------------


def test_instance_id_and_contact_flow_come_from_the_defaults() -> None:
    request = render({})

    assert request["InstanceId"] == INSTANCE_ID
    assert request["ContactFlowId"] == DEFAULT_FLOW


def test_rule_instance_id_and_contact_flow_win_over_the_defaults() -> None:
    request = render({"InstanceId": "{{ detail.instance }}", "ContactFlowId": "own-flow"}, instance="own")

    assert (request["InstanceId"], request["ContactFlowId"]) == ("own", "own-flow")


@pytest.mark.parametrize("selector", ["ContactFlowId", "TaskTemplateId", "QuickConnectId"])
def test_a_named_flow_selector_rendering_empty_is_a_mapping_error_not_the_default_flow(selector: str) -> None:
    with pytest.raises(MappingError, match=f"{selector} rendered empty"):
        render({selector: "{{ detail.selector }}"})


@pytest.mark.parametrize("selector", ["TaskTemplateId", "QuickConnectId"])
def test_default_flow_is_not_added_when_the_rule_names_another_flow_selector(selector: str) -> None:
    request = render({selector: "sel-1"})

    assert request[selector] == "sel-1"
    assert "ContactFlowId" not in request


@pytest.mark.parametrize("selector", ["TaskTemplateId", "QuickConnectId"])
def test_other_selector_without_a_default_flow_is_enough(selector: str) -> None:
    request = render({selector: "sel-1"}, defaults=TaskDefaults(instance_id=INSTANCE_ID))

    assert request == {"InstanceId": INSTANCE_ID, "Name": "n", selector: "sel-1"}


def test_rule_naming_a_task_template_that_renders_empty_is_a_mapping_error() -> None:
    with pytest.raises(MappingError):
        render({"TaskTemplateId": "{{ detail.templateId }}"})


def test_no_flow_selector_at_all_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="no flow selector") as raised:
        render({}, defaults=TaskDefaults(instance_id=INSTANCE_ID))

    assert raised.value.rule == "r"


def test_template_failing_at_render_is_a_mapping_error_naming_the_field_not_the_value() -> None:
    with pytest.raises(MappingError, match=r"Attributes\.size: .*length\(detail\.secret\)") as raised:
        render({"Attributes": {"size": "{{ length(detail.secret) }}"}}, secret=987654321)

    assert "987654321" not in raised.value.message


# --- the event identity -----------------------------------------------------------------------------


def test_identity_is_the_canonical_id_without_event_id() -> None:
    assert render_identity(make_rule({"Name": "n"}), envelope(), "msg-1") == "msg-1"


def test_identity_is_the_rendered_event_id() -> None:
    rule = make_rule({"Name": "n"}, eventId="{{ detail.shipmentId }}-{{ detail.sequence }}")

    assert render_identity(rule, envelope(shipmentId="SHP-1", sequence=2), "msg-1") == "SHP-1-2"


def test_identity_from_a_single_number_expression_is_its_text() -> None:
    rule = make_rule({"Name": "n"}, eventId="{{ detail.sequence }}")

    assert render_identity(rule, envelope(sequence=42), "msg-1") == "42"


def test_event_id_rendering_empty_is_a_mapping_error() -> None:
    rule = make_rule({"Name": "n"}, eventId="{{ detail.orderId }}")

    with pytest.raises(MappingError, match="eventId rendered empty"):
        render_identity(rule, envelope(), "msg-1")


@pytest.mark.parametrize("blank", [" ", "\t\n", "\u3000"], ids=["space", "tab-newline", "ideographic-space"])
def test_event_id_rendering_only_whitespace_is_a_mapping_error(blank: str) -> None:
    rule = make_rule({"Name": "n"}, eventId="{{ detail.orderId }}")

    with pytest.raises(MappingError, match="eventId rendered empty or blank"):
        render_identity(rule, envelope(orderId=blank), "msg-1")


@pytest.mark.parametrize(
    "detail",
    [
        pytest.param({}, id="both-missing"),
        pytest.param({"shipmentId": "", "sequence": None}, id="empty-and-null"),
        pytest.param({"shipmentId": " ", "sequence": []}, id="blank-and-empty-list"),
    ],
)
def test_composite_event_id_whose_placeholders_all_render_nothing_is_a_mapping_error(
    detail: dict[str, Any],
) -> None:
    # "-" for every such event would make them all one task.
    rule = make_rule({"Name": "n"}, eventId="{{ detail.shipmentId }}-{{ detail.sequence }}")

    with pytest.raises(MappingError, match="rendered none of its placeholders"):
        render_identity(rule, envelope(**detail), "msg-1")


def test_composite_event_id_with_one_placeholder_rendered_is_the_identity() -> None:
    rule = make_rule({"Name": "n"}, eventId="{{ detail.shipmentId }}-{{ detail.sequence }}")

    assert render_identity(rule, envelope(shipmentId="SHP-1"), "msg-1") == "SHP-1-"


@pytest.mark.parametrize("empty", [[], {}], ids=["list", "object"])
def test_event_id_rendering_an_empty_list_or_object_is_a_mapping_error(empty: Any) -> None:
    rule = make_rule({"Name": "n"}, eventId="{{ detail.orderId }}")

    with pytest.raises(MappingError, match="rendered none of its placeholders"):
        render_identity(rule, envelope(orderId=empty), "msg-1")


def test_event_id_with_an_unpaired_surrogate_is_a_mapping_error_not_quoting_it() -> None:
    rule = make_rule({"Name": "n"}, eventId="{{ detail.orderId }}")

    with pytest.raises(MappingError, match="eventId is not valid Unicode") as raised:
        render_identity(rule, envelope(orderId="ORD-\ud800"), "msg-1")

    assert "\ud800" not in raised.value.message


def test_event_id_too_deep_to_write_is_a_mapping_error() -> None:
    rule = make_rule({"Name": "n"}, eventId="{{ detail.orderId }}")

    with pytest.raises(MappingError, match="eventId: a value cannot be written as text"):
        render_identity(rule, envelope(orderId=nested(100_000)), "msg-1")


# --- values no parameter can hold -----------------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [pytest.param(nested(100_000), id="nested-100000-deep"), pytest.param(10**5000, id="5000-digit-integer")],
)
def test_text_from_a_value_no_text_can_hold_is_a_mapping_error_naming_the_field(value: Any) -> None:
    with pytest.raises(MappingError, match=r"Description: a value cannot be written as text"):
        render({"Description": "{{ detail.reason }}"}, reason=value)
    with pytest.raises(MappingError, match=r"Name: .*cannot be written as text"):
        render({"Name": "Order {{ detail.reason }}"}, reason=value)


@pytest.mark.parametrize(
    "expression", ["to_string(detail.a)", "detail.a == detail.b", "contains(detail.a, detail.b)"]
)
def test_expression_over_a_structure_too_deep_to_walk_is_a_mapping_error(expression: str) -> None:
    with pytest.raises(MappingError, match="Description"):
        render({"Description": f"{{{{ {expression} }}}}"}, a=nested(100_000), b=nested(100_000))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(10**400, id="integer-beyond-float"),
        pytest.param(-(10**400), id="negative-integer-beyond-float"),
        pytest.param(float("inf"), id="infinity"),
        pytest.param("1e400", id="text-reading-as-infinity"),
        pytest.param("9" * 5000, id="text-of-5000-digits"),
        pytest.param(1e18, id="epoch-past-year-9999"),
        pytest.param("9999-12-31T23:00:00-05:00", id="iso-past-year-9999-in-utc"),
    ],
)
def test_scheduled_time_beyond_any_timestamp_is_a_mapping_error(value: Any) -> None:
    with pytest.raises(MappingError, match="ScheduledTime must render to ISO-8601 or epoch seconds"):
        render({"ScheduledTime": "{{ detail.at }}"}, at=value)


@pytest.mark.parametrize("value", [10**400, float("inf"), "1e400"], ids=["10**400", "inf", "text-1e400"])
def test_date_reference_beyond_any_timestamp_is_a_mapping_error(value: Any) -> None:
    references = {"Due": {"Type": "DATE", "Value": "{{ detail.due }}"}}

    with pytest.raises(MappingError, match=r"References\.Due\.Value must render"):
        render({"References": references}, due=value)


@pytest.mark.parametrize(
    ("value", "number"),
    [
        pytest.param(2**53 + 1, 2**53 + 1, id="integer-beyond-float-precision-stays-exact"),
        pytest.param(str(2**53 + 1), 2**53 + 1, id="text-beyond-float-precision-stays-exact"),
        pytest.param(10**400, 10**400, id="integer-beyond-float-range-left-to-the-limits"),
        pytest.param(" -12 ", -12, id="text-with-spaces"),
    ],
)
def test_segment_integer_is_read_exactly(value: Any, number: int) -> None:
    rendered = rendered_field("SegmentAttributes", {"p": {"ValueInteger": "{{ detail.p }}"}}, p=value)

    assert rendered == {"p": {"ValueInteger": number}}


@pytest.mark.parametrize(
    "value",
    [float("inf"), float("nan"), "1e400", "9" * 5000],
    ids=["inf", "nan", "text-1e400", "5000-digits"],
)
def test_segment_integer_that_no_integer_can_hold_is_a_mapping_error(value: Any) -> None:
    with pytest.raises(MappingError, match=r"SegmentAttributes\.p\.ValueInteger must render to an integer"):
        render({"SegmentAttributes": {"p": {"ValueInteger": "{{ detail.p }}"}}}, p=value)
