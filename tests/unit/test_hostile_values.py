"""Hostile inputs, one class at a time, through the path the handler takes: ``event_from_sqs_record`` (or
``event_from_eventbridge``), then ``plan_event`` with the shipped mapping. Each input that can never
succeed ends in a typed permanent failure (the record is dead-lettered at once), never in an untyped
exception (which would be retried until the queue gives up), and no failure message quotes the value."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from task_creator.errors import LimitViolation, MalformedEvent, MappingError, PermanentFailure
from task_creator.mapping.envelope import EVENT_MAX_DEPTH, event_from_eventbridge, event_from_sqs_record
from task_creator.mapping.planning import EventPlan, PlanningContext, plan_event
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import TaskMapping, load_mapping, parse_mapping
from tests.support import SHIPPED_MAPPING_FILE, load_event, load_record

pytestmark = pytest.mark.unit

CONTEXT = PlanningContext(
    defaults=TaskDefaults(
        instance_id="11111111-2222-3333-4444-555555555555",
        contact_flow_id="f0e1d2c3-0000-4000-8000-000000000001",
    ),
    token_namespace="task-creator-test",
)
SURROGATE = "\ud800"
DEEP = 100_000
LONG_NUMBER = "9" * 5000


@pytest.fixture(scope="module")
def shipped() -> TaskMapping:
    return load_mapping(SHIPPED_MAPPING_FILE)


def order_envelope(**detail: Any) -> dict[str, Any]:
    envelope = load_event("eventbridge-order-delayed.json")
    envelope["detail"].update(detail)
    return envelope


def record_with_body(body: str, sample: str = "sqs-eventbridge-batch.json", index: int = 0) -> dict[str, Any]:
    record = copy.deepcopy(load_record(sample, index))
    record["body"] = body
    return record


def order_record(**detail: Any) -> dict[str, Any]:
    return record_with_body(json.dumps(order_envelope(**detail)))


def sns_record(message: str) -> dict[str, Any]:
    record = copy.deepcopy(load_record("sqs-sns-notification.json"))
    notification = json.loads(record["body"])
    record["body"] = json.dumps({**notification, "Message": message})
    return record


def nested(depth: int, leaf: Any = "x") -> Any:
    """``[[[ ... leaf ... ]]]``, ``depth`` lists deep, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def plan_record(record: dict[str, Any], mapping: TaskMapping) -> EventPlan:
    return plan_event(event_from_sqs_record(record), mapping, CONTEXT)


def malformed(record: dict[str, Any]) -> MalformedEvent:
    with pytest.raises(MalformedEvent) as raised:
        event_from_sqs_record(record)
    assert_safe(raised.value.message)
    return raised.value


def failure_of(plan: EventPlan, rule: str) -> PermanentFailure:
    failures = {failure.rule: failure.error for failure in plan.failures}
    assert rule in failures, f"{rule} did not fail: tasks {[task.rule for task in plan.tasks]}"
    error = failures[rule]
    assert isinstance(error, PermanentFailure)
    assert_safe(error.message)
    return error


def assert_safe(message: str) -> None:
    """What goes to the logs and the DLQ: encodable, and quoting no hostile value."""
    message.encode("utf-8")
    assert SURROGATE not in message
    assert LONG_NUMBER[:50] not in message


# --- nesting deeper than anything can walk ----------------------------------------------------------


def test_body_nested_100000_deep_is_malformed() -> None:
    error = malformed(record_with_body("[" * DEEP + "]" * DEEP))

    assert f"nested more than {EVENT_MAX_DEPTH} levels" in error.message


def test_detail_nested_deeper_than_the_limit_but_parseable_is_malformed() -> None:
    malformed(order_record(reason=nested(5000)))


def test_sns_message_nested_100000_deep_is_malformed() -> None:
    malformed(sns_record("[" * DEEP + "]" * DEEP))


def test_direct_invocation_nested_100000_deep_is_malformed_without_recursing() -> None:
    with pytest.raises(MalformedEvent, match="nested more than"):
        event_from_eventbridge(order_envelope(reason=nested(DEEP)))


def test_detail_nested_within_the_limit_is_planned(shipped: TaskMapping) -> None:
    plan = plan_record(order_record(reason=nested(EVENT_MAX_DEPTH - 3)), shipped)

    assert [task.rule for task in plan.tasks] == ["order-delayed"]
    assert plan.tasks[0].request["Description"].startswith("[[[")


# --- numbers longer than Python reads or writes -----------------------------------------------------


def test_body_with_a_5000_digit_number_is_malformed() -> None:
    body = json.dumps(order_envelope(delayDays=0)).replace('"delayDays": 0', f'"delayDays": {LONG_NUMBER}')

    assert "integer of more than 4300 digits" in malformed(record_with_body(body)).message


def test_sns_message_with_a_5000_digit_number_is_malformed() -> None:
    malformed(sns_record(f'{{"sku": "SKU-1", "warehouse": "LIS-1", "onHand": {LONG_NUMBER}}}'))


def test_direct_invocation_with_a_5000_digit_integer_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="integer of more than 4300 digits"):
        event_from_eventbridge(order_envelope(delayDays=10**5000))


def test_a_4000_digit_number_python_can_read_is_written_as_text(shipped: TaskMapping) -> None:
    body = json.dumps(order_envelope(delayDays=0)).replace('"delayDays": 0', f'"delayDays": {"7" * 4000}')

    plan = plan_record(record_with_body(body), shipped)

    assert plan.tasks[0].request["Attributes"]["delayDays"] == "7" * 4000


# --- unpaired surrogates ----------------------------------------------------------------------------


def test_surrogate_in_the_detail_value_behind_event_id_is_a_mapping_error(shipped: TaskMapping) -> None:
    plan = plan_record(order_record(orderId=SURROGATE), shipped)

    assert isinstance(failure_of(plan, "order-delayed"), MappingError)
    assert plan.tasks == ()


@pytest.mark.parametrize(
    ("detail", "field"),
    [
        pytest.param({"reason": f"late {SURROGATE}"}, "Description", id="description"),
        pytest.param(
            {"customer": {"id": SURROGATE, "email": "a@example.com", "tier": "gold"}},
            "Attributes.customer",
            id="attribute",
        ),
        pytest.param(
            {"customer": {"id": "C-1", "email": SURROGATE, "tier": "gold"}},
            "References.Customer email.Value",
            id="reference",
        ),
    ],
)
def test_surrogate_in_a_detail_value_is_a_limit_violation_naming_the_field(
    shipped: TaskMapping, detail: dict[str, Any], field: str
) -> None:
    error = failure_of(plan_record(order_record(**detail), shipped), "order-delayed")

    assert isinstance(error, LimitViolation)
    assert error.field == field


def test_surrogate_in_a_raw_payload_name_is_a_limit_violation(shipped: TaskMapping) -> None:
    record = copy.deepcopy(load_record("sqs-raw-payloads.json", 1))
    record["body"] = json.dumps({**json.loads(record["body"]), "subject": f"Refund {SURROGATE}"})

    error = failure_of(plan_record(record, shipped), "support-ticket")

    assert isinstance(error, LimitViolation)
    assert error.field == "Name"


def test_surrogate_in_the_envelope_id_is_malformed() -> None:
    record = record_with_body(json.dumps({**order_envelope(), "id": f"id-{SURROGATE}"}))

    assert "EventBridge event id is not valid Unicode" in malformed(record).message


def test_surrogate_in_a_direct_invocation_id_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="id is not valid Unicode"):
        event_from_eventbridge({**order_envelope(), "id": SURROGATE})


@pytest.mark.parametrize("attribute", ["EventId", "source", "detail-type"])
def test_surrogate_in_a_message_attribute_the_function_reads_is_malformed(attribute: str) -> None:
    record = copy.deepcopy(load_record("sqs-raw-payloads.json", 0))
    record["messageAttributes"][attribute] = {"stringValue": SURROGATE, "dataType": "String"}

    assert "is not valid Unicode" in malformed(record).message


def test_surrogate_in_the_sns_message_id_is_malformed() -> None:
    record = copy.deepcopy(load_record("sqs-sns-notification.json"))
    record["body"] = json.dumps({**json.loads(record["body"]), "MessageId": SURROGATE})

    assert "SNS MessageId is not valid Unicode" in malformed(record).message


# --- timestamps beyond any calendar -----------------------------------------------------------------


@pytest.mark.parametrize(
    "follow_up",
    [
        pytest.param("1e400", id="json-1e400-reads-as-infinity"),
        pytest.param("1" + "0" * 400, id="json-10**400"),
        pytest.param('"1e400"', id="text-1e400"),
        pytest.param('"9999-12-31T23:00:00-05:00"', id="iso-past-year-9999-in-utc"),
        pytest.param("-1e400", id="json-minus-infinity"),
    ],
)
def test_scheduled_time_beyond_any_timestamp_is_a_mapping_error(shipped: TaskMapping, follow_up: str) -> None:
    body = json.dumps(order_envelope(followUpAt=0)).replace('"followUpAt": 0', f'"followUpAt": {follow_up}')

    error = failure_of(plan_record(record_with_body(body), shipped), "order-delayed")

    assert isinstance(error, MappingError)
    assert "ScheduledTime must render to ISO-8601 or epoch seconds" in error.message


@pytest.mark.parametrize("time", ["1e400", "1" + "0" * 400])
def test_date_reference_beyond_any_timestamp_is_a_mapping_error(shipped: TaskMapping, time: str) -> None:
    envelope = load_event("eventbridge-payment-failed.json")
    body = json.dumps(envelope).replace(f'"time": "{envelope["time"]}"', f'"time": {time}')

    error = failure_of(plan_record(record_with_body(body), shipped), "payment-failed")

    assert isinstance(error, MappingError)
    assert "References.Failed at.Value" in error.message


# --- rules that take typed values from the event (not in the shipped mapping) -----------------------

TYPED_RULES = parse_mapping(
    {
        "rules": [
            {
                "name": "typed",
                "match": {"source": ["acme.orders"]},
                "eventId": "{{ detail.orderId }}",
                "task": {
                    "Name": "Order {{ detail.orderId }}",
                    "SegmentAttributes": {"priority": {"ValueInteger": "{{ detail.rank }}"}},
                    "Attachments": "{{ detail.files }}",
                },
            }
        ]
    }
)
FILE = {"FileName": "invoice.pdf", "S3Url": "https://bucket.s3.amazonaws.com/invoice.pdf"}


def typed_plan(**detail: Any) -> EventPlan:
    return plan_record(order_record(**{"rank": 1, "files": [FILE], **detail}), TYPED_RULES)


@pytest.mark.parametrize(
    ("rank", "error_type"),
    [
        pytest.param(10**400, LimitViolation, id="10**400"),
        pytest.param(2**31, LimitViolation, id="just-past-32-bits"),
        pytest.param(float("inf"), MappingError, id="infinity"),
        pytest.param("1e400", MappingError, id="text-1e400"),
        pytest.param("9" * 4500, MappingError, id="text-of-4500-digits"),
    ],
)
def test_segment_integer_out_of_range_fails_typed(rank: Any, error_type: type[PermanentFailure]) -> None:
    error = failure_of(typed_plan(rank=rank), "typed")

    assert isinstance(error, error_type)
    assert "ValueInteger" in error.message


@pytest.mark.parametrize(
    ("file_name", "field"),
    [
        pytest.param("invoice\n.pdf", "Attachments[0].FileName", id="newline"),
        pytest.param("invoice\u202e.pdf", "Attachments[0].FileName", id="right-to-left-override"),
        pytest.param(SURROGATE, "Attachments[0].FileName", id="surrogate"),
        pytest.param("f" * 257, "Attachments[0].FileName", id="too-long"),
    ],
)
def test_attachment_file_name_from_the_event_that_connect_refuses_is_a_limit_violation(
    file_name: str, field: str
) -> None:
    error = failure_of(typed_plan(files=[{**FILE, "FileName": file_name}]), "typed")

    assert isinstance(error, LimitViolation)
    assert error.field == field


# --- identities that would merge unrelated events ---------------------------------------------------


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_sns_notifications_with_a_blank_message_id_keep_distinct_identities(
    shipped: TaskMapping, blank: str
) -> None:
    # stock-low has no eventId: its identity is the canonical id, here the SQS messageId.
    records = []
    for message_id in ("message-1", "message-2"):
        record = copy.deepcopy(load_record("sqs-sns-notification.json"))
        record["messageId"] = message_id
        notification = json.loads(record["body"])
        record["body"] = json.dumps({**notification, "MessageId": blank})
        records.append(record)

    tokens = [plan_record(record, shipped).tasks[0].client_token for record in records]

    assert tokens[0] != tokens[1]


@pytest.mark.parametrize("blank", ["", " "])
def test_blank_event_id_attribute_falls_back_to_the_message_id(blank: str) -> None:
    record = copy.deepcopy(load_record("sqs-raw-payloads.json", 1))
    record["messageAttributes"]["EventId"] = {"stringValue": blank, "dataType": "String"}

    assert event_from_sqs_record(record).id == record["messageId"]


@pytest.mark.parametrize("blank", [" ", "\u3000"])
def test_blank_envelope_id_is_malformed(blank: str) -> None:
    record = record_with_body(json.dumps({**order_envelope(), "id": blank}))

    assert "has no id" in malformed(record).message


def test_event_id_rendering_blank_is_a_mapping_error(shipped: TaskMapping) -> None:
    plan = plan_record(order_record(orderId="   "), shipped)

    assert "eventId rendered empty or blank" in failure_of(plan, "order-delayed").message


def test_composite_event_id_whose_placeholders_all_render_nothing_is_a_mapping_error(
    shipped: TaskMapping,
) -> None:
    envelope = {
        **load_event("eventbridge-order-delayed.json"),
        "source": "acme.shipping",
        "detail-type": "ShipmentException",
        "detail": {"status": "lost"},  # no shipmentId, no sequence: the identity would be "-"
    }

    plan = plan_record(record_with_body(json.dumps(envelope)), shipped)

    assert "rendered none of its placeholders" in failure_of(plan, "shipment-exception").message
